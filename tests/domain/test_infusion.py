"""Infusion progress from pump events, checked against hand-worked arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ketalog.domain.infusion import PumpEvent, delivered_as_of, duration_text, infusion_progress

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def progress(events: list[PumpEvent], now_min: float, total: str = "40"):  # type: ignore[no-untyped-def]
    return infusion_progress(events, total_mg=Decimal(total), bag_volume_ml=Decimal(100),
                             planned_rate_ml_per_h=Decimal(150), now=at(now_min))


def test_running_20_minutes_at_150_ml_per_h_delivers_half() -> None:
    p = progress([PumpEvent("start", at(0), Decimal(150))], 20)
    # 150 mL/h x 20/60 h = 50 mL of 100 mL holding 40 mg -> 20 mg
    assert (p.running, p.delivered_ml, p.delivered_mg) == (True, Decimal(50), Decimal(20))
    assert p.remaining_min == Decimal(20)
    assert (p.elapsed_display, p.remaining_display, p.delivered_mg_display) == (
        "20:00", "20:00", "20.0 mg")


def test_delivered_as_of_a_moment_counts_only_what_had_happened_by_then() -> None:
    events = [PumpEvent("start", at(10), Decimal(150)), PumpEvent("stop", at(50))]

    def given(minute: float) -> Decimal | None:
        found = delivered_as_of(events, total_mg=Decimal(40), bag_volume_ml=Decimal(100),
                                planned_rate_ml_per_h=Decimal(150), as_of=at(minute))
        return None if found is None else found.delivered_mg

    assert given(5) is None  # not started yet at that moment: nothing given
    assert given(30) == Decimal(20)  # running: what has run so far, not the order
    assert given(90) == Decimal(40)  # the stop after 40 minutes
    assert delivered_as_of([], total_mg=Decimal(40), bag_volume_ml=Decimal(100),
                           planned_rate_ml_per_h=Decimal(150), as_of=at(90)) is None


def test_a_pause_is_not_counted() -> None:
    events = [PumpEvent("start", at(0), Decimal(150)), PumpEvent("pause", at(10)),
              PumpEvent("resume", at(15))]
    p = progress(events, 25)
    assert (p.running_min, p.delivered_mg) == (Decimal(20), Decimal(20))
    paused = progress(events[:2], 14)
    assert not paused.running and paused.running_min == Decimal(10)


def test_a_rate_change_counts_each_rate_for_its_own_minutes() -> None:
    events = [PumpEvent("start", at(0), Decimal(150)),
              PumpEvent("rate_change", at(20), Decimal(75))]
    p = progress(events, 40)
    # 50 mL in the first 20 min + 25 mL in the next 20 min = 75 mL -> 30 mg
    assert (p.delivered_ml, p.delivered_mg) == (Decimal(75), Decimal(30))
    assert p.current_rate_ml_per_h == Decimal(75)
    assert p.remaining_min == Decimal(20)  # 25 mL left at 75 mL/h


def test_the_bag_caps_what_can_be_delivered_and_stop_ends_it() -> None:
    events = [PumpEvent("start", at(0), Decimal(150)), PumpEvent("stop", at(60))]
    p = progress(events, 90)
    assert (p.delivered_ml, p.delivered_mg, p.running) == (Decimal(100), Decimal(40), False)
    assert p.remaining_min == Decimal(0)


def test_without_a_bag_the_dose_counts_when_given() -> None:
    given = infusion_progress([PumpEvent("start", at(0))], total_mg=Decimal("37.5"),
                              bag_volume_ml=None, planned_rate_ml_per_h=None, now=at(5))
    assert given.delivered_mg == Decimal("37.5") and given.remaining_display is None
    not_yet = infusion_progress([], total_mg=Decimal("37.5"), bag_volume_ml=None,
                                planned_rate_ml_per_h=None, now=at(5))
    assert not_yet.delivered_mg == 0


@pytest.mark.parametrize(("minutes", "text"), [
    ("0", "00:00"), ("-3", "00:00"), ("7.0833", "07:05"), ("19.99999", "20:00"),
    ("60", "1:00:00"), ("208.9", "3:28:54"),
])
def test_duration_text(minutes: str, text: str) -> None:
    assert duration_text(Decimal(minutes)) == text


def test_running_minutes_stand_still_while_paused_and_stop_at_the_stop() -> None:
    from ketalog.domain.infusion import pause_count, running_minutes

    events = [PumpEvent("start", at(0), Decimal(150)), PumpEvent("pause", at(10)),
              PumpEvent("resume", at(15)), PumpEvent("stop", at(40))]
    assert running_minutes(events[:2], at(14)) == Decimal(10)  # paused: the clock stands
    assert running_minutes(events, at(20)) == Decimal(15)  # the stop at 40 has not happened
    assert running_minutes(events, at(90)) == Decimal(35)  # after the stop: what ran
    assert pause_count(events) == 1


def test_intervals_as_they_stood_at_a_moment() -> None:
    from ketalog.domain.infusion import Interval, infusion_intervals

    events = [PumpEvent("start", at(0)), PumpEvent("pause", at(10)), PumpEvent("resume", at(15))]
    spans = infusion_intervals(events).until(at(12))
    assert spans.running == (Interval(at(0), at(10)),)
    assert spans.paused == (Interval(at(10), at(12)),)  # the open pause ends at the moment
