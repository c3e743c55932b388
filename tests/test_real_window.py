"""``make run`` opens a real window: the xcb plugin, on a 1366x768 X screen (Xvfb).

Every other GUI test runs on Qt's offscreen platform, which needs none of the
libraries a desktop's window plugin loads; a fresh Debian desktop lacked
libxcb-cursor0 and the app never opened. The Makefile installs them and Xvfb;
this starts the app as ``make run`` does and waits for its window.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_display() -> int:
    for number in range(91, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(
                f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


def _wait(predicate, timeout_s: float) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return str(found)
        time.sleep(0.25)
    return ""


def test_the_app_opens_a_window_that_fits_a_1366x768_screen(tmp_path: Path) -> None:
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        if os.environ.get("KETALOG_REQUIRE_SCREEN") == "1":
            pytest.fail("Xvfb and xdotool are missing: run `make setup` (it installs them)")
        pytest.skip("Xvfb/xdotool not installed (make setup installs them)")
    display = f":{_free_display()}"
    screen = subprocess.Popen(["Xvfb", display, "-screen", "0", "1366x768x24", "-nolisten",
                               "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb",
               KETALOG_CONFIG_DIR=str(tmp_path / "config"),
               KETALOG_DATA_DIR=str(tmp_path / "data"))
    app = None
    log_path = tmp_path / "app.log"
    log = log_path.open("wb")
    try:
        assert _wait(lambda: Path(f"/tmp/.X11-unix/X{display[1:]}").exists(), 20)
        app = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "--database-url",
             f"sqlite:///{tmp_path / 'clinic.sqlite3'}"],
            env=env, stdout=log, stderr=subprocess.STDOUT)

        def window() -> str:
            if app.poll() is not None:
                return "exited"
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^ketalog"],
                                   env=env, capture_output=True, text=True)
            return found.stdout.split()[0] if found.stdout.split() else ""

        window_id = _wait(window, 90)
        if window_id in ("", "exited"):
            output = log_path.read_text(errors="replace")
            pytest.fail(f"no ketalog window appeared ({window_id or 'timeout'}): {output}")
        geometry = subprocess.run(["xdotool", "getwindowgeometry", window_id], env=env,
                                  capture_output=True, text=True, check=True).stdout
        width, height = map(int, re.search(r"Geometry: (\d+)x(\d+)", geometry).groups())  # type: ignore[union-attr]
        assert width <= 1366 and height <= 768, geometry
    finally:
        if app is not None:
            app.kill()
            app.wait(10)
        screen.kill()
        screen.wait(10)
        log.close()
