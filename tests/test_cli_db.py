"""``ketalog db test`` and ``ketalog db use``: check a database, point this workstation at it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ketalog.cli import main
from ketalog.store.engine import ENV_DATABASE_URL
from ketalog.store.workstation import ENV_CONFIG_DIR, load_workstation_config


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never read or write the real workstation file."""
    folder = tmp_path / "config"
    monkeypatch.setenv(ENV_CONFIG_DIR, str(folder))
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    return folder


def test_db_test_prints_the_check_and_where_the_url_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    assert main(["db", "test", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "from the --database-url option" in out and "OK: " in out and "will create" in out
    assert main(["--database-url", url, "db", "test"]) == 0  # the global option counts too
    assert "from the --database-url option" in capsys.readouterr().out


def test_db_test_failure_exits_1_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "test", "--database-url", "postgresql://nurse:s3cret@127.0.0.1:1/k"]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM: " in out and "unreachable" in out and "s3cret" not in out


def test_db_use_tests_first_and_writes_a_private_file(
    tmp_path: Path, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = "postgresql://nurse:s3cret@127.0.0.1:1/ketalog"
    assert main(["db", "use", bad]) == 1
    captured = capsys.readouterr()
    assert "nothing was saved" in captured.err and "--force" in captured.err
    assert not (config_dir / "workstation.json").exists()

    assert main(["db", "use", bad, "--force"]) == 0
    assert "next time it starts" in capsys.readouterr().out
    assert load_workstation_config().database_url == bad
    assert stat.S_IMODE((config_dir / "workstation.json").stat().st_mode) == 0o600

    good = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    assert main(["db", "use", good]) == 0
    assert load_workstation_config().database_url == good
    assert main(["db", "test"]) == 0
    assert "from the workstation settings" in capsys.readouterr().out

    assert main(["db", "use", "default"]) == 0
    assert load_workstation_config().database_url is None


def test_db_use_says_when_the_environment_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_DATABASE_URL, "postgresql://env:pw@db/ketalog")
    assert main(["db", "use", f"sqlite:///{tmp_path / 'x.sqlite3'}"]) == 0
    out = capsys.readouterr().out
    assert f"{ENV_DATABASE_URL} is set" in out and "takes precedence" in out and ":pw@" not in out


def test_db_use_repairs_a_damaged_file(config_dir: Path, tmp_path: Path) -> None:
    config_dir.mkdir()
    (config_dir / "workstation.json").write_text("{oops", encoding="utf-8")
    assert main(["db", "test"]) == 1  # refused, not silently the default file
    assert main(["db", "use", f"sqlite:///{tmp_path / 'y.sqlite3'}"]) == 0
    assert load_workstation_config().database_url is not None
