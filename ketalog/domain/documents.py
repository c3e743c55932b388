"""The documents ketalog prints, by name: the vocabulary the window and the command line share.

Only the names live here (pure Python, so the command line can offer them
without loading the database layer); titles, gathering and building are the
table in :mod:`ketalog.services.document_kinds`.
"""

from __future__ import annotations

from enum import StrEnum


class DocumentKind(StrEnum):
    """The documents ketalog prints (the value is the command line's name for it)."""

    SESSION = "session"  # session summary, the chart copy
    VISIT = "visit"  # the patient's take-home report
    DAY = "day"  # the day log
    COURSE = "course"  # the course report
    REMS = "rems"  # a session's esketamine REMS monitoring form
