"""The clinic's own settings an administrator sets: what each means and what it accepts.

One list, read by the Settings window and by ``ketalog settings``, so the
rules for a clinic name, a time zone or the chairs are the same wherever they
are typed. Each setting turns the text an administrator typed into the stored
value, or refuses it with a message that says what to type instead; nothing
is stored on a refusal (the service stores, this only judges).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.roles import Role
from ketalog.domain.scheduling import (
    DEFAULT_CLOSED_DAYS,
    WEEKDAY_NAMES,
    closed_days_value,
    make_closed_days,
)

#: The most chairs a clinic lists (a typing slip of a long list is refused).
MAX_CHAIRS = 30
#: What applies while nothing is stored (the services read the same values).
DEFAULT_CLINIC_NAME = "ketalog clinic"
DEFAULT_CHAIRS = ("Chair 1", "Chair 2", "Chair 3")
DEFAULT_IDLE_LOCK_MINUTES = 10
IDLE_LOCK_RANGE = (1, 240)
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg")
#: The document footer is one printed line at the foot of every page: this many
#: characters still fit an A4 line at a readable size (documents shrink the type
#: for wide letters, never cut the words).
MAX_FOOTER_CHARS = 100
#: A weight differing from the last one (of the past 90 days) by more than this share is
#: confirmed with both weights shown: a slip, pounds for kilograms, another patient's weight.
DEFAULT_WEIGHT_CHANGE_PERCENT = 10
WEIGHT_CHANGE_PERCENT_RANGE = (1, 50)
#: Controlled-substance records are kept at least 2 years (21 CFR 1304.04(a)); several
#: states ask longer (California 3, Nebraska and Wisconsin 5), so the clinic sets it.
MIN_RETENTION_YEARS = 2
DEFAULT_RETENTION_YEARS = 2
RETENTION_YEARS_RANGE = (MIN_RETENTION_YEARS, 50)
#: The first bytes of the pictures a logo may be (PNG's signature, JPEG's start of image).
_PICTURE_STARTS = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def is_logo_picture(data: bytes) -> bool:
    """True for PNG or JPEG bytes: a text file renamed .png never reaches a document."""
    return data.startswith(_PICTURE_STARTS)


class StockAct(StrEnum):
    """The controlled-substance acts whose roles the clinic's DEA registrant decides."""

    RECEIVE = "receive"
    COUNT = "count"
    RESOLVE = "resolve"
    DESTROY = "destroy"


STOCK_ACT_WORDS: Mapping[StockAct, str] = {
    StockAct.RECEIVE: "receive controlled substances",
    StockAct.COUNT: "count controlled substances",
    StockAct.RESOLVE: "resolve a count discrepancy",
    StockAct.DESTROY: "destroy controlled substances",
}
#: Who may, while the clinic has not said: any staff member receives and counts; a
#: physician or an administrator resolves a discrepancy; clinicians destroy (with two
#: witnesses). The services read the stored setting over these.
STOCK_ACT_DEFAULT_ROLES: Mapping[StockAct, frozenset[Role]] = {
    StockAct.RECEIVE: frozenset(Role),
    StockAct.COUNT: frozenset(Role),
    StockAct.RESOLVE: frozenset({Role.PHYSICIAN, Role.ADMINISTRATOR}),
    StockAct.DESTROY: frozenset({Role.NURSE, Role.PHYSICIAN}),
}


def stock_act_roles(act: StockAct, value: object) -> frozenset[Role]:
    """The roles allowed ``act`` for a stored value (the default unless a list of roles)."""
    if isinstance(value, list) and value and all(v in Role._value2member_map_ for v in value):
        return frozenset(Role(v) for v in value)
    return STOCK_ACT_DEFAULT_ROLES[act]


def stock_roles_key(act: StockAct) -> str:
    """The setting that holds who may do ``act`` (stock_receive_roles, ...)."""
    return f"stock_{act.value}_roles"


def retention_years_from(value: object) -> int:
    """The years controlled-substance records are kept, for a stored value (at least 2)."""
    return _whole(value, RETENTION_YEARS_RANGE, DEFAULT_RETENTION_YEARS)


