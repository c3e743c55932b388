"""Optimistic locking: a stale edit is refused, never silently overwritten.

The refusal says who changed the record and when, and, for an edit of one
field, carries both values (:class:`Conflict`) so the screen can let the user
choose: keep what is stored, or save theirs over it knowingly.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.values import printed_name
from ketalog.services.errors import Conflict, StaleEdit
from ketalog.services.settings import clinic_timezone
from ketalog.store.models import AuditEntry, User


class _VersionedRow(Protocol):
    id: int
    version: int


def user_printed_name(db: Session, user_id: int | None, username: str = "") -> str:
    """The stored user as documents print them: "Nora Reyes, RN"."""
    user = db.get(User, user_id) if user_id is not None else None
    if user is None:
        return username or "another user"
    return printed_name(user.full_name, user.credentials)


def last_change(db: Session, table: str, row_id: int,
                field: str | None = None) -> tuple[str, str] | None:
    """Who last changed the row (or that field of it), and when in clinic time."""
    query = select(AuditEntry).where(AuditEntry.table_name == table,
                                     AuditEntry.row_id == row_id,
                                     AuditEntry.action != "view")
    if field is not None:
        query = query.where(AuditEntry.field == field)
    last = db.scalar(query.order_by(AuditEntry.id.desc()).limit(1))
    if last is None:
        return None
    local = last.occurred_at_utc.astimezone(clinic_timezone(db))
    return user_printed_name(db, last.user_id, last.username), f"{local.day} {local:%b %Y %H:%M}"


def check_version(db: Session, row: _VersionedRow, expected_version: int, label: str, *,
                  table: str | None = None, field: str | None = None, what: str | None = None,
                  yours: object = None, theirs: object = None) -> None:
    """Refuse the edit when the row changed after the user's form was loaded.

    With ``table`` the refusal names who changed it and when; with ``field``
    (and ``what``, ``yours``, ``theirs``) it also carries the :class:`Conflict`.
    The mapper's ``version_id_col`` also guards the UPDATE itself, so a change
    committed between this check and the flush still fails (StaleDataError).
    """
    if row.version == expected_version:
        return
    change = None
    if table is not None:
        change = (last_change(db, table, row.id, field) if field is not None else None) or \
            last_change(db, table, row.id)
    who = f"by {change[0]} at {change[1]}" if change else "on another workstation"
    conflict = None
    if field is not None and change is not None:
        conflict = Conflict(what=what or field.replace("_", " "), yours=shown_value(yours),
                            theirs=shown_value(theirs), changed_by=change[0],
                            changed_at=change[1], current_version=row.version)
    detail = ""
    if conflict is not None:
        detail = (f" Stored now: {conflict.theirs}. Yours: {conflict.yours}. "
                  "Choose which to keep.")
    raise StaleEdit(
        f"This {label} was changed {who} after you opened it; nothing was saved.{detail}"
        + ("" if conflict else " The screen now shows the stored version; enter your change "
           "again if it is still needed."),
        conflict,
    )


def shown_value(value: object) -> str:
    """A stored or typed value as the conflict shows it."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
