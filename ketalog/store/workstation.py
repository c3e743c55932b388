"""This workstation's own settings: which database to open, its alert sound, its lock page.

They cannot live in the database they point to, so they are a small JSON file
in the user's configuration folder. The file may hold the PostgreSQL password
inside the URL, so it is written readable by its owner only (mode 0600), and
completely or not at all. Reading it is one small file read: it is on the
start-up path.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from ketalog.store.errors import WorkstationConfigError as WorkstationConfigError
from ketalog.store.files import user_folder, write_atomically

#: Points the configuration folder elsewhere (tests, portable installs).
#: The environment variable naming the database (it overrides the workstation file).
ENV_DATABASE_URL = "KETALOG_DATABASE_URL"
ENV_CONFIG_DIR = "KETALOG_CONFIG_DIR"
CONFIG_FILENAME = "workstation.json"
#: Bumped when the file's meaning changes; a newer file is still read for the keys we know.
FORMAT_VERSION = 1


class LockAttention(StrEnum):
    """Whether the lock page flashes when a chair needs someone (``lock_attention``).

    The sound is :class:`AlertSound`, the workstation's one alert sound. Files
    written before it held "sound" and "flash_and_sound" here: they are read
    as their flash part, and their sound part as ``alert_sound`` beep.
    """

    FLASH = "flash"
    NONE = "none"

    @property
    def flashes(self) -> bool:
        """The chair status flashes and the window asks the desktop for attention."""
        return self is LockAttention.FLASH


class AlertSound(StrEnum):
    """The sound this workstation makes when an alert falls due (``alert_sound``).

    Per workstation, not per clinic: a quiet consulting room and the infusion
    room share one database. Only Qt's own beep is offered: the QtMultimedia
    sound effects need the system's PulseAudio library, which a clinic
    workstation may lack, and an alert sound must never fail silently.
    """

    OFF = "off"
    BEEP = "beep"


#: Unset or unreadable, the lock page flashes: a broken setting must not silence it.
DEFAULT_LOCK_ATTENTION = LockAttention.FLASH
#: Unset, the workstation is quiet (a clinic is noisy enough); the screens still show it.
DEFAULT_ALERT_SOUND = AlertSound.OFF
#: ``lock_attention`` values of files written before ``alert_sound``: (flash, sound).
_LEGACY_ATTENTION = {"sound": (LockAttention.NONE, AlertSound.BEEP),
                     "flash_and_sound": (LockAttention.FLASH, AlertSound.BEEP)}


@dataclass(frozen=True)
class WorkstationConfig:
    """What this workstation remembers between runs.

    Attributes:
        database_url: the database to open, or None for the default SQLite file.
        extra: keys this version does not know, kept so saving never drops what
            a newer ketalog wrote.
        lock_attention: whether the lock page flashes when a chair needs
            someone (flash by default).
        alert_sound: the sound made when an alert falls due, on any screen
            (off by default).
    """

    database_url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    lock_attention: LockAttention = DEFAULT_LOCK_ATTENTION
    alert_sound: AlertSound = DEFAULT_ALERT_SOUND


def lock_attention_of(value: object) -> LockAttention:
    """The stored ``lock_attention`` value; anything unknown means the default (flash)."""
    if isinstance(value, str) and value in _LEGACY_ATTENTION:
        return _LEGACY_ATTENTION[value][0]
    try:
        return LockAttention(value) if isinstance(value, str) else DEFAULT_LOCK_ATTENTION
    except ValueError:
        return DEFAULT_LOCK_ATTENTION


def alert_sound_of(value: object, legacy_attention: object = None) -> AlertSound:
    """The stored ``alert_sound``; unset, what an older file's ``lock_attention`` meant.

    Anything unknown means the default (off).
    """
    if value is None and isinstance(legacy_attention, str) and (
            legacy_attention in _LEGACY_ATTENTION):
        return _LEGACY_ATTENTION[legacy_attention][1]
    try:
        return AlertSound(value) if isinstance(value, str) else DEFAULT_ALERT_SOUND
    except ValueError:
        return DEFAULT_ALERT_SOUND


def config_folder(environ: Mapping[str, str] | None = None) -> Path:
    """The folder of the workstation file: ``$KETALOG_CONFIG_DIR`` or the platform's."""
    return user_folder("config", ENV_CONFIG_DIR, environ)