class SettingKind(StrEnum):
    """How a setting's text is read."""

    TEXT = "text"
    ZONE = "zone"
    CHAIRS = "chairs"
    CLOSED_DAYS = "closed_days"
    MINUTES = "minutes"
    IMAGE_FILE = "image_file"
    PERCENT = "percent"
    YEARS = "years"
    ROLES = "roles"


@dataclass(frozen=True)
class ClinicSetting:
    """One setting: its stored key, the words shown beside it, and how it is read."""

    key: str
    label: str
    kind: SettingKind
    hint: str
    #: the value used while nothing is stored
    default: object
    required: bool = False
    max_length: int = 200

    def parse(self, text: str) -> object:
        """The value to store for ``text``; ValidationError (naming this key) if it is not one."""
        return _PARSERS[self.kind](self, (text or "").strip())

    def show(self, value: object) -> str:
        """The stored value as an administrator types it."""
        if value is None:
            return ""
        if self.kind in (SettingKind.CHAIRS, SettingKind.ROLES) and isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if self.kind is SettingKind.CLOSED_DAYS and isinstance(value, dict):
            days = [WEEKDAY_NAMES[d][:3] for d in value.get("weekdays", [])]
            return "; ".join(part for part in (", ".join(days),
                                               ", ".join(value.get("dates", []))) if part)
        return str(value)

    def refuse(self, message: str) -> ValidationError:
        """A refusal of this setting's text."""
        return ValidationError([Problem(self.key, message)])


def _text(setting: ClinicSetting, text: str) -> object:
    if "\n" in text or "\r" in text:
        raise setting.refuse(f"{setting.label} is one line; leave out line breaks.")
    if not text.isprintable():
        raise setting.refuse(f"{setting.label} holds a tab or another character that does "
                             "not print; type it as plain text.")
    if setting.required and not text:
        raise setting.refuse(f"{setting.label} cannot be empty: documents print it.")
    if len(text) > setting.max_length:
        raise setting.refuse(f"{setting.label} is at most {setting.max_length} characters "
                             f"(this is {len(text)}).")
    return text


def _zone(setting: ClinicSetting, text: str) -> object:
    if not text:
        raise setting.refuse("Give the clinic's time zone, e.g. America/Chicago.")
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise setting.refuse(f"'{text}' is not a time zone name; use the IANA name of the "
                             "clinic's zone, e.g. America/Chicago or Europe/Berlin.") from None
    return text


def _chairs(setting: ClinicSetting, text: str) -> object:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise setting.refuse("List at least one chair, separated by commas "
                             "(e.g. Chair 1, Chair 2, Recliner A).")
    if len(names) > MAX_CHAIRS:
        raise setting.refuse(f"List at most {MAX_CHAIRS} chairs.")
    seen: set[str] = set()
    for name in names:
        if len(name) > 40:
            raise setting.refuse(f"The chair name '{name[:40]}...' is longer than 40 characters.")
        if name.casefold() in seen:
            raise setting.refuse(f"'{name}' is listed twice; each chair once.")
        seen.add(name.casefold())
    return names


def _closed_days(setting: ClinicSetting, text: str) -> object:
    weekdays: list[int] = []
    dates: list[date] = []
    abbreviations = {name[:3].casefold(): number for number, name in enumerate(WEEKDAY_NAMES)}
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        if part[:3].casefold() in abbreviations and not part[0].isdigit():
            weekdays.append(abbreviations[part[:3].casefold()])
            continue
        try:
            dates.append(date.fromisoformat(part))
        except ValueError:
            raise setting.refuse(f"'{part}' is neither a weekday (Sat, Sun) nor a date "
                                 "(YYYY-MM-DD).") from None
    try:
        closed = make_closed_days(weekdays, dates)
    except ValidationError as exc:
        raise setting.refuse(" ".join(p.message for p in exc.problems)) from None
    return closed_days_value(closed)


def _minutes(setting: ClinicSetting, text: str) -> object:
    low, high = IDLE_LOCK_RANGE
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise setting.refuse(f"{setting.label} is a whole number of minutes from {low} "
                             f"to {high}.")
    return int(text)


