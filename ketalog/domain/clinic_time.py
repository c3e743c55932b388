"""Clinic time: every instant stored in UTC, shown in the clinic's zone, never ambiguous.

On the night the clocks go back, 01:00 to 01:59 happens twice; on the night
they go forward, 02:00 to 02:59 never happens. A time typed in the clinic's
zone is therefore resolved here: a time that does not exist is refused with
the reason, and a time that happens twice is refused with both readings to
choose from. Shown or printed, a time on a day whose UTC offset changes
carries its zone abbreviation ("01:20 EST"), so no two moments read the same.
Durations are always computed between UTC instants, never between wall times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from ketalog.domain.errors import Problem, ValidationError


@dataclass(frozen=True)
class TimeChoice:
    """One reading of a repeated wall time: the instant, and how it is shown ("01:30 EDT")."""

    at_utc: datetime
    label: str


class NonexistentLocalTime(ValidationError):
    """A wall time the clocks skip on the night they go forward."""


class AmbiguousLocalTime(ValidationError):
    """A wall time that happens twice on the night the clocks go back: choose one."""

    def __init__(self, problems: list[Problem], choices: tuple[TimeChoice, ...]) -> None:
        super().__init__(problems)
        self.choices = choices


def _offset_text(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _zone_name(moment: datetime) -> str:
    return moment.tzname() or _offset_text(moment)


@lru_cache(maxsize=512)
def offset_changes_on(day: date, tz: tzinfo) -> bool:
    """Whether the clinic's UTC offset changes during ``day`` (a daylight-saving day)."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start.utcoffset() != end.utcoffset()


def local_instants(day: date, wall: time, tz: tzinfo) -> tuple[datetime, ...]:
    """The UTC instants whose wall time in ``tz`` is ``day`` ``wall``: none, one or two."""
    naive = datetime.combine(day, wall.replace(tzinfo=None, fold=0))
    found: list[datetime] = []
    for fold in (0, 1):
        utc = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if utc.astimezone(tz).replace(tzinfo=None) == naive and utc not in found:
            found.append(utc)
    return tuple(sorted(found))


def resolve_local(day: date, wall: time, tz: tzinfo, *, field: str = "time") -> datetime:
    """The one UTC instant of a wall time in the clinic's zone, or the reason there is none."""
    instants = local_instants(day, wall, tz)
    if len(instants) == 1:
        return instants[0]
    shown = f"{wall:%H:%M} on {day.isoformat()}"
    zone = getattr(tz, "key", str(tz))
    naive = datetime.combine(day, wall.replace(tzinfo=None, fold=0))
    if not instants:
        before = naive.replace(tzinfo=tz, fold=0)
        after = naive.replace(tzinfo=tz, fold=1)
        moved = before.astimezone(UTC).astimezone(tz)  # where the clock reads then
        raise NonexistentLocalTime([Problem(field, (
            f"{shown} does not exist in {zone}: the clocks go forward that night "
            f"({_zone_name(before)} to {_zone_name(after)}). Choose another time, "
            f"e.g. {moved:%H:%M} {_zone_name(moved)}."))])
    choices = tuple(TimeChoice(at, f"{at.astimezone(tz):%H:%M} {_zone_name(at.astimezone(tz))}")
                    for at in instants)
    readings = " or ".join(f"{c.label} ({_offset_text(c.at_utc.astimezone(tz))})"
                           for c in choices)
    raise AmbiguousLocalTime([Problem(field, (
        f"{shown} happens twice in {zone} (the clocks go back that night): "
        f"choose {readings}."))], choices)


def unambiguous_utc(moment: datetime, *, field: str = "time") -> datetime:
    """``moment`` in UTC, refusing a wall time in a zone where it is skipped or repeated.

    A datetime in UTC or at a fixed offset is one instant already; one in a zone
    such as America/New_York is a wall time, checked with :func:`resolve_local`.
    """
    if moment.tzinfo is None:
        raise ValidationError.single(field, "The time has no time zone; this is a program error.")
    if isinstance(moment.tzinfo, ZoneInfo):
        return resolve_local(moment.date(), moment.timetz(), moment.tzinfo, field=field)
    return moment.astimezone(UTC)


