"""Planning a course's sessions: series dates, closed days, course life cycle, numbering.

A clinic sells a course: an induction series (commonly six infusions over two
to three weeks, e.g. Monday/Wednesday/Friday), then maintenance boosters. The
rules here are pure so that the scheduling dialog, the services and the tests
meet the same answers:

- :func:`plan_series` walks the calendar from the first day over the chosen
  weekdays; a day the clinic is closed is skipped and the series simply
  continues on the next chosen weekday (it is never squeezed onto another
  day of the same week).
- :func:`course_transition` is the course life cycle: ``induction ->
  maintenance`` while active, ``active -> completed``, ``active -> stopped``
  (with a reason). Nothing is booked in a completed or stopped course.
- :func:`number_sessions` gives "infusion n of N": the course's non-cancelled
  sessions in scheduled-time order are numbered 1, 2, 3 ... A session already
  given (dose started) keeps its number; a signed one is never touched.
  Maintenance boosters continue the course numbering; a number above the
  planned induction infusions reads "infusion 7 (maintenance)" (see
  :func:`infusion_label`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final, TypeVar

from ketalog.domain.errors import Problem, TransitionRefused, ValidationError
from ketalog.domain.session_state import DOSE_STARTED_STATES, SessionState

#: Monday = 0 ... Sunday = 6, as ``date.weekday()`` counts.
WEEKDAY_NAMES: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                        "Sunday")
WEEKDAY_SHORT: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Most sessions one series may book (the planned-infusions limit of a course).
MAX_SERIES_SESSIONS: Final = 50
#: Minutes a patient is at the chair before the dose starts (check-in, vitals, dose check).
CHECK_IN_MIN: Final = 20
#: Most closed dates (holidays) a clinic lists; more is a typing slip, not a calendar.
MAX_CLOSED_DATES: Final = 400


def day_text(day: date) -> str:
    """"Fri 25 Dec 2026": the form a nurse reads a booking date in."""
    return f"{WEEKDAY_SHORT[day.weekday()]} {day.day} {day:%b %Y}"


def weekdays_text(weekdays: Iterable[int]) -> str:
    """"Mon/Wed/Fri" for a set of weekday numbers."""
    return "/".join(WEEKDAY_SHORT[d] for d in sorted(set(weekdays)))


# --- closed days -----------------------------------------------------------------


@dataclass(frozen=True)
class ClosedDays:
    """When the clinic does not treat: weekly closed weekdays and single dates (holidays)."""

    weekdays: frozenset[int]
    dates: frozenset[date]

    def closed_reason(self, day: date) -> str | None:
        """Why the clinic is closed on ``day`` ("closed on Saturdays", "holiday"), or None."""
        if day.weekday() in self.weekdays:
            return f"closed on {WEEKDAY_NAMES[day.weekday()]}s"
        if day in self.dates:
            return "closed (holiday)"
        return None

    def is_closed(self, day: date) -> bool:
        """Whether no session may be booked on ``day``."""
        return self.closed_reason(day) is not None


#: Without a setting the clinic treats Monday to Friday.
DEFAULT_CLOSED_DAYS: Final = ClosedDays(frozenset({5, 6}), frozenset())


def _weekday_problems(weekdays: object, field: str) -> list[Problem]:
    if not isinstance(weekdays, Collection) or isinstance(weekdays, str) or not all(
        isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in weekdays
    ):
        return [Problem(field, "Weekdays are numbers 0 (Monday) to 6 (Sunday); "
                               "this is a program error.")]
    return []


def make_closed_days(weekdays: Iterable[int], dates: Iterable[date]) -> ClosedDays:
    """Validate what an administrator entered as the clinic's closed days.

    Raises:
        ValidationError: a weekday outside Monday-Sunday, a date that is not a
            date, every weekday closed, or an implausibly long holiday list.
    """
    days = list(weekdays)
    holidays = list(dates)
    problems = _weekday_problems(days, "weekdays")
    if not problems and len(set(days)) == 7:
        problems.append(Problem("weekdays", "The clinic must be open on at least one weekday; "
                                            "untick one."))
    if not all(isinstance(d, date) and not isinstance(d, datetime) for d in holidays):
        problems.append(Problem("dates", "Closed dates must be calendar dates (YYYY-MM-DD)."))
    elif len(set(holidays)) > MAX_CLOSED_DATES:
        problems.append(Problem("dates", f"List at most {MAX_CLOSED_DATES} closed dates; "
                                         "remove past holidays."))
    if problems:
        raise ValidationError(problems)
    return ClosedDays(frozenset(days), frozenset(holidays))


def closed_days_value(closed: ClosedDays) -> dict[str, list[int] | list[str]]:
    """The stored form of closed days (a clinic setting): weekdays, then ISO dates."""
    return {"weekdays": sorted(closed.weekdays),
            "dates": [d.isoformat() for d in sorted(closed.dates)]}


# --- a series of sessions --------------------------------------------------------


@dataclass(frozen=True)
class SeriesDay:
    """One chosen weekday the series passes: booked, or skipped because the clinic is closed."""

    on: date
    closed_reason: str | None = None

    @property
    def booked(self) -> bool:
        """Whether a session goes on this day (the clinic is open)."""
        return self.closed_reason is None


def plan_series_days(
    first_day: date, weekdays: Collection[int], count: int, closed: ClosedDays
) -> list[SeriesDay]:
    """Every chosen weekday from ``first_day`` until ``count`` open days are found.

    Closed days come back too (``closed_reason`` set), so a preview can say
    "Fri 25 Dec: clinic closed, moved". The series starts on ``first_day`` if
    it is a chosen weekday, else on the next one.

    Raises:
        ValidationError: ``count`` outside 1-50, no weekday chosen, or the clinic
            closed on every chosen weekday; every problem is listed.
    """
    problems: list[Problem] = []
    if not isinstance(count, int) or isinstance(count, bool):
        problems.append(Problem("count", "The number of infusions must be a whole number."))
    elif not 1 <= count <= MAX_SERIES_SESSIONS:
        problems.append(Problem("count", f"Plan between 1 and {MAX_SERIES_SESSIONS} infusions "
                                         f"in one series (not {count})."))
    weekday_problems = _weekday_problems(weekdays, "weekdays")
    problems += weekday_problems
    if not weekday_problems and not weekdays:
        problems.append(Problem("weekdays", "Choose at least one weekday for the series "
                                            "(e.g. Mon/Wed/Fri)."))
    elif not weekday_problems and all(d in closed.weekdays for d in weekdays):
        problems.append(Problem(
            "weekdays", f"The clinic is closed on every chosen day ({weekdays_text(weekdays)}); "
                        "choose a weekday it is open."))
    if not isinstance(first_day, date) or isinstance(first_day, datetime):
        problems.append(Problem("first_day", "Choose the date of the first infusion."))
    if problems:
        raise ValidationError(problems)
    chosen = frozenset(weekdays)
    days: list[SeriesDay] = []
    booked = 0
    day = first_day
    # terminates: at least one chosen weekday is open and closed dates are finite
    while booked < count:
        if day.weekday() in chosen:
            reason = closed.closed_reason(day)
            days.append(SeriesDay(day, reason))
            if reason is None:
                booked += 1
        day += timedelta(days=1)
    return days


def plan_series(
    first_day: date, weekdays: Collection[int], count: int, closed: ClosedDays
) -> list[date]:
    """The ``count`` dates of a series on the chosen weekdays, closed days skipped.

    Monday/Wednesday/Friday from a Monday with count 6 gives two weeks. A
    closed Wednesday moves that infusion to Friday, and the series ends one
    chosen weekday later. See :func:`plan_series_days` for the refusals.
    """
    return [d.on for d in plan_series_days(first_day, weekdays, count, closed) if d.booked]


# --- course life cycle -----------------------------------------------------------


E = TypeVar("E", bound=StrEnum)


class CourseStatus(StrEnum):
    """Whether a course still takes bookings."""

    ACTIVE = "active"
    COMPLETED = "completed"
    STOPPED = "stopped"


class CoursePhase(StrEnum):
    """Induction series first, maintenance boosters after."""

    INDUCTION = "induction"
    MAINTENANCE = "maintenance"


class CourseAction(StrEnum):
    """What a physician does to a course."""

    START_MAINTENANCE = "start_maintenance"
    COMPLETE = "complete"
    STOP = "stop"


@dataclass(frozen=True)
class CourseChange:
    """A course's status and phase after an action, and the reason given (stop only)."""

    status: CourseStatus
    phase: CoursePhase
    reason: str | None = None


