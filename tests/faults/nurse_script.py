"""A scripted nurse: the real main window, typing readings and notes until killed.

Run as ``python -m tests.faults.nurse_script DBURL SESSION_ID FIRST_NUMBER`` by
tests/faults/test_crash.py, which kills it with SIGKILL at a random moment.
The session must be checked in already. Every entry carries a number (from
FIRST_NUMBER on) that makes its values unique; once the screen shows the entry
as saved (the "Saved" message and the row in the grid, or the note in the
list) one line is printed and flushed::

    READY
    SAVED vital n=1234 sys=134 dia=60 hr=61 spo2=95 rr=12
    SAVED note n=1240 text=Crash note 1240

so the parent knows exactly which entries the nurse was told were saved.
At most :data:`PER_RUN` entries are typed; then the nurse waits to be killed.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sys
import time

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

#: Entries per run at most: the parent gives each run its own block of numbers.
PER_RUN = 1000
#: Every NOTE_EVERY-th entry is a note instead of a reading.
NOTE_EVERY = 10
NURSE_USER = (1, "nora", "Nora Reyes", "RN", "nurse")


def vital_values(number: int) -> dict[str, int]:
    """The reading for entry ``number``: unique for 240,000 numbers, never an alert."""
    return {"sys": 100 + number % 40, "dia": 60 + (number // 40) % 25,
            "hr": 60 + (number // 1000) % 40, "spo2": 95 + (number // 40_000) % 6,
            "rr": 12 + number % 7}


def note_text(number: int) -> str:
    """The note for entry ``number``."""
    return f"Crash note {number}"


def is_note(number: int) -> bool:
    """Whether entry ``number`` is a note (else a reading)."""
    return number % NOTE_EVERY == NOTE_EVERY - 1


def _wait(app: QApplication, done: object, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"nurse_script: the screen did not show {done} in {timeout_s} s")
        app.processEvents()
        time.sleep(0.001)


def _focused(app: QApplication) -> QWidget:
    widget = app.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def main(argv: list[str]) -> int:
    """Open the window on the session and type entries until killed."""
    url, session_id, first = argv[0], int(argv[1]), int(argv[2])
    from ketalog.services.database import open_database
    from ketalog.services.users import UserSummary
    from ketalog.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    engine = open_database(url)
    with engine.connect() as conn:  # the app's own connections, as every one is set up
        journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    print(f"PRAGMAS journal_mode={journal} synchronous={synchronous}", flush=True)
    window = MainWindow(engine, url, user=UserSummary(*NURSE_USER))
    window.resize(1400, 900)
    window.show()
    window.activateWindow()
    _wait(app, lambda: QApplication.activeWindow() is window)
    window.open_session(session_id)
    page = window.session_page
    assert page is not None
    vitals, notes = page.vitals, page.notes  # type: ignore[attr-defined]
    print("READY", flush=True)

    for number in range(first, first + PER_RUN):
        if is_note(number):
            text = note_text(number)
            QTest.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.AltModifier)
            _wait(app, notes.text.hasFocus)
            QTest.keyClicks(notes.text, text)
            QTest.keyClick(notes.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            _wait(app, lambda: "Note added" in notes.message.text() and any(
                notes.notes_model.row_at(r).text == text  # noqa: B023 - waited for here
                for r in range(notes.notes_model.rowCount())))
            print(f"SAVED note n={number} text={text}", flush=True)
            continue
        values = vital_values(number)
        QTest.keyClick(window, Qt.Key.Key_F2)
        _wait(app, vitals.sbp.hasFocus)
        typed = [str(values[k]) for k in ("sys", "dia", "hr", "spo2", "rr")]
        for index, value in enumerate(typed):
            QTest.keyClicks(_focused(app), value)
            if index < len(typed) - 1:
                QTest.keyClick(_focused(app), Qt.Key.Key_Tab)
        QTest.keyClick(_focused(app), Qt.Key.Key_Return)
        model = vitals.model
        wanted = (values["sys"], values["dia"], values["hr"], values["spo2"], values["rr"])
        _wait(app, lambda: vitals.message.text().startswith("Saved") and any(
            (row.systolic_mmhg, row.diastolic_mmhg, row.heart_rate_bpm,
             row.spo2_percent, row.resp_rate_per_min) == wanted  # noqa: B023
            for row in (model.row_at(r) for r in range(model.rowCount()))))  # noqa: B023
        shown = " ".join(f"{key}={value}" for key, value in values.items())
        print(f"SAVED vital n={number} {shown}", flush=True)
    print("DONE", flush=True)
    while True:  # the parent kills us
        app.processEvents()
        time.sleep(0.05)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