def clock_text(at_utc: datetime, tz: tzinfo) -> str:
    """A time in the clinic's zone, "16:45"; "01:20 EST" on a day whose offset changes."""
    local = at_utc.astimezone(tz)
    text = local.strftime("%H:%M")
    if offset_changes_on(local.date(), tz):
        text += f" {_zone_name(local)}"
    return text


def moment_text(at_utc: datetime, tz: tzinfo, *, day: date | None = None,
                date_format: str = "%Y-%m-%d ") -> str:
    """A time, with its date in front when it is not on ``day`` (always, when ``day`` is None)."""
    local = at_utc.astimezone(tz)
    prefix = "" if day is not None and local.date() == day else local.strftime(date_format)
    return prefix + clock_text(at_utc, tz)


def zone_note(day: date, tz: tzinfo) -> str:
    """The zone a document's times are in: "America/New_York, EDT", or the change that day."""
    zone = getattr(tz, "key", str(tz))
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    if not offset_changes_on(day, tz):
        return f"{zone}, {_zone_name(start)}"
    return (f"{zone}; the clocks change on {day.isoformat()} from {_zone_name(start)} "
            f"({_offset_text(start)}) to {_zone_name(end)} ({_offset_text(end)}), so every "
            f"time that day is marked with its zone")


#: "14:05", "1405", "9.42", "14h05", with an optional zone to say which "01:30": "01:30 EST".
_TYPED_TIME = re.compile(r"(\d{1,2})[:.hH]?(\d{2})(?:\s*([A-Za-z][A-Za-z+\-0-9]{1,5}))?")


def typed_clock_time(text: str, now_utc: datetime, tz: tzinfo, *,
                     field: str = "time") -> datetime:
    """A time typed at the chair for something that just happened, in UTC.

    The day is the clinic's today (a time more than 12 hours ahead is
    yesterday's: charted just after midnight). On the night the clocks go
    back, a repeated time is the one already passed; when both have passed,
    the nurse says which by typing the zone ("01:30 EST"). A skipped time is
    refused with the reason.
    """
    match = _TYPED_TIME.fullmatch(text.strip())
    hours, minutes = (int(match.group(1)), int(match.group(2))) if match else (-1, -1)
    if match is None or not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise ValidationError.single(field, f"Time {text.strip()} is not a clock time; type it "
                                            "as HH:MM, e.g. 09:42, or leave it empty for now.")
    wall = time(hours, minutes)
    now_local = now_utc.astimezone(tz)
    day = now_local.date()
    if datetime.combine(day, wall) - now_local.replace(tzinfo=None) > timedelta(hours=12):
        day -= timedelta(days=1)
    zone = (match.group(3) or "").upper()
    instants = local_instants(day, wall, tz)
    if zone:
        named = [at for at in instants if _zone_name(at.astimezone(tz)).upper() == zone]
        if not named:
            names = " or ".join(_zone_name(at.astimezone(tz)) for at in instants) or "none"
            raise ValidationError.single(field, f"{wall:%H:%M} {zone} is not a time in the "
                                                f"clinic's zone that day (it reads {names}).")
        return named[0]
    if len(instants) == 2:
        passed = [at for at in instants if at <= now_utc]
        if len(passed) == 1:
            return passed[0]
        if not passed:
            return instants[0]  # both ahead: the service refuses it as in the future
        try:
            resolve_local(day, wall, tz, field=field)
        except AmbiguousLocalTime as twice:
            raise AmbiguousLocalTime([Problem(field, (
                f"{twice.messages[0]} Type the time with its zone, e.g. {twice.choices[-1].label}."
            ))], twice.choices) from None
    return resolve_local(day, wall, tz, field=field)
