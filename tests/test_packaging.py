"""The built wheel carries what the app loads at run time (protocols, migrations)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    [built] = out.glob("ketalog-*.whl")
    return built


def test_wheel_carries_resources_and_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "ketalog/resources/protocols/default_protocols.json" in names
    assert "ketalog/resources/translations/ketalog_en.qm" in names  # English plurals
    assert "ketalog/store/migrations/env.py" in names
    assert "ketalog/store/migrations/script.py.mako" in names
    assert "ketalog/store/migrations/versions/0001_initial_schema.py" in names
    assert not any(n.startswith(("tests/", "resources/")) for n in names)
    assert not any("screenshots" in n for n in names)


def test_unpacked_wheel_creates_a_database(wheel: Path, tmp_path: Path) -> None:
    """Outside the checkout, the installed package alone migrates and seeds a database."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import sys, ketalog; assert ketalog.__file__.startswith(sys.argv[1]), ketalog.__file__\n"
        "from ketalog.cli import main\n"
        "raise SystemExit(main(['--database-url', 'sqlite:///' + sys.argv[2], 'db', 'upgrade']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(site), str(tmp_path / "k.sqlite3")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    from ketalog.store.migrate import HEAD_REVISION

    assert f"at schema {HEAD_REVISION}" in result.stdout


def test_wheel_installs_the_command_and_the_window_launcher(wheel: Path) -> None:
    """``ketalog`` (console) and ``ketalog-window`` (no console on Windows) are both installed."""
    archive = zipfile.ZipFile(wheel)
    [entry_points] = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = archive.read(entry_points).decode()
    console, _, gui = text.partition("[gui_scripts]")
    assert "ketalog = ketalog.cli:main" in console
    assert "ketalog-window = ketalog.ui.launch:main" in gui


def test_the_wheel_carries_the_one_version(wheel: Path) -> None:
    """pyproject reads ketalog.__version__, so the wheel's metadata and --version agree."""
    import ketalog

    assert wheel.name.startswith(f"ketalog-{ketalog.__version__}-")
    archive = zipfile.ZipFile(wheel)
    [metadata] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    assert f"\nVersion: {ketalog.__version__}\n" in archive.read(metadata).decode()