def _percent(setting: ClinicSetting, text: str) -> object:
    low, high = WEIGHT_CHANGE_PERCENT_RANGE
    digits = text.removesuffix("%").strip()
    if not (digits.isascii() and digits.isdigit()) or not low <= int(digits) <= high:
        raise setting.refuse(f"{setting.label} is a whole percent from {low} to {high} "
                             "(e.g. 10).")
    return int(digits)


def _image_file(setting: ClinicSetting, text: str) -> object:
    if text and not text.casefold().endswith(LOGO_SUFFIXES):
        raise setting.refuse("The logo must be a PNG or JPEG file (.png, .jpg).")
    return text or None


def _years(setting: ClinicSetting, text: str) -> object:
    low, high = RETENTION_YEARS_RANGE
    digits = text.removesuffix("years").removesuffix("year").strip()
    if not (digits.isascii() and digits.isdigit()) or not low <= int(digits) <= high:
        raise setting.refuse(f"{setting.label} is whole years from {low} to {high}: federal "
                             f"law asks at least {MIN_RETENTION_YEARS}, some states more "
                             "(California 3, Nebraska and Wisconsin 5).")
    return int(digits)


def _roles(setting: ClinicSetting, text: str) -> object:
    names = [name.strip().casefold() for name in text.split(",") if name.strip()]
    known = [role.value for role in Role]
    for name in names:
        if name not in known:
            raise setting.refuse(f"'{name}' is not a role; list roles from "
                                 f"{', '.join(known)}, separated by commas.")
    if not names:
        raise setting.refuse(f"{setting.label}: list at least one role ({', '.join(known)}).")
    return [role for role in known if role in names]  # each once, in the usual order


_PARSERS: dict[SettingKind, Callable[[ClinicSetting, str], object]] = {
    SettingKind.TEXT: _text, SettingKind.ZONE: _zone, SettingKind.CHAIRS: _chairs,
    SettingKind.CLOSED_DAYS: _closed_days, SettingKind.MINUTES: _minutes,
    SettingKind.IMAGE_FILE: _image_file, SettingKind.PERCENT: _percent,
    SettingKind.YEARS: _years, SettingKind.ROLES: _roles,
}

#: Every clinic setting, in the order the Settings window shows them.
CLINIC_SETTINGS: tuple[ClinicSetting, ...] = (
    ClinicSetting("clinic_name", "Clinic name", SettingKind.TEXT,
                  "printed at the top of every document", DEFAULT_CLINIC_NAME, required=True,
                  max_length=120),
    ClinicSetting("clinic_address", "Address", SettingKind.TEXT, "one line, on documents", ""),
    ClinicSetting("clinic_phone", "Phone", SettingKind.TEXT,
                  "on documents and the patient's visit report", "", max_length=80),
    ClinicSetting("clinic_logo_path", "Logo", SettingKind.IMAGE_FILE,
                  "a PNG or JPEG file, printed beside the clinic name", None),
    ClinicSetting("clinic_timezone", "Time zone", SettingKind.ZONE,
                  "IANA name, e.g. America/Chicago: times and \"today\" follow it", None,
                  required=True),
    ClinicSetting("chairs", "Chairs", SettingKind.CHAIRS,
                  "names separated by commas; a chair taken off the list keeps its past "
                  "sessions", list(DEFAULT_CHAIRS)),
    ClinicSetting("closed_days", "Closed days", SettingKind.CLOSED_DAYS,
                  "weekdays and dates, e.g. Sat, Sun; 2026-12-25",
                  closed_days_value(DEFAULT_CLOSED_DAYS)),
    ClinicSetting("idle_lock_minutes", "Idle lock (minutes)", SettingKind.MINUTES,
                  "a workstation locks after this long without input",
                  DEFAULT_IDLE_LOCK_MINUTES),
    ClinicSetting("document_footer", "Document footer", SettingKind.TEXT,
                  "one line at the foot of every page of every document, e.g. "
                  "\"Confidential: contains patient health information\"", "",
                  max_length=MAX_FOOTER_CHARS),
    ClinicSetting("weight_change_percent", "Weight change to confirm (%)", SettingKind.PERCENT,
                  "a weight differing from the last one (past 90 days) by more than this is "
                  "confirmed, both weights shown", DEFAULT_WEIGHT_CHANGE_PERCENT),
    ClinicSetting("record_retention_years", "Keep controlled-substance records (years)",
                  SettingKind.YEARS, "at least 2 (federal); your state may ask more",
                  DEFAULT_RETENTION_YEARS),
    *(ClinicSetting(stock_roles_key(act), f"Who may {STOCK_ACT_WORDS[act]}",
                    SettingKind.ROLES, "roles separated by commas (the registrant decides)",
                    [role.value for role in Role if role in STOCK_ACT_DEFAULT_ROLES[act]])
      for act in StockAct),
)
_BY_KEY = {s.key: s for s in CLINIC_SETTINGS}