def workstation_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where this workstation's settings file lives."""
    return config_folder(environ) / CONFIG_FILENAME


def load_workstation_config(environ: Mapping[str, str] | None = None) -> WorkstationConfig:
    """Read the workstation file; no file means the defaults.

    A damaged file is refused rather than ignored: silently falling back to the
    local SQLite file would let a PostgreSQL clinic record patients in the
    wrong database.

    Raises:
        WorkstationConfigError: the file is unreadable or not ketalog's JSON.
    """
    path = workstation_config_path(environ)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return WorkstationConfig()
    except OSError as exc:
        raise WorkstationConfigError(
            f"Cannot read the workstation settings {path}: {exc.strerror}. "
            "Check its permissions, or open Settings and save the database again."
        ) from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WorkstationConfigError(
            f"The workstation settings {path} are damaged (not valid JSON). "
            "Open Settings and save the database again, or delete the file to use the "
            "local SQLite file."
        ) from exc
    if not isinstance(data, dict):
        raise WorkstationConfigError(
            f"The workstation settings {path} are not ketalog's (expected a JSON object). "
            "Open Settings and save the database again."
        )
    url = data.get("database_url")
    if url is not None and not isinstance(url, str):
        raise WorkstationConfigError(
            f"In the workstation settings {path}, database_url must be a text URL such as "
            "postgresql://USER@HOST/DATABASE. Open Settings and save the database again."
        )
    extra = {k: v for k, v in data.items()
             if k not in {"database_url", "format", "lock_attention", "alert_sound"}}
    attention = data.get("lock_attention")
    return WorkstationConfig(database_url=url or None,
                             lock_attention=lock_attention_of(attention),
                             alert_sound=alert_sound_of(data.get("alert_sound"), attention),
                             extra=extra)


def save_workstation_config(
    config: WorkstationConfig, environ: Mapping[str, str] | None = None
) -> Path:
    """Write the workstation file atomically, readable by its owner only.

    Returns the path written. Raises ``OSError`` when the folder cannot be
    created or the file cannot be written; the earlier file is then intact.
    """
    path = workstation_config_path(environ)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data: dict[str, Any] = dict(config.extra)
    data["format"] = FORMAT_VERSION
    data["database_url"] = config.database_url
    data["lock_attention"] = lock_attention_of(config.lock_attention).value
    data["alert_sound"] = alert_sound_of(config.alert_sound).value
    payload = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def write(out: BinaryIO) -> None:
        if hasattr(os, "fchmod"):  # the password must never be readable by others
            os.fchmod(out.fileno(), 0o600)
        out.write(payload)

    return write_atomically(path, write, temp_suffix=".json")


def database_url_source(cli_url: str | None = None,
                        environ: Mapping[str, str] | None = None) -> str:
    """Say where ``resolve_database_url`` takes the database from, in words.

    Same order as ``ketalog.store.engine.resolve_database_url``; a damaged file
    is named, not raised (this only describes).
    """
    env = os.environ if environ is None else environ
    if cli_url:
        return "the --database-url option"
    if env.get(ENV_DATABASE_URL):
        return f"the environment variable {ENV_DATABASE_URL}"
    path = workstation_config_path(env)
    try:
        saved = load_workstation_config(env).database_url
    except WorkstationConfigError:
        return f"the workstation settings {path} (damaged)"
    if saved:
        return f"the workstation settings {path}"
    return "the default SQLite file in the user data folder"
