"""The lock page's chair lines: what each chair needs now, most urgent first, no identity."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketalog.domain.chair_status import (
    ChairFacts,
    Urgency,
    alert_need,
    chair_lines,
    clock_text,
    infusion_end_at,
)
from ketalog.domain.infusion import PumpEvent, infusion_progress

NOW = datetime(2026, 11, 21, 15, 47, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")  # 16:47 local at NOW


def minutes(delta: float) -> datetime:
    return NOW + timedelta(minutes=delta)


def texts(*facts: ChairFacts, tz: ZoneInfo = BERLIN) -> list[str]:
    return [line.text for line in chair_lines(facts, NOW, tz)]


def test_the_issue_example_most_urgent_first() -> None:
    lines = texts(
        ChairFacts("Chair 1", "infusing", minutes(8), unacknowledged_alerts=1),
        ChairFacts("Chair 2", "infusing", minutes(-2)),
        ChairFacts("Chair 3", "recovering", minutes(12)),
    )
    assert lines == ["Chair 2: vitals overdue since 16:45",
                     "Chair 1: alert not acknowledged",
                     "Chair 3: recovering, next vitals 16:59"]


def test_the_alert_line_comes_from_the_count_of_open_alerts() -> None:
    assert alert_need(0) is None
    one, three = alert_need(1), alert_need(3)
    assert one is not None and (one.urgency, one.text) == (Urgency.NOW, "alert not acknowledged")
    assert three is not None and three.text == "3 alerts not acknowledged"
    quiet = ChairFacts("Chair 1", "recovering", minutes(10))
    assert texts(quiet) == ["Chair 1: recovering, next vitals 16:57"]
    loud = dataclasses.replace(quiet, unacknowledged_alerts=2)
    assert texts(loud) == ["Chair 1: 2 alerts not acknowledged"]
    assert chair_lines([loud], NOW, BERLIN)[0].urgency is Urgency.NOW


def test_overdue_is_after_the_due_time_not_at_it() -> None:
    at_due = ChairFacts("Chair 1", "infusing", NOW)
    assert texts(at_due) == ["Chair 1: vitals due at 16:47"]
    assert chair_lines([at_due], NOW, BERLIN)[0].urgency is Urgency.SOON
    late = dataclasses.replace(at_due, next_vitals_due_at_utc=minutes(-0.5))
    assert texts(late) == ["Chair 1: vitals overdue since 16:46"]


def test_older_overdue_chairs_come_first_then_by_chair_number() -> None:
    lines = texts(
        ChairFacts("Chair 10", "recovering", minutes(-3)),
        ChairFacts("Chair 2", "infusing", minutes(-9)),
        ChairFacts("Chair 9", "recovering", minutes(30)),
        ChairFacts("Chair 1", "checked_in", None),
        ChairFacts("Chair 11", "paused", minutes(3), paused_since_utc=minutes(-4)),
    )
    assert lines == [
        "Chair 2: vitals overdue since 16:38",
        "Chair 10: vitals overdue since 16:44",
        "Chair 11: infusion paused since 16:43; vitals due at 16:50",
        "Chair 9: recovering, next vitals 17:17",
        "Chair 1: checked in",
    ]


def test_infusion_end_soon_and_past() -> None:
    running = ChairFacts("Chair 1", "infusing", minutes(9), infusion_ends_at_utc=minutes(20))
    assert texts(running) == ["Chair 1: infusing, next vitals 16:56"]
    soon = dataclasses.replace(running, infusion_ends_at_utc=minutes(4))
    assert texts(soon) == ["Chair 1: infusion ends at 16:51"]
    past = dataclasses.replace(running, infusion_ends_at_utc=minutes(-6))
    assert texts(past) == ["Chair 1: infusion reached its planned end at 16:41; stop not "
                           "recorded"]
    # a paused infusion is not "ending": the paused line says it
    paused = dataclasses.replace(past, state="paused", paused_since_utc=minutes(-10))
    assert texts(paused) == ["Chair 1: infusion paused since 16:37"]


def test_one_line_per_chair_with_every_pressing_need() -> None:
    lines = chair_lines([
        ChairFacts("Chair 3", "recovering", minutes(20)),  # routine: dropped beside the rest
        ChairFacts("Chair 3", "checked_in", minutes(-1)),
        ChairFacts("Chair 3", "paused", minutes(2), unacknowledged_alerts=1,
                   paused_since_utc=minutes(-15)),
    ], NOW, BERLIN)
    assert [line.text for line in lines] == [
        "Chair 3: vitals overdue since 16:46; alert not acknowledged; "
        "infusion paused since 16:32; vitals due at 16:49"]


def test_no_monitored_session_means_no_line() -> None:
    assert chair_lines([], NOW, BERLIN) == ()


def test_times_carry_the_zone_on_a_day_the_clocks_change() -> None:
    assert clock_text(datetime(2026, 11, 21, 15, 45, tzinfo=UTC), BERLIN) == "16:45"
    assert clock_text(datetime(2026, 10, 25, 15, 45, tzinfo=UTC), BERLIN) == "16:45 CET"
    assert clock_text(datetime(2026, 10, 24, 23, 45, tzinfo=UTC), BERLIN) == "01:45 CEST"
    assert clock_text(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), BERLIN) == "03:30 CEST"


def test_no_field_can_carry_a_patient() -> None:
    names = {f.name for f in dataclasses.fields(ChairFacts)}
    assert not names & {"patient_name", "mrn", "birth_date", "patient_id", "session_id"}


START = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)


def at(minute: float) -> datetime:
    return START + timedelta(minutes=minute)


def test_infusion_end_from_the_pump_log() -> None:
    bag, rate = Decimal(100), Decimal(150)  # 100 mL at 150 mL/h: 40 minutes
    end = infusion_end_at([PumpEvent("start", at(0))], bag_volume_ml=bag,
                          planned_rate_ml_per_h=rate)
    assert end == at(40)
    # a 10-minute pause moves the end by 10 minutes
    paused = [PumpEvent("start", at(0)), PumpEvent("pause", at(20)), PumpEvent("resume", at(30))]
    assert infusion_end_at(paused, bag_volume_ml=bag, planned_rate_ml_per_h=rate) == at(50)
    # still paused: no end to announce
    assert infusion_end_at(paused[:2], bag_volume_ml=bag, planned_rate_ml_per_h=rate) is None
    # halved rate after 20 minutes: 50 mL left at 75 mL/h is 40 more minutes
    slower = [PumpEvent("start", at(0)), PumpEvent("rate_change", at(20), Decimal(75))]
    assert infusion_end_at(slower, bag_volume_ml=bag, planned_rate_ml_per_h=rate) == at(60)
    # stopped before the bag was given: no end to announce; no bag (IM, nasal) or no rate:
    # unknown
    assert infusion_end_at([PumpEvent("start", at(0)), PumpEvent("stop_early", at(30))],
                           bag_volume_ml=bag, planned_rate_ml_per_h=rate) is None
    assert infusion_end_at([PumpEvent("start", at(0))], bag_volume_ml=None,
                           planned_rate_ml_per_h=rate) is None
    assert infusion_end_at([PumpEvent("start", at(0))], bag_volume_ml=bag,
                           planned_rate_ml_per_h=None) is None
    # an end already passed is returned as the moment it was reached
    passed = [PumpEvent("start", at(0)), PumpEvent("rate_change", at(60), Decimal(100))]
    assert infusion_end_at(passed, bag_volume_ml=bag, planned_rate_ml_per_h=rate) == at(40)


@given(st.lists(st.tuples(st.sampled_from(["pause", "resume", "rate_change"]),
                          st.integers(1, 90), st.integers(30, 300)), max_size=6))
def test_the_end_is_where_the_progress_has_nothing_left(
        steps: list[tuple[str, int, int]]) -> None:
    """At the computed end the session view's progress says 0 minutes remain, not before."""
    bag, rate = Decimal(100), Decimal(150)
    events = [PumpEvent("start", at(0))] + sorted(
        (PumpEvent(kind, at(minute), Decimal(r) if kind == "rate_change" else None)
         for kind, minute, r in steps), key=lambda e: e.at)
    end = infusion_end_at(events, bag_volume_ml=bag, planned_rate_ml_per_h=rate)
    if end is None:
        return

    def remaining(moment: datetime) -> Decimal | None:
        seen = [e for e in events if e.at <= moment]
        return infusion_progress(seen, total_mg=Decimal(40), bag_volume_ml=bag,
                                 planned_rate_ml_per_h=rate, now=moment).remaining_min

    before = remaining(end - timedelta(seconds=30))
    assert before is not None and before > 0
    left = remaining(end + timedelta(microseconds=1))
    assert left is not None and left == pytest.approx(Decimal(0), abs=Decimal("0.01"))


def test_chairs_sort_by_their_numbers_whatever_else_the_name_holds() -> None:
    from ketalog.domain.chair_status import natural_key

    names = ["Chair 10", "²", "Chair 2", "Chair ²", "Recliner"]
    assert sorted(names, key=natural_key) == ["Chair 2", "Chair 10", "Chair ²", "Recliner", "²"]