def clinic_setting(key: str) -> ClinicSetting:
    """The setting stored under ``key``; ValidationError naming the known keys otherwise."""
    found = _BY_KEY.get(key)
    if found is None:
        raise ValidationError([Problem("key", f"There is no clinic setting '{key}'; the "
                                              f"settings are {', '.join(_BY_KEY)}.")])
    return found


# --- the stored values, read -------------------------------------------------------
#
# A stored value that is not what its setting accepts (written by an older
# version, or by hand) is read as the default, never as "off": a broken idle
# lock must still lock, a broken chair list still lists chairs.

#: Set only by the demo clinic (not an administrator setting): everything says DEMO.
DEMO_CLINIC = "demo_clinic"


def _whole(value: object, bounds: tuple[int, int], default: int) -> int:
    low, high = bounds
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return default


def idle_lock_from(value: object) -> int:
    """The idle lock in minutes for a stored value (the default unless 1-240 whole minutes)."""
    return _whole(value, IDLE_LOCK_RANGE, DEFAULT_IDLE_LOCK_MINUTES)


def weight_change_from(value: object) -> int:
    """The weight change to confirm, in percent, for a stored value (default unless 1-50)."""
    return _whole(value, WEIGHT_CHANGE_PERCENT_RANGE, DEFAULT_WEIGHT_CHANGE_PERCENT)


def chairs_from(value: object) -> tuple[str, ...]:
    """The chairs for a stored value (the default three unless a list of names)."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    return DEFAULT_CHAIRS


def zone_from(value: object) -> ZoneInfo | None:
    """The clinic's zone for a stored value; None while unset or not a zone name."""
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return None


def _line(value: object) -> str:
    return str(value) if value else ""


@dataclass(frozen=True)
class ClinicSettings:
    """The clinic's settings as stored, judged once: what documents, screens and checks use.

    Read in one go (``services.settings.read_clinic_settings``) where several
    are needed together, instead of one query per key with the key spelt at
    each call.
    """

    name: str = DEFAULT_CLINIC_NAME
    address: str = ""
    phone: str = ""
    logo_path: str | None = None
    #: None while an administrator has not set it (clinical entry is refused meanwhile)
    timezone: ZoneInfo | None = None
    chairs: tuple[str, ...] = DEFAULT_CHAIRS
    idle_lock_minutes: int = DEFAULT_IDLE_LOCK_MINUTES
    document_footer: str = ""
    weight_change_percent: int = DEFAULT_WEIGHT_CHANGE_PERCENT
    #: the demo clinic: made-up patients, never patient care
    demo: bool = False

    @property
    def zone(self) -> ZoneInfo:
        """The zone times are shown in: the clinic's, UTC until it is set."""
        return self.timezone or ZoneInfo("UTC")

    @classmethod
    def from_stored(cls, values: Mapping[str, object]) -> ClinicSettings:
        """The settings for the stored values by key (missing keys take their defaults)."""
        logo = values.get("clinic_logo_path")
        return cls(
            name=str(values.get("clinic_name", DEFAULT_CLINIC_NAME)),
            address=_line(values.get("clinic_address")),
            phone=_line(values.get("clinic_phone")),
            logo_path=logo if isinstance(logo, str) and logo else None,
            timezone=zone_from(values.get("clinic_timezone")),
            chairs=chairs_from(values.get("chairs")),
            idle_lock_minutes=idle_lock_from(values.get("idle_lock_minutes")),
            document_footer=_line(values.get("document_footer")),
            weight_change_percent=weight_change_from(values.get("weight_change_percent")),
            demo=values.get(DEMO_CLINIC) is True,
        )
