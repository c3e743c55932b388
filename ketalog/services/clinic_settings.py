"""The clinic's settings as administrators list and change them (app and command line).

Each change is one transaction with its audit row (old and new value), made
only when the typed text is a valid value (:mod:`ketalog.domain.clinic_settings`);
a refusal stores nothing. Documents, the board and the idle lock read the
settings as stored, so a change shows on the next document printed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from ketalog.domain.clinic_settings import (
    CLINIC_SETTINGS,
    ClinicSetting,
    SettingKind,
    clinic_setting,
    is_logo_picture,
)
from ketalog.services.access import Permission, authorize_admin_work
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.documents import MAX_LOGO_BYTES
from ketalog.services.settings import (
    CLINIC_LOGO_PICTURE,
    get_setting,
    picture_digest,
    put_setting,
    set_setting,
    stored_settings,
    system_timezone_name,
)


@dataclass(frozen=True)
class SettingRow:
    """One setting as shown: its key, label, the text of its value and what it means."""

    key: str
    label: str
    text: str
    hint: str
    #: False while nothing is stored and the default applies
    stored: bool


def _default_text(setting: ClinicSetting) -> str:
    if setting.kind is SettingKind.ZONE:
        return system_timezone_name()
    return setting.show(setting.default)


def clinic_settings(db: Session, actor: Actor) -> list[SettingRow]:
    """Every clinic setting with its value now (administrators)."""
    authorize_admin_work(db, actor, Permission.MANAGE_SETTINGS)
    stored = stored_settings(db)  # one query for the whole list
    rows = []
    for setting in CLINIC_SETTINGS:
        value = stored.get(setting.key)
        text = setting.show(value) if value is not None else _default_text(setting)
        rows.append(SettingRow(setting.key, setting.label, text, setting.hint,
                               value is not None))
    db.rollback()  # read only: end the transaction
    return rows


def change_clinic_setting(db: Session, actor: Actor, key: str, text: str, *,
                          clock: Clock = system_clock) -> bool:
    """Store the value typed for ``key``; False when it equals what is stored already.

    Raises ValidationError (nothing stored) for an unknown key or a value the
    setting does not accept, including a logo file that cannot be read.
    """
    authorize_admin_work(db, actor, Permission.MANAGE_SETTINGS)
    setting = clinic_setting(key)
    value = setting.parse(text)
    if setting.kind is SettingKind.IMAGE_FILE:
        return _change_logo(db, actor, setting, value, now=clock())
    if get_setting(db, key) == value:
        db.rollback()
        return False
    set_setting(db, actor, key, value, clock=clock)  # audited with old and new, committed
    return True


def _change_logo(db: Session, actor: Actor, setting: ClinicSetting, value: object, *,
                 now: datetime) -> bool:
    """Store the logo's path and its picture together, so every workstation prints it.

    The picture goes into the database (a path names a file on one laptop only); the
    path stays beside it so the administrator sees which file it came from.
    """
    picture: str | None = None
    if isinstance(value, str):
        path = Path(value).expanduser()
        if not path.is_file():
            raise setting.refuse(f"There is no file {path}; give the full path of the logo.")
        if path.stat().st_size > MAX_LOGO_BYTES:
            raise setting.refuse(f"The logo file is larger than {MAX_LOGO_BYTES // 2**20} MB; "
                                 "use a smaller image.")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise setting.refuse(f"The logo file {path} cannot be read "
                                 f"({error.strerror or error}).") from error
        if not is_logo_picture(data):
            raise setting.refuse(f"{path.name} is not a PNG or JPEG picture; "
                                 "save the logo as one.")
        value = str(path.resolve())
        picture = base64.b64encode(data).decode("ascii")
    if get_setting(db, setting.key) == value and get_setting(db, CLINIC_LOGO_PICTURE) == picture:
        db.rollback()
        return False
    put_setting(db, actor, setting.key, value, now=now)
    put_setting(db, actor, CLINIC_LOGO_PICTURE, picture, now=now, shown=picture_digest)
    db.commit()
    return True