def _parse(kind: type[E], value: object, field: str, what: str) -> E:
    """``value`` as a member of ``kind``, or a refusal naming the known values."""
    if isinstance(value, str):
        for member in kind:
            if member.value == value:
                return member
    names = ", ".join(m.value for m in kind)
    raise ValidationError.single(field, f"Unknown {what} '{value}'; use one of {names}.")


def course_transition(
    status: CourseStatus | str,
    phase: CoursePhase | str,
    action: CourseAction | str,
    *,
    reason: str | None = None,
) -> CourseChange:
    """Decide a course's new status and phase, or refuse saying why.

    - start maintenance: an active course in induction moves to maintenance;
      its numbering continues (booster 1 after six induction infusions is 7);
    - complete: an active course is completed;
    - stop: an active course is stopped; the reason is required.

    Raises:
        ValidationError: an unknown status/phase/action, or stop without a reason.
        TransitionRefused: the course is not active, or already in maintenance.
    """
    now_status = _parse(CourseStatus, status, "status", "course status")
    now_phase = _parse(CoursePhase, phase, "phase", "course phase")
    move = _parse(CourseAction, action, "action", "course action")
    if now_status is not CourseStatus.ACTIVE:
        raise TransitionRefused([f"The course is already {now_status.value}; nothing more can "
                                 "change. Open a new course for further treatment."])
    if move is CourseAction.START_MAINTENANCE:
        if now_phase is CoursePhase.MAINTENANCE:
            raise TransitionRefused(["The course is already in maintenance."])
        return CourseChange(CourseStatus.ACTIVE, CoursePhase.MAINTENANCE)
    if move is CourseAction.COMPLETE:
        return CourseChange(CourseStatus.COMPLETED, now_phase)
    if reason is not None and not isinstance(reason, str):
        raise ValidationError.single("reason", "The reason must be text.")
    why = (reason or "").strip()
    if not why:
        raise ValidationError.single(
            "reason", 'Give the reason for stopping the course (e.g. "no response after 4 '
                      'infusions", "patient\'s wish").')
    return CourseChange(CourseStatus.STOPPED, now_phase, why)


