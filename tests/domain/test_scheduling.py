"""Series planning, closed days, the course life cycle and "infusion n of N" numbering."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.scheduling import (
    DEFAULT_CLOSED_DAYS,
    BookedSession,
    ClosedDays,
    CourseAction,
    CoursePhase,
    CourseStatus,
    NumberedSession,
    course_end_refusals,
    course_transition,
    day_text,
    ensure_bookable,
    infusion_label,
    make_closed_days,
    number_sessions,
    plan_series,
    plan_series_days,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
MONDAY = date(2026, 12, 7)  # a Monday
MWF = {MON, WED, FRI}
NO_HOLIDAYS = DEFAULT_CLOSED_DAYS


def test_mon_wed_fri_times_six_from_a_monday_is_two_weeks() -> None:
    assert MONDAY.weekday() == MON
    days = plan_series(MONDAY, MWF, 6, NO_HOLIDAYS)
    assert days == [date(2026, 12, 7), date(2026, 12, 9), date(2026, 12, 11),
                    date(2026, 12, 14), date(2026, 12, 16), date(2026, 12, 18)]


def test_the_series_starts_on_the_next_chosen_weekday() -> None:
    tuesday = MONDAY + timedelta(days=1)
    assert plan_series(tuesday, MWF, 2, NO_HOLIDAYS) == [date(2026, 12, 9), date(2026, 12, 11)]


def test_a_closed_wednesday_moves_the_series_on() -> None:
    holiday = date(2026, 12, 9)
    closed = ClosedDays(frozenset({SAT, SUN}), frozenset({holiday}))
    days = plan_series(MONDAY, MWF, 6, closed)
    assert holiday not in days
    # the Wednesday's infusion goes to the Friday; the series ends one chosen day later
    assert days == [date(2026, 12, 7), date(2026, 12, 11), date(2026, 12, 14),
                    date(2026, 12, 16), date(2026, 12, 18), date(2026, 12, 21)]
    detail = plan_series_days(MONDAY, MWF, 6, closed)
    skipped = [d for d in detail if not d.booked]
    assert [(d.on, d.closed_reason) for d in skipped] == [(holiday, "closed (holiday)")]


def test_a_chosen_closed_weekday_is_skipped_every_week() -> None:
    days = plan_series(MONDAY, {MON, SAT}, 3, NO_HOLIDAYS)
    assert days == [date(2026, 12, 7), date(2026, 12, 14), date(2026, 12, 21)]
    detail = plan_series_days(MONDAY, {MON, SAT}, 3, NO_HOLIDAYS)
    assert [d.closed_reason for d in detail if not d.booked] == ["closed on Saturdays"] * 2


@pytest.mark.parametrize("count", [0, -1, 51, 1000])
def test_count_outside_1_to_50_is_refused(count: int) -> None:
    with pytest.raises(ValidationError) as refused:
        plan_series(MONDAY, MWF, count, NO_HOLIDAYS)
    assert refused.value.problems[0].field == "count"
    assert f"between 1 and 50 infusions in one series (not {count})" in str(refused.value)


@pytest.mark.parametrize("count", [1, 50])
def test_count_limits_are_accepted(count: int) -> None:
    assert len(plan_series(MONDAY, MWF, count, NO_HOLIDAYS)) == count


def test_no_weekday_is_refused() -> None:
    with pytest.raises(ValidationError, match="Choose at least one weekday"):
        plan_series(MONDAY, set(), 6, NO_HOLIDAYS)


def test_every_chosen_weekday_closed_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as refused:
        plan_series(MONDAY, {SAT, SUN}, 6, NO_HOLIDAYS)
    assert "closed on every chosen day (Sat/Sun)" in str(refused.value)


def test_several_problems_are_listed_together() -> None:
    with pytest.raises(ValidationError) as refused:
        plan_series(MONDAY, set(), 0, NO_HOLIDAYS)
    assert [p.field for p in refused.value.problems] == ["count", "weekdays"]


def test_a_weekday_number_outside_the_week_is_refused() -> None:
    with pytest.raises(ValidationError, match="0 \\(Monday\\) to 6 \\(Sunday\\)"):
        plan_series(MONDAY, {7}, 6, NO_HOLIDAYS)


def test_closed_days_need_an_open_weekday() -> None:
    with pytest.raises(ValidationError, match="open on at least one weekday"):
        make_closed_days(range(7), [])
    closed = make_closed_days([SUN], [date(2026, 12, 25)])
    assert closed.closed_reason(date(2026, 12, 25)) == "closed (holiday)"
    assert closed.closed_reason(date(2026, 12, 27)) == "closed on Sundays"
    assert not closed.is_closed(date(2026, 12, 26))


def test_day_text_reads_like_a_diary() -> None:
    assert day_text(date(2026, 12, 25)) == "Fri 25 Dec 2026"


# --- course life cycle -----------------------------------------------------------


def test_induction_moves_to_maintenance_while_active() -> None:
    change = course_transition("active", "induction", "start_maintenance")
    assert (change.status, change.phase) == (CourseStatus.ACTIVE, CoursePhase.MAINTENANCE)
    with pytest.raises(TransitionRefused, match="already in maintenance"):
        course_transition("active", "maintenance", CourseAction.START_MAINTENANCE)


def test_an_active_course_completes_keeping_its_phase() -> None:
    change = course_transition("active", "maintenance", "complete")
    assert (change.status, change.phase) == (CourseStatus.COMPLETED, CoursePhase.MAINTENANCE)


def test_stopping_needs_a_reason() -> None:
    with pytest.raises(ValidationError, match="reason for stopping the course"):
        course_transition("active", "induction", "stop", reason="   ")
    change = course_transition("active", "induction", "stop", reason=" no response ")
    assert (change.status, change.reason) == (CourseStatus.STOPPED, "no response")


@pytest.mark.parametrize("status", ["completed", "stopped"])
@pytest.mark.parametrize("action", list(CourseAction))
def test_an_ended_course_changes_no_more(status: str, action: CourseAction) -> None:
    with pytest.raises(TransitionRefused, match=f"already {status}"):
        course_transition(status, "induction", action, reason="x")
    with pytest.raises(TransitionRefused, match=f"The course is {status}; nothing can be booked"):
        ensure_bookable(status)


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ValidationError, match="Unknown course action 'pause'"):
        course_transition("active", "induction", "pause")
    ensure_bookable("active")


def test_a_course_cannot_end_under_a_session_in_progress() -> None:
    at = datetime(2026, 12, 7, 9, tzinfo=UTC)
    sessions = [BookedSession(1, at, "signed", "Mon 7 Dec"),
                BookedSession(2, at + timedelta(days=2), "infusing", "Wed 9 Dec 09:00, Chair 1"),
                BookedSession(3, at + timedelta(days=4), "scheduled", "Fri 11 Dec 09:00, Chair 1")]
    stop = course_end_refusals("stop", sessions)
    assert stop == ["The session on Wed 9 Dec 09:00, Chair 1 is infusing; finish it before "
                    "ending the course."]
    complete = course_end_refusals("complete", sessions)
    assert len(complete) == 2
    assert "1 session is still booked (first Fri 11 Dec 09:00, Chair 1)" in complete[1]
    assert course_end_refusals("stop", sessions[:1] + sessions[2:]) == []


# --- numbering -------------------------------------------------------------------


def _s(sid: int, day: int, state: str = "scheduled", number: int | None = None,
       signed: bool = False) -> NumberedSession:
    return NumberedSession(sid, datetime(2026, 12, day, 9, tzinfo=UTC), state, number, signed)


def test_numbers_follow_scheduled_time_not_booking_order() -> None:
    sessions = [_s(1, 11, number=1), _s(2, 7, number=2), _s(3, 9, number=3)]
    assert number_sessions(sessions) == {2: 1, 3: 2, 1: 3}


def test_numbering_after_a_cancellation_has_no_repeats() -> None:
    # the old rule (count of non-cancelled + 1) booked session 4 as "3" again
    sessions = [_s(1, 7, "signed", 1, signed=True), _s(2, 9, "cancelled", 2),
                _s(3, 11, number=3), _s(4, 14, number=3)]
    numbers = number_sessions(sessions)
    assert numbers == {1: 1, 2: None, 3: 2, 4: 3}
    given = [n for n in numbers.values() if n is not None]
    assert len(given) == len(set(given))


def test_given_and_signed_sessions_keep_their_numbers() -> None:
    sessions = [_s(1, 7, "signed", 1, signed=True), _s(2, 9, "recovering", 2),
                _s(3, 8, "scheduled", 3)]
    # a no-show left scheduled before a given session skips the numbers already given
    numbers = number_sessions(sessions)
    assert numbers[1] == 1 and numbers[2] == 2
    assert numbers[3] == 3


def test_a_signed_session_without_a_number_is_left_alone() -> None:
    assert number_sessions([_s(1, 7, "signed", None, signed=True), _s(2, 9)]) == {1: None, 2: 1}


def test_the_label_says_maintenance_past_the_induction() -> None:
    assert infusion_label(3, 6) == "infusion 3 of 6"
    assert infusion_label(7, 6) == "infusion 7 (maintenance)"
    assert infusion_label(None, 6) == "not numbered"
