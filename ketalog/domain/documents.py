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
    # the controlled-substance records, each by its own id (issue 19)
    STOCK_COUNT = "stock_count"  # a count by two people, its discrepancies and resolutions
    STOCK_INVENTORY = "stock_inventory"  # an initial or biennial inventory
    STOCK_DESTRUCTION = "stock_destruction"  # one destruction act (by one of its entries)
    STOCK_LOSS = "stock_loss"  # a loss or theft record (DEA Form 106 facts)

    @property
    def of_the_books(self) -> bool:
        """Whether the document is a controlled-substance record (not of a patient)."""
        return self.value.startswith("stock_")
