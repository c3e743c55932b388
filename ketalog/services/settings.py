"""Clinic settings stored in the database, so every workstation shares them."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.clinic_settings import (
    DEMO_CLINIC as DEMO_CLINIC,
)
from ketalog.domain.clinic_settings import (
    ClinicSettings,
    chairs_from,
    idle_lock_from,
    weight_change_from,
)
from ketalog.domain.errors import ValidationError
from ketalog.services.access import Permission, authorize_admin_work
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.stored_settings import CLINIC_TIMEZONE as CLINIC_TIMEZONE
from ketalog.services.stored_settings import TIMEZONE_MISSING as TIMEZONE_MISSING
from ketalog.services.stored_settings import get_setting as get_setting
from ketalog.services.stored_settings import stored_clinic_timezone as stored_clinic_timezone
from ketalog.store.models import Setting

CLINIC_NAME = "clinic_name"
#: The clinic's details printed on every document (one line each).
CLINIC_ADDRESS = "clinic_address"
CLINIC_PHONE = "clinic_phone"
CLINIC_LOGO_PATH = "clinic_logo_path"
#: The logo's picture itself (base64), so every workstation prints it, not only the one
#: whose disk had the file; audited by its SHA-256, not its bytes.
CLINIC_LOGO_PICTURE = "clinic_logo_picture"
DOCUMENT_FOOTER = "document_footer"


def stored_settings(db: Session) -> dict[str, object]:
    """Every stored setting by key, in one query (keys never set are absent)."""
    return {key: json.loads(text)
            for key, text in db.execute(select(Setting.key, Setting.value_json))}


def read_clinic_settings(db: Session) -> ClinicSettings:
    """The clinic's settings, read once and judged (defaults for what is unset or broken)."""
    return ClinicSettings.from_stored(stored_settings(db))


def set_setting(
    db: Session, actor: Actor, key: str, value: object, *, clock: Clock = system_clock
) -> None:
    """Store a setting and audit the old and new values (administrators only)."""
    authorize_admin_work(db, actor, Permission.MANAGE_SETTINGS)
    put_setting(db, actor, key, value, now=clock())
    db.commit()


def put_setting(db: Session, actor: Actor, key: str, value: object, *, now: datetime,
                shown: Callable[[object], object] = lambda value: value) -> None:
    """Store a setting and its audit row in the caller's transaction (not committed).

    ``shown`` is what the audit row keeps of the old and new values (a digest for a
    picture); the caller has checked the permission.
    """
    row = db.get(Setting, key)
    old = None if row is None else json.loads(row.value_json)
    text = json.dumps(value, sort_keys=True)
    if row is None:
        db.add(Setting(key=key, value_json=text, updated_at_utc=now))
    else:
        row.value_json = text
    db.flush()
    append_audit(db, actor, "update", at=now, table_name="settings", field=key,
                 old=None if old is None else shown(old),
                 new=None if value is None else shown(value))


def picture_digest(value: object) -> object:
    """How the audit shows a stored picture: its SHA-256, not its base64."""
    if not isinstance(value, str):
        return value
    return "sha256:" + hashlib.sha256(base64.b64decode(value)).hexdigest()


def stored_logo(db: Session) -> bytes | None:
    """The clinic's logo as stored in the database, None when there is none."""
    value = get_setting(db, CLINIC_LOGO_PICTURE)
    return base64.b64decode(value) if isinstance(value, str) and value else None


def is_demo_clinic(db: Session) -> bool:
    """Whether this database is the demo clinic (made-up patients, never patient care)."""
    return get_setting(db, DEMO_CLINIC) is True


def system_timezone_name() -> str:
    """The machine's IANA zone name (TZ, then /etc/localtime), else UTC."""
    candidate = os.environ.get("TZ", "").lstrip(":")
    if candidate:
        try:
            ZoneInfo(candidate)
            return candidate
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            name = target.split("zoneinfo/", 1)[1]
            ZoneInfo(name)
            return name
    except (OSError, ZoneInfoNotFoundError, ValueError):
        pass
    return "UTC"


def clinic_timezone(db: Session) -> ZoneInfo:
    """The zone times are shown in and "today" is counted in.

    Until an administrator sets it, UTC: the same on every workstation (never
    each machine's own zone), and clinical entry is refused meanwhile
    (:data:`TIMEZONE_MISSING`, checked by ``access.authorize``).
    """
    return stored_clinic_timezone(db) or ZoneInfo("UTC")


def clinic_today(db: Session, now: datetime) -> date:
    """The clinic's calendar date at ``now`` (not UTC's: they differ near midnight)."""
    return now.astimezone(clinic_timezone(db)).date()


def set_clinic_timezone(db: Session, actor: Actor, name: str) -> None:
    """Set the clinic's IANA time zone, refusing names the system does not know."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError.single(
            "clinic_timezone", f"'{name}' is not a time zone name; use e.g. Europe/Berlin."
        ) from exc
    set_setting(db, actor, CLINIC_TIMEZONE, name)


CHAIRS = "chairs"


def clinic_chairs(db: Session) -> list[str]:
    """The infusion chairs the clinic schedules (an administrator setting)."""
    return list(chairs_from(get_setting(db, CHAIRS)))


IDLE_LOCK_MINUTES = "idle_lock_minutes"


def idle_lock_minutes(db: Session) -> int:
    """Minutes without keyboard or mouse input before a workstation locks itself.

    A stored value outside 1-240 minutes (or not a whole number) is ignored in
    favour of the default: a broken setting must not switch the lock off.
    """
    return idle_lock_from(get_setting(db, IDLE_LOCK_MINUTES))


WEIGHT_CHANGE_PERCENT = "weight_change_percent"


def weight_change_percent(db: Session) -> int:
    """How much a weight may differ from the last one before it is confirmed (percent).

    A stored value outside the setting's range is ignored in favour of the
    default: a broken setting must not switch the check off.
    """
    return weight_change_from(get_setting(db, WEIGHT_CHANGE_PERCENT))
