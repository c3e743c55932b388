"""Clinic time across every daylight-saving change of several zones, both hemispheres.

Issue 16, item 1: on the night the clocks go back, readings from 01:00 EDT to
01:30 EST printed as 01:00...01:50 twice with no zone; a booking at 02:30 on
the night they go forward silently became 03:30.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketalog.domain.clinic_time import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    clock_text,
    local_instants,
    moment_text,
    offset_changes_on,
    resolve_local,
    typed_clock_time,
    unambiguous_utc,
    zone_note,
)
from ketalog.domain.errors import ValidationError

ZONES = [ZoneInfo(name) for name in ("America/New_York", "Europe/Berlin", "Australia/Sydney",
                                     "America/Santiago", "Pacific/Auckland", "Asia/Kolkata",
                                     "America/St_Johns", "Australia/Lord_Howe")]
NEW_YORK = ZoneInfo("America/New_York")


def _transition_days(tz: ZoneInfo, year: int) -> list[date]:
    day, days = date(year, 1, 1), []
    while day.year == year:
        if offset_changes_on(day, tz):
            days.append(day)
        day += timedelta(days=1)
    return days


@pytest.mark.parametrize("tz", ZONES, ids=lambda z: z.key)
def test_every_minute_of_a_changing_day_reads_differently(tz: ZoneInfo) -> None:
    """No two instants of a day print the same, whichever way the clocks went."""
    for day in _transition_days(tz, 2026):
        start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
        texts = []
        moment = start
        while moment < end:
            texts.append(clock_text(moment, tz))
            moment += timedelta(minutes=1)
        assert len(texts) == len(set(texts)), (tz.key, day)


@settings(max_examples=300)
@given(st.sampled_from(ZONES), st.datetimes(min_value=datetime(2000, 1, 1),
                                            max_value=datetime(2040, 12, 31)))
def test_every_instant_resolves_back_to_itself_or_is_one_of_two(tz: ZoneInfo,
                                                               naive: datetime) -> None:
    instant = naive.replace(second=0, microsecond=0, tzinfo=UTC)
    local = instant.astimezone(tz)
    try:
        assert resolve_local(local.date(), local.time(), tz) == instant
    except AmbiguousLocalTime as twice:
        assert instant in [c.at_utc for c in twice.choices]
        assert len(twice.choices) == 2


@settings(max_examples=300)
@given(st.sampled_from(ZONES), st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
       st.times())
def test_a_wall_time_is_refused_only_when_it_is_skipped_or_repeated(
        tz: ZoneInfo, day: date, wall: time) -> None:
    wall = wall.replace(microsecond=0)
    instants = local_instants(day, wall, tz)
    try:
        at = resolve_local(day, wall, tz)
    except NonexistentLocalTime:
        assert instants == ()
        assert offset_changes_on(day, tz)
    except AmbiguousLocalTime as twice:
        assert len(instants) == 2 and offset_changes_on(day, tz)
        assert {c.at_utc.astimezone(tz).replace(tzinfo=None) for c in twice.choices} == {
            datetime.combine(day, wall)}
    else:
        assert instants == (at,)
        assert at.astimezone(tz).replace(tzinfo=None) == datetime.combine(day, wall)


def test_the_night_the_clocks_go_back_in_new_york() -> None:
    day = date(2026, 11, 1)
    readings = [datetime(2026, 11, 1, 5, 0, tzinfo=UTC) + timedelta(minutes=10 * i)
                for i in range(10)]  # 01:00 EDT ... 01:30 EST
    assert [clock_text(r, NEW_YORK) for r in readings] == [
        "01:00 EDT", "01:10 EDT", "01:20 EDT", "01:30 EDT", "01:40 EDT", "01:50 EDT",
        "01:00 EST", "01:10 EST", "01:20 EST", "01:30 EST"]
    with pytest.raises(AmbiguousLocalTime) as twice:
        resolve_local(day, time(1, 30), NEW_YORK, field="scheduled_at")
    assert str(twice.value) == (
        "01:30 on 2026-11-01 happens twice in America/New_York (the clocks go back that "
        "night): choose 01:30 EDT (UTC-04:00) or 01:30 EST (UTC-05:00).")
    assert [c.label for c in twice.value.choices] == ["01:30 EDT", "01:30 EST"]
    assert zone_note(day, NEW_YORK) == (
        "America/New_York; the clocks change on 2026-11-01 from EDT (UTC-04:00) to EST "
        "(UTC-05:00), so every time that day is marked with its zone")
    # the day before and after read as they always did
    assert clock_text(datetime(2026, 10, 31, 13, 5, tzinfo=UTC), NEW_YORK) == "09:05"
    assert zone_note(date(2026, 11, 2), NEW_YORK) == "America/New_York, EST"


def test_a_skipped_time_is_refused_with_the_reason() -> None:
    with pytest.raises(NonexistentLocalTime) as skipped:
        resolve_local(date(2026, 3, 8), time(2, 30), NEW_YORK, field="scheduled_at")
    assert str(skipped.value) == (
        "02:30 on 2026-03-08 does not exist in America/New_York: the clocks go forward that "
        "night (EST to EDT). Choose another time, e.g. 03:30 EDT.")
    assert skipped.value.problems[0].field == "scheduled_at"
    # the same wall time, handed over as a zone-aware datetime, is refused the same way
    with pytest.raises(NonexistentLocalTime):
        unambiguous_utc(datetime(2026, 3, 8, 2, 30, tzinfo=NEW_YORK))
    # an instant (UTC or a fixed offset) is never ambiguous
    fixed = datetime(2026, 11, 1, 1, 30, tzinfo=UTC) - timedelta(hours=5)
    assert unambiguous_utc(fixed) == fixed


def test_a_moment_carries_its_date_when_it_is_another_day() -> None:
    at = datetime(2026, 11, 2, 6, 30, tzinfo=UTC)  # 01:30 EST on the 2nd
    assert moment_text(at, NEW_YORK, day=date(2026, 11, 2)) == "01:30"
    assert moment_text(at, NEW_YORK, day=date(2026, 11, 1)) == "2026-11-02 01:30"
    assert moment_text(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), NEW_YORK) == (
        "2026-11-01 01:30 EST")


def test_a_time_typed_on_the_night_the_clocks_go_back() -> None:
    """The repeated 01:30: the one passed; when both have passed, the nurse types the zone."""
    at_0110_est = datetime(2026, 11, 1, 6, 10, tzinfo=UTC)
    assert typed_clock_time("01:30", at_0110_est, NEW_YORK) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, forty minutes ago
    at_0200_est = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)
    with pytest.raises(AmbiguousLocalTime, match=r"Type the time with its zone, e\.g\. "
                                                 r"01:30 EST\."):
        typed_clock_time("01:30", at_0200_est, NEW_YORK)
    assert typed_clock_time("01:30 est", at_0200_est, NEW_YORK) == datetime(
        2026, 11, 1, 6, 30, tzinfo=UTC)
    assert typed_clock_time("0130EDT", at_0200_est, NEW_YORK) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC)
    with pytest.raises(ValidationError, match="01:30 CET is not a time in the clinic's zone"):
        typed_clock_time("01:30 CET", at_0200_est, NEW_YORK)
    # an ordinary day: as before, and just after midnight "23:50" is yesterday's
    just_after_midnight = datetime(2026, 11, 21, 5, 5, tzinfo=UTC)  # 00:05 EST
    assert typed_clock_time("23:50", just_after_midnight, NEW_YORK) == datetime(
        2026, 11, 21, 4, 50, tzinfo=UTC)
    with pytest.raises(ValidationError, match="Time 25:00 is not a clock time"):
        typed_clock_time("25:00", just_after_midnight, NEW_YORK)


def test_a_skipped_time_typed_at_the_chair_is_refused() -> None:
    at_0310_edt = datetime(2026, 3, 8, 7, 10, tzinfo=UTC)
    with pytest.raises(NonexistentLocalTime, match="02:30 on 2026-03-08 does not exist"):
        typed_clock_time("02:30", at_0310_edt, NEW_YORK)
