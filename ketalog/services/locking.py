"""Optimistic locking: a stale edit is refused, never silently overwritten."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from ketalog.services.errors import StaleEdit


class _VersionedRow(Protocol):
    version: int


def check_version(db: Session, row: _VersionedRow, expected_version: int, label: str) -> None:
    """Refuse the edit when the row changed after the user's form was loaded.

    The mapper's ``version_id_col`` also guards the UPDATE itself, so a change
    committed between this check and the flush still fails (StaleDataError).
    """
    if row.version != expected_version:
        raise StaleEdit(
            f"This {label} was changed on another workstation after you opened it; "
            "the screen now shows the stored version. Enter your change again if it is "
            "still needed."
        )
