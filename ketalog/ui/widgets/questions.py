"""Questions the app asks before acting: one button per answer, none chosen by Enter alone.

A booking at a time the clocks repeat asks which one (EDT or EST); a booking
over another visit at the same chair asks for confirmation. The default
button is the one that changes nothing, so a stray Enter never books.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, tzinfo

from PySide6.QtCore import QCoreApplication, QDateTime
from PySide6.QtWidgets import QMessageBox, QWidget

from ketalog.domain.clinic_time import AmbiguousLocalTime, NonexistentLocalTime, resolve_local

#: The question on screen now, for tests and for the idle lock to find (None when none).
open_question: QMessageBox | None = None


def ask(parent: QWidget, title: str, text: str, answers: Sequence[str],
        cancel: str) -> int | None:
    """Ask with one button per answer; the index chosen, or None when cancelled."""
    global open_question
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.NoButton, parent)
    buttons = [box.addButton(answer, QMessageBox.ButtonRole.AcceptRole) for answer in answers]
    stay = box.addButton(cancel, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(stay)
    box.setEscapeButton(stay)
    open_question = box
    try:
        box.exec()
    finally:
        open_question = None
    clicked = box.clickedButton()
    return buttons.index(clicked) if clicked in buttons else None


def chosen_instant(parent: QWidget, day: date, wall: time, tz: tzinfo) -> datetime | str | None:
    """The instant a booking's date and time mean in the clinic's zone.

    A time that happens twice that night is asked about (None: the question was
    cancelled); a time that does not exist comes back as the reason (a str).
    """
    try:
        return resolve_local(day, wall, tz, field="scheduled_at")
    except NonexistentLocalTime as skipped:
        return str(skipped)
    except AmbiguousLocalTime as twice:
        # a module function: its strings are filed under "Questions", not the parent's class
        index = ask(parent, QCoreApplication.translate("Questions", "Which time?"), str(twice),
                    [choice.label for choice in twice.choices],
                    QCoreApplication.translate("Questions", "Cancel"))
        return None if index is None else twice.choices[index].at_utc


def instant_on_screen(parent: QWidget, value: QDateTime, tz: tzinfo,
                      show_error: Callable[[str], None]) -> datetime | None:
    """A booking screen's date and time as one instant (see :func:`chosen_instant`).

    None when the question was cancelled, or when the time does not exist
    (the reason then goes to ``show_error``).
    """
    d, t = value.date(), value.time()
    chosen = chosen_instant(parent, date(d.year(), d.month(), d.day()),
                            time(t.hour(), t.minute()), tz)
    if isinstance(chosen, str):
        show_error(chosen)
        return None
    return chosen
