"""Guard against a Qt binding that corrupts the interpreter.

PySide6 6.12.0 under Python 3.11 took one reference off ``None`` on every call
returning nothing; a few thousand calls later the interpreter aborted
("none_dealloc"), which in the app means a crash mid-session. pyproject pins it
out; this test fails if such a release is installed again.
"""

from __future__ import annotations

import subprocess
import sys


def test_void_calls_leave_none_refcount_alone() -> None:
    code = (
        "import sys\n"
        "from PySide6.QtCore import QRectF\n"
        "r = QRectF()\n"
        "before = sys.getrefcount(None)\n"
        "for _ in range(2000): r.setWidth(1)\n"
        "print(sys.getrefcount(None) - before)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-500:]
    assert abs(int(result.stdout.strip())) < 50
