"""The layering rules hold: the import contracts, and what each layer loads at run time.

The contracts (``[tool.importlinter]`` in pyproject.toml) read every import of
every module, so ``make test`` checks them as ``make lint`` does. What they
cannot say is *when* a module loads: the services render documents through
reports (allowed) but must not load reportlab when imported, and the command
line must start without Qt, reportlab or Alembic. Those are checked here by
importing every module of a layer in a fresh interpreter.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import ketalog

ROOT = Path(__file__).resolve().parents[1]

#: Packages a layer must not have loaded once all its modules are imported.
RULES = {
    "ketalog.domain": ("PySide6", "sqlalchemy", "ketalog.store", "ketalog.services",
                       "ketalog.ui", "reportlab"),
    "ketalog.store": ("PySide6", "ketalog.services", "ketalog.ui", "reportlab"),
    "ketalog.reports": ("PySide6", "sqlalchemy", "ketalog.services", "ketalog.ui"),
    "ketalog.services": ("PySide6", "ketalog.ui", "reportlab"),
    "ketalog.cli": ("PySide6", "reportlab", "alembic"),
}


def _modules(layer: str) -> list[str]:
    """Every module of ``layer`` (the package and its modules; a plain module alone)."""
    package = ROOT / Path(*layer.split("."))
    if not package.is_dir():
        return [layer]
    skip = ("migrations",)  # Alembic's own scripts, loaded by Alembic only
    return [layer] + [info.name for info in pkgutil.walk_packages([str(package)], layer + ".")
                      if not any(part in skip for part in info.name.split("."))]


def test_import_contracts_hold() -> None:
    """``lint-imports`` keeps every contract: layers, Qt and reportlab bans, no cycles."""
    script = Path(sys.executable).with_name("lint-imports")
    assert script.exists(), "import-linter is missing: pip install -e '.[dev]' (make setup)"
    result = subprocess.run([str(script), "--no-cache", "--no-logo"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports(layer: str) -> None:
    names = _modules(layer)
    assert len(names) > 1 or layer == "ketalog.cli", names
    code = (
        "import sys\n"
        + "".join(f"import {n}\n" for n in names)
        + f"bad = [m for m in sys.modules if m.split('.')[0] in {RULES[layer]!r} "
        f"or any(m == p or m.startswith(p + '.') for p in {RULES[layer]!r})]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=Path(ketalog.__file__).parents[1])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{layer} pulls in {result.stdout.strip()}"