def ensure_bookable(status: CourseStatus | str) -> None:
    """Refuse a booking in a course that is completed or stopped.

    Raises:
        TransitionRefused: the course is not active, with what to do instead.
    """
    current = _parse(CourseStatus, status, "status", "course status")
    if current is not CourseStatus.ACTIVE:
        raise TransitionRefused([f"The course is {current.value}; nothing can be booked in it. "
                                 "Open a new course for further treatment."])


#: Session states in which the patient is at the clinic now: a course cannot end under them.
IN_PROGRESS_STATES: Final = frozenset({
    SessionState.CHECKED_IN, SessionState.INFUSING, SessionState.PAUSED,
    SessionState.RECOVERING, SessionState.STOPPED_EARLY,
})


@dataclass(frozen=True)
class BookedSession:
    """A session of the course as the ending rules need it."""

    session_id: int
    scheduled_at: datetime
    state: SessionState
    #: how the screen names it ("Mon 7 Dec 2026 09:00, Chair 1")
    label: str = ""


def course_end_refusals(
    action: CourseAction | str, sessions: Iterable[BookedSession]
) -> list[str]:
    """Why the course cannot be completed or stopped now (empty: it can).

    A session in progress must be finished first (whatever the action).
    Completing a course with sessions still booked is refused: cancel them,
    or stop the course, which cancels them with its reason.
    """
    move = _parse(CourseAction, action, "action", "course action")
    reasons: list[str] = []
    booked = sorted(sessions, key=lambda s: (s.scheduled_at, s.session_id))
    for s in booked:
        if s.state in IN_PROGRESS_STATES:
            state = s.state.replace("_", " ")
            reasons.append(f"The session on {s.label or s.session_id} is {state}; finish it "
                           "before ending the course.")
    if move is CourseAction.COMPLETE:
        waiting = [s for s in booked if s.state == SessionState.SCHEDULED]
        if waiting:
            first = waiting[0].label or str(waiting[0].session_id)
            many = f"{len(waiting)} sessions are" if len(waiting) > 1 else "1 session is"
            reasons.append(f"{many} still booked (first {first}); cancel them, or stop the "
                           "course, which cancels them, before completing it.")
    return reasons


# --- numbering -------------------------------------------------------------------


@dataclass(frozen=True)
class NumberedSession:
    """A session of a course as the numbering rule sees it."""

    session_id: int
    scheduled_at: datetime
    state: SessionState
    number: int | None
    #: a physician signature exists: the database refuses any change to the row
    signed: bool = False


def _keeps_number(s: NumberedSession) -> bool:
    if s.signed or s.state == SessionState.SIGNED:
        return True
    return s.number is not None and s.state in DOSE_STARTED_STATES


def number_sessions(sessions: Sequence[NumberedSession]) -> dict[int, int | None]:
    """The "infusion n" number every session of one course should carry.

    - cancelled sessions carry no number (so no number repeats after a cancellation);
    - a signed session keeps whatever it has (the record is closed);
    - a session already given (dose started) keeps its number;
    - every other session, in scheduled-time order, takes the next number after
      the ones before it, skipping numbers kept by given sessions, so no two
      sessions share a number (except duplicates already given and kept).

    Returns every session id with its number (unchanged ones included).
    """
    numbers: dict[int, int | None] = {}
    taken = {s.number for s in sessions if _keeps_number(s) and s.number is not None}
    counter = 0
    for s in sorted(sessions, key=lambda s: (s.scheduled_at, s.session_id)):
        if _keeps_number(s):
            numbers[s.session_id] = s.number
            if s.number is not None:
                counter = max(counter, s.number)
            continue
        if s.state == SessionState.CANCELLED:
            numbers[s.session_id] = None
            continue
        counter += 1
        while counter in taken:
            counter += 1
        numbers[s.session_id] = counter
    return numbers


def infusion_label(number: int | None, planned_infusions: int) -> str:
    """"infusion 3 of 6" in induction; "infusion 7 (maintenance)" for a booster.

    Boosters continue the course numbering, so a number above the planned
    induction infusions is a maintenance infusion. No number (cancelled, or
    booked before numbering existed) reads "not numbered".
    """
    if number is None:
        return "not numbered"
    if number > planned_infusions:
        return f"infusion {number} (maintenance)"
    return f"infusion {number} of {planned_infusions}"


def visit_minutes(duration_min: int | None, min_recovery_min: int) -> int:
    """How long a booked visit holds its chair: check-in, the dose, the minimum recovery."""
    return CHECK_IN_MIN + (duration_min or 0) + min_recovery_min
