"""Reading the clinic's stored settings, which needs no permission.

Kept apart from :mod:`ketalog.services.settings` (which changes them, and so
checks permissions) so that the permission check itself can read the clinic's
time zone without the two modules importing each other.
"""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from ketalog.store.models import Setting

CLINIC_TIMEZONE = "clinic_timezone"


def get_setting(db: Session, key: str, default: object = None) -> object:
    """A setting's value, or ``default`` when it was never set."""
    row = db.get(Setting, key)
    return default if row is None else json.loads(row.value_json)


#: Why nothing clinical is recorded in a database whose clinic has no time zone yet.
TIMEZONE_MISSING = (
    "The clinic's time zone is not set, so nothing clinical can be recorded yet (each "
    "workstation would count \"today\" in its own zone). An administrator sets it under "
    "Clinic... > Time zone, or with 'ketalog settings set clinic_timezone America/New_York'.")


def stored_clinic_timezone(db: Session) -> ZoneInfo | None:
    """The clinic's zone as set by an administrator; None while it is not set."""
    name = get_setting(db, CLINIC_TIMEZONE)
    if isinstance(name, str):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return None
