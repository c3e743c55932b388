"""The layering rules hold: checked on what each layer actually imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

RULES = {
    "ketalog.domain": ("PySide6", "sqlalchemy", "ketalog.store", "ketalog.services",
                       "ketalog.ui", "reportlab"),
    "ketalog.store": ("PySide6", "ketalog.services", "ketalog.ui", "reportlab"),
    "ketalog.services": ("PySide6", "ketalog.ui", "reportlab"),
    "ketalog.cli": ("PySide6", "reportlab", "alembic"),
}
MODULES = {
    "ketalog.domain": ["dosing", "vitals", "scales", "session_state", "protocols", "values",
                       "chair_status"],
    "ketalog.store": ["models", "engine", "migrate", "types"],
    "ketalog.services": ["booking", "session.state", "session.dose", "session.entries",
                         "unit_of_work", "board", "session_detail", "patients", "protocols",
                         "demo", "database", "audit", "settings", "users", "signing",
                         "chair_status"],
    "ketalog.cli": [""],
}


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports(layer: str) -> None:
    names = [f"{layer}.{m}" if m else layer for m in MODULES[layer]]
    code = (
        "import sys\n"
        + "".join(f"import {n}\n" for n in names)
        + f"bad = [m for m in sys.modules if m.split('.')[0] in {RULES[layer]!r} "
        f"or any(m == p or m.startswith(p + '.') for p in {RULES[layer]!r})]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{layer} pulls in {result.stdout.strip()}"
