"""Booking: courses, the sessions booked in them, their series, moves and numbers.

One function per user action (a :func:`~ketalog.services.unit_of_work.use_case`):
authorize, validate through the domain (:mod:`ketalog.domain.scheduling`),
write with audit rows, commit once. A use case called from inside another joins
its transaction: "book a session in a new course" is :func:`open_course` then
:func:`schedule_session`, and a series is :func:`schedule_session` once per day,
all in one transaction. Every date of a series is checked before the first
session is written, so a refusal books nothing.

Numbering ("infusion n of N") is recomputed by :func:`renumber_course` after
anything that changes the order of a course's sessions (a booking, a move, a
cancellation). It is a step of those actions, never an action of its own.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.clinic_time import clock_text, resolve_local, unambiguous_utc
from ketalog.domain.errors import Problem, TransitionRefused, ValidationError
from ketalog.domain.scheduling import (
    DEFAULT_CLOSED_DAYS,
    BookedSession,
    ClosedDays,
    CourseAction,
    CoursePhase,
    NumberedSession,
    SeriesDay,
    closed_days_value,
    course_end_refusals,
    course_transition,
    day_text,
    ensure_bookable,
    make_closed_days,
    number_sessions,
    plan_series_days,
    visit_minutes,
)
from ketalog.domain.session_state import SessionAction, SessionFacts, SessionState, next_state
from ketalog.domain.values import required_text
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit, append_field_changes
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound, StaleEdit
from ketalog.services.protocols import protocol_by_id
from ketalog.services.screening import course_gate
from ketalog.services.settings import clinic_timezone, clinic_today, get_setting, set_setting
from ketalog.services.unit_of_work import use_case
from ketalog.store.models import AuditEntry, Course, Patient, Signature, TreatmentSession, User

INDICATIONS = (
    "treatment-resistant depression",
    "major depressive disorder",
    "bipolar depression",
    "PTSD",
    "anxiety",
    "suicidal ideation",
    "chronic pain",
)

#: Setting key: {"weekdays": [5, 6], "dates": ["2026-12-25", ...]} (Monday = 0).
CLOSED_DAYS = "closed_days"


# --- closed days -------------------------------------------------------------------


def closed_days(db: Session) -> ClosedDays:
    """The clinic's closed weekdays and dates (default: Saturday and Sunday).

    A stored value that cannot be read is ignored in favour of the default,
    so a broken setting never opens the clinic on every day.
    """
    value = get_setting(db, CLOSED_DAYS)
    if not isinstance(value, dict):
        return DEFAULT_CLOSED_DAYS
    try:
        weekdays = value.get("weekdays", [])
        dates = [date.fromisoformat(d) for d in value.get("dates", [])]
        return make_closed_days(weekdays, dates)
    except (TypeError, ValueError):
        return DEFAULT_CLOSED_DAYS


def set_closed_days(
    db: Session,
    actor: Actor,
    *,
    weekdays: Iterable[int],
    dates: Iterable[date],
    clock: Clock = system_clock,
) -> None:
    """Store the clinic's closed weekdays and holidays (administrators; audited, one commit)."""
    closed = make_closed_days(weekdays, dates)
    set_setting(db, actor, CLOSED_DAYS, closed_days_value(closed), clock=clock)


# --- opening a course and booking one session -----------------------------------------


def _frozen(now: datetime) -> Clock:
    """A clock that always says ``now``: the steps of one action share one time."""
    return lambda: now


@use_case
def open_course(
    db: Session,
    actor: Actor,
    *,
    patient_id: int,
    protocol_id: int,
    indication: str,
    planned_infusions: int | None = None,
    started_on: date | None = None,
    clock: Clock = system_clock,
) -> int:
    """Start a treatment course for a patient; returns its id."""
    authorize(db, actor, Permission.SCHEDULE)
    now = clock()
    if db.get(Patient, patient_id) is None:
        raise NotFound(f"No patient with id {patient_id}.")
    protocol = protocol_by_id(db, protocol_id)
    if indication not in INDICATIONS:
        raise ValidationError.single(
            "indication", f"Unknown indication '{indication}'; choose one of: "
            + ", ".join(INDICATIONS) + "."
        )
    planned = planned_infusions or protocol.planned_induction_infusions
    if not 1 <= planned <= 50:
        raise ValidationError.single("planned_infusions", "Plan between 1 and 50 infusions.")
    course = Course(
        patient_id=patient_id, protocol_id=protocol_id, indication=indication,
        planned_infusions=planned, started_on=started_on, created_at_utc=now,
    )
    db.add(course)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="courses", row_id=course.id,
                 patient_id=patient_id, new={"indication": indication, "protocol": protocol.code,
                                             "planned_infusions": planned})
    return course.id


@use_case
def schedule_session(
    db: Session,
    actor: Actor,
    *,
    course_id: int,
    chair: str,
    scheduled_at: datetime,
    protocol_id: int | None = None,
    confirm_chair_overlap: bool = False,
    clock: Clock = system_clock,
) -> int:
    """Book a session in a course at a chair; it gets the next number in the course.

    A chair already booked then needs ``confirm_chair_overlap`` (see chair_clashes).
    """
    authorize(db, actor, Permission.SCHEDULE)
    now = clock()
    course = db.get(Course, course_id)
    if course is None:
        raise NotFound(f"No course with id {course_id}.")
    if course.status != "active":
        raise ValidationError.single("course_id", f"The course is {course.status}; open a new one.")
    chair_name = required_text(chair, "chair", "Choose the chair for the session.")
    gate = course_gate(db, course_id)
    if gate.schedule_problems:
        raise TransitionRefused(list(gate.schedule_problems))
    # a wall time skipped or repeated by a daylight-saving change is refused with the reason
    scheduled_at = unambiguous_utc(scheduled_at, field="scheduled_at")
    overlap = check_chair_free(db, chair_name, scheduled_at,
                               protocol_id=protocol_id or course.protocol_id,
                               confirmed=confirm_chair_overlap)
    given = db.scalar(
        select(func.count()).select_from(TreatmentSession).where(
            TreatmentSession.course_id == course_id,
            TreatmentSession.state != SessionState.CANCELLED,
        )
    ) or 0
    session = TreatmentSession(
        patient_id=course.patient_id, course_id=course_id,
        protocol_id=protocol_id or course.protocol_id, chair=chair_name,
        scheduled_at_utc=scheduled_at, sequence_number=given + 1,
        state=SessionState.SCHEDULED, created_at_utc=now, updated_at_utc=now,
    )
    db.add(session)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="treatment_sessions", row_id=session.id,
                 patient_id=course.patient_id,
                 new={"chair": chair_name, "scheduled_at_utc": scheduled_at,
                      **({"chair_overlap_confirmed": overlap} if overlap else {})})
    # "infusion n of N" follows the scheduled order, whatever order sessions were booked in
    renumber_course(db, course_id, actor=actor, at=now)
    return session.id


@use_case
def book_session(
    db: Session,
    actor: Actor,
    *,
    patient_id: int,
    course_id: int | None,
    chair: str,
    scheduled_at: datetime,
    protocol_id: int | None = None,
    indication: str | None = None,
    confirm_chair_overlap: bool = False,
    clock: Clock = system_clock,
) -> int:
    """Book a session, opening a new course first when ``course_id`` is None: one commit."""
    authorize(db, actor, Permission.SCHEDULE)
    now = clock()
    if course_id is None:
        if protocol_id is None or indication is None:
            raise ValidationError.single(
                "course_id", "Choose the patient's course, or a protocol and indication."
            )
        course_id = open_course(db, actor, patient_id=patient_id, protocol_id=protocol_id,
                                indication=indication,
                                started_on=scheduled_at.astimezone(clinic_timezone(db)).date(),
                                clock=_frozen(now))
    else:
        course = db.get(Course, course_id)
        if course is None or course.patient_id != patient_id:
            raise NotFound(f"No course {course_id} for this patient.")
    return schedule_session(db, actor, course_id=course_id, chair=chair,
                            scheduled_at=scheduled_at,
                            confirm_chair_overlap=confirm_chair_overlap, clock=_frozen(now))


#: How a refusal for a chair already booked ends (the booking screens then ask to confirm).
CHAIR_TAKEN_ENDING = "or confirm to book it anyway."


def chair_clashes(db: Session, chair: str, start: datetime, *, protocol_id: int,
                  exclude_session_id: int | None = None) -> list[str]:
    """The visits already booked at ``chair`` that a visit starting at ``start`` would overlap.

    A visit holds its chair for check-in, its protocol's duration and minimum
    recovery (:func:`~ketalog.domain.scheduling.visit_minutes`); cancelled ones
    hold nothing. Each clash reads "Nunez, Jose 09:00-10:30".
    """
    start = unambiguous_utc(start, field="scheduled_at")
    tz = clinic_timezone(db)

    def length(pid: int) -> timedelta:
        protocol = protocol_by_id(db, pid)
        return timedelta(minutes=visit_minutes(protocol.default_duration_min,
                                               protocol.min_recovery_min))

    mine = length(protocol_id)
    window = timedelta(hours=12)
    rows = db.execute(
        select(TreatmentSession.id, TreatmentSession.scheduled_at_utc,
               TreatmentSession.protocol_id, Patient.family_name, Patient.given_name)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .where(TreatmentSession.chair == chair.strip(),
               TreatmentSession.state != SessionState.CANCELLED,
               TreatmentSession.scheduled_at_utc > start - window,
               TreatmentSession.scheduled_at_utc < start + window)
        .order_by(TreatmentSession.scheduled_at_utc)).all()
    found = []
    for row in rows:
        if row.id == exclude_session_id:
            continue
        other_start = row.scheduled_at_utc
        other_end = other_start + length(row.protocol_id)
        if other_start < start + mine and start < other_end:
            found.append(f"{row.family_name}, {row.given_name} "
                         f"{clock_text(other_start, tz)}-{clock_text(other_end, tz)}")
    return found


def check_chair_free(db: Session, chair: str, start: datetime, *, protocol_id: int,
                     confirmed: bool, exclude_session_id: int | None = None) -> list[str]:
    """Refuse a booking over another visit at the same chair unless it was confirmed.

    Returns the clashes that were confirmed (empty when the chair was free).
    """
    clashes = chair_clashes(db, chair, start, protocol_id=protocol_id,
                            exclude_session_id=exclude_session_id)
    if clashes and not confirmed:
        raise ValidationError.single(
            "confirm_chair_overlap",
            f"{chair.strip()} is already booked then ({'; '.join(clashes)}). Choose another "
            f"time or chair, {CHAIR_TAKEN_ENDING}")
    return clashes


# --- reading ------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseOverview:
    """What the series and stop dialogs show about a course."""

    course_id: int
    patient_id: int
    patient_name: str
    indication: str
    phase: str
    status: str
    planned_infusions: int
    #: non-cancelled sessions of the course, given or still to come
    sessions_booked: int
    #: sessions still scheduled (a stop cancels these)
    sessions_waiting: int
    version: int

    @property
    def remaining_induction(self) -> int:
        """Planned induction infusions not booked yet (0 or more)."""
        return max(0, self.planned_infusions - self.sessions_booked)


def _course(db: Session, course_id: int) -> Course:
    found = db.get(Course, course_id, populate_existing=True)
    if found is None:
        raise NotFound(f"No course with id {course_id}.")
    return found


def _course_sessions(db: Session, course_id: int) -> list[TreatmentSession]:
    return list(db.scalars(
        select(TreatmentSession)
        .where(TreatmentSession.course_id == course_id)
        .order_by(TreatmentSession.scheduled_at_utc, TreatmentSession.id)
        .execution_options(populate_existing=True)
    ))


def course_overview(db: Session, course_id: int) -> CourseOverview:
    """The course's patient, phase, status and how many sessions are booked."""
    course = _course(db, course_id)
    patient = db.get(Patient, course.patient_id)
    name = f"{patient.family_name}, {patient.given_name}" if patient else ""
    states = [s.state for s in _course_sessions(db, course_id)]
    return CourseOverview(
        course.id, course.patient_id, name, course.indication, course.phase, course.status,
        course.planned_infusions, sum(1 for s in states if s != SessionState.CANCELLED),
        sum(1 for s in states if s == SessionState.SCHEDULED), course.version,
    )


@dataclass(frozen=True)
class Booking:
    """One session's booking as the reschedule dialog shows it."""

    session_id: int
    course_id: int
    patient_name: str
    scheduled_at_utc: datetime
    chair: str
    state: str
    sequence_number: int | None
    planned_infusions: int
    version: int


def booking_of(db: Session, session_id: int) -> Booking:
    """The session's date, time, chair and version, as stored now."""
    session = db.get(TreatmentSession, session_id, populate_existing=True)
    if session is None:
        raise NotFound(f"No session with id {session_id}.")
    patient = db.get(Patient, session.patient_id)
    name = f"{patient.family_name}, {patient.given_name}" if patient else ""
    course = _course(db, session.course_id)
    return Booking(session.id, session.course_id, name, session.scheduled_at_utc, session.chair,
                   session.state, session.sequence_number, course.planned_infusions,
                   session.version)


# --- helpers -----------------------------------------------------------------------------


def _local_text(at_utc: datetime, tz: ZoneInfo) -> str:
    local = at_utc.astimezone(tz)
    return f"{day_text(local.date())} {local:%H:%M}"


def _at(day: date, time_of_day: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time_of_day, tzinfo=tz).astimezone(UTC)


def _patient_sessions_by_day(
    db: Session, patient_id: int, days: Collection[date], tz: ZoneInfo,
    exclude_session_id: int | None = None,
) -> dict[date, TreatmentSession]:
    """The patient's non-cancelled sessions (any course) on the given clinic dates."""
    if not days:
        return {}
    start = _at(min(days), time(0, 0), tz)
    end = _at(max(days) + timedelta(days=1), time(0, 0), tz)
    rows = db.scalars(
        select(TreatmentSession).where(
            TreatmentSession.patient_id == patient_id,
            TreatmentSession.state != SessionState.CANCELLED,
            TreatmentSession.scheduled_at_utc >= start,
            TreatmentSession.scheduled_at_utc < end,
        ).order_by(TreatmentSession.scheduled_at_utc)
    )
    found: dict[date, TreatmentSession] = {}
    for row in rows:
        local_day = row.scheduled_at_utc.astimezone(tz).date()
        if row.id != exclude_session_id and local_day in days:
            found.setdefault(local_day, row)
    return found


def _default_count(course: Course, booked: int) -> int:
    remaining = course.planned_infusions - booked
    if remaining > 0:
        return remaining
    if course.phase == CoursePhase.MAINTENANCE:
        return 1
    raise ValidationError.single(
        "count", f"All {course.planned_infusions} planned induction infusions are booked; "
                 "enter how many more to book, or start maintenance for boosters.")


def _booked_count(db: Session, course_id: int) -> int:
    return sum(1 for s in _course_sessions(db, course_id) if s.state != SessionState.CANCELLED)


def _check_time_of_day(time_of_day: object) -> time:
    if not isinstance(time_of_day, time) or time_of_day.tzinfo is not None:
        raise ValidationError.single("time_of_day", "Choose the time of day for the sessions "
                                                    "(clinic time, e.g. 09:00).")
    return time_of_day


def _chair_name(chair: str | None) -> str:
    name = (chair or "").strip()
    if not name:
        raise ValidationError.single("chair", "Choose the chair for the sessions.")
    return name


# --- previewing and booking a series -----------------------------------------------


@dataclass(frozen=True)
class PreviewLine:
    """One line of the series preview: a session to book, or why a day is not used."""

    on: date
    #: None: a session will be booked on this day
    note: str | None = None
    #: a closed day the series moves past (not a problem; the series goes on)
    moved: bool = False

    @property
    def bookable(self) -> bool:
        """Whether booking would put a session on this day."""
        return self.note is None

    @property
    def text(self) -> str:
        """"Mon 7 Dec 2026" or "Fri 25 Dec 2026: clinic closed (holiday), moved"."""
        return day_text(self.on) if self.note is None else f"{day_text(self.on)}: {self.note}"


@dataclass(frozen=True)
class SeriesPreview:
    """What "Book N sessions" would do, day by day."""

    lines: tuple[PreviewLine, ...]
    count: int

    @property
    def problems(self) -> tuple[PreviewLine, ...]:
        """Days that would make the booking refuse (past, patient already booked)."""
        return tuple(line for line in self.lines if not line.bookable and not line.moved)


def preview_series(
    db: Session,
    course_id: int,
    *,
    first_day: date,
    weekdays: Collection[int],
    count: int | None = None,
) -> list[date]:
    """The dates a series would take; ``count`` defaults to the induction infusions left."""
    course = _course(db, course_id)
    wanted = count if count is not None else _default_count(course, _booked_count(db,
                                                                                   course_id))
    days = plan_series_days(first_day, weekdays, wanted, closed_days(db))
    return [d.on for d in days if d.booked]


def series_preview(
    db: Session,
    course_id: int,
    *,
    first_day: date,
    weekdays: Collection[int],
    time_of_day: time,
    count: int | None = None,
    chair: str | None = None,
    clock: Clock = system_clock,
) -> SeriesPreview:
    """The series day by day, with closed days moved past and days that would be refused."""
    course = _course(db, course_id)
    wanted = count if count is not None else _default_count(course, _booked_count(db,
                                                                                   course_id))
    days = plan_series_days(first_day, weekdays, wanted, closed_days(db))
    notes = _series_problems(db, course, days, _check_time_of_day(time_of_day), clock(),
                             chair.strip() if chair else None)
    lines = []
    for d in days:
        if not d.booked:
            lines.append(PreviewLine(d.on, f"clinic {d.closed_reason}, moved", moved=True))
        else:
            lines.append(PreviewLine(d.on, notes.get(d.on)))
    return SeriesPreview(tuple(lines), wanted)


def _series_problems(
    db: Session, course: Course, days: Iterable[SeriesDay], time_of_day: time, now: datetime,
    chair: str | None = None,
) -> dict[date, str]:
    """Why each booking day would be refused (nothing is booked if any would be).

    The time is skipped or repeated that night, in the past, the chair is taken,
    or the patient already has a session that day.
    """
    tz = clinic_timezone(db)
    open_days = [d.on for d in days if d.booked]
    existing = _patient_sessions_by_day(db, course.patient_id, set(open_days), tz)
    notes: dict[date, str] = {}
    for day in open_days:
        try:
            at = resolve_local(day, time_of_day, tz, field="time_of_day")
        except ValidationError as skipped_or_twice:
            notes[day] = skipped_or_twice.messages[0]
            continue
        clashes = chair_clashes(db, chair, at, protocol_id=course.protocol_id) if chair else []
        if at <= now:
            notes[day] = f"{time_of_day:%H:%M} is in the past"
        elif clashes:
            notes[day] = (f"{chair} is already booked then ({'; '.join(clashes)}); book that "
                          "day on its own to confirm the overlap")
        elif day in existing:
            other = existing[day]
            notes[day] = (f"the patient already has a session "
                          f"({other.scheduled_at_utc.astimezone(tz):%H:%M}, {other.chair})")
    return notes


@use_case
def plan_induction_series(
    db: Session,
    actor: Actor,
    course_id: int,
    *,
    first_day: date,
    weekdays: Collection[int],
    time_of_day: time,
    chair: str,
    count: int | None = None,
    clock: Clock = system_clock,
) -> list[int]:
    """Book a whole series (e.g. Mon/Wed/Fri x 6) in one transaction; the new session ids.

    ``time_of_day`` is clinic time. ``count`` defaults to the planned induction
    infusions not booked yet (one booster in maintenance). Every day is checked
    before anything is written: a day in the past, or a day on which the
    patient already has a session, refuses the whole series (nothing booked).
    """
    authorize(db, actor, Permission.SCHEDULE)
    now = clock()
    course = _course(db, course_id)
    ensure_bookable(course.status)
    chair_name = _chair_name(chair)
    at_time = _check_time_of_day(time_of_day)
    wanted = count if count is not None else _default_count(course, _booked_count(db,
                                                                                   course_id))
    days = plan_series_days(first_day, weekdays, wanted, closed_days(db))
    notes = _series_problems(db, course, days, at_time, now, chair_name)
    if notes:
        raise ValidationError([
            Problem("first_day", f"{day_text(day)}: {note}; choose another first day or other "
                                 "weekdays. Nothing was booked.")
            for day, note in sorted(notes.items())
        ])
    tz = clinic_timezone(db)
    booked_days = [d.on for d in days if d.booked]
    ids = [
        schedule_session(db, actor, course_id=course_id, chair=chair_name,
                         scheduled_at=resolve_local(day, at_time, tz), clock=_frozen(now))
        for day in booked_days
    ]
    # each schedule_session has renumbered the course already
    append_audit(db, actor, "update", at=now, table_name="courses", row_id=course_id,
                 patient_id=course.patient_id, field="series",
                 new={"dates": booked_days, "time": at_time.strftime("%H:%M"),
                      "chair": chair_name, "sessions": ids})
    return ids


# --- moving one session ---------------------------------------------------------------


def _changed_by(db: Session, table_name: str, row_id: int, tz: ZoneInfo) -> str:
    """Who last changed a row, from the audit trail: "Sam Okafor (sam) at Mon 7 Dec 09:42"."""
    last = db.execute(
        select(AuditEntry.username, AuditEntry.user_id, AuditEntry.occurred_at_utc)
        .where(AuditEntry.table_name == table_name, AuditEntry.row_id == row_id)
        .order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    if last is None:
        return "someone else"
    user = db.get(User, last.user_id) if last.user_id is not None else None
    who = f"{user.full_name} ({last.username})" if user else last.username
    return f"{who} at {_local_text(last.occurred_at_utc, tz)}"


@use_case
def reschedule_session(
    db: Session,
    actor: Actor,
    session_id: int,
    *,
    new_start: datetime,
    chair: str | None = None,
    expected_version: int,
    confirm_chair_overlap: bool = False,
    clock: Clock = system_clock,
) -> int:
    """Move one scheduled session to another day, time or chair; the rest stay as booked.

    Refused for a session that is no longer scheduled, a closed day, a time in
    the past, or a day on which the patient already has another session. A
    stale ``expected_version`` is refused naming who changed the session.
    Returns the session's new version.
    """
    authorize(db, actor, Permission.SCHEDULE)
    now = clock()
    tz = clinic_timezone(db)
    session = db.get(TreatmentSession, session_id, populate_existing=True)
    if session is None:
        raise NotFound(f"No session with id {session_id}.")
    if session.version != expected_version:
        raise StaleEdit(
            f"This session was changed by {_changed_by(db, 'treatment_sessions', session_id, tz)}"
            " after you opened it; the screen now shows the stored booking. Move it again if "
            "it is still needed."
        )
    if session.state != SessionState.SCHEDULED:
        raise TransitionRefused([f"Only a scheduled session can be moved; this one is "
                                 f"{session.state.replace('_', ' ')}."])
    course = _course(db, session.course_id)
    ensure_bookable(course.status)
    if not isinstance(new_start, datetime) or new_start.tzinfo is None:
        raise ValidationError.single("new_start", "The new time has no time zone; this is a "
                                                  "program error.")
    new_start = unambiguous_utc(new_start, field="new_start")
    chair_name = session.chair if chair is None else _chair_name(chair)
    day = new_start.astimezone(tz).date()
    problems: list[Problem] = []
    reason = closed_days(db).closed_reason(day)
    if reason is not None:
        problems.append(Problem("new_start", f"{day_text(day)}: the clinic is {reason}; "
                                             "choose another day."))
    if new_start <= now:
        problems.append(Problem("new_start", f"{_local_text(new_start, tz)} is in the past; "
                                             "choose a later time."))
    other = _patient_sessions_by_day(db, session.patient_id, {day}, tz,
                                     exclude_session_id=session_id).get(day)
    if other is not None:
        problems.append(Problem(
            "new_start", f"The patient already has a session on {day_text(day)} "
                         f"({other.scheduled_at_utc.astimezone(tz):%H:%M}, {other.chair}); "
                         "choose another day."))
    if problems:
        raise ValidationError(problems)
    check_chair_free(db, chair_name, new_start, protocol_id=session.protocol_id,
                     confirmed=confirm_chair_overlap, exclude_session_id=session_id)
    new_utc = new_start.astimezone(UTC)
    changes: dict[str, tuple[object, object]] = {}
    if new_utc != session.scheduled_at_utc:
        changes["scheduled_at_utc"] = (session.scheduled_at_utc, new_utc)
        session.scheduled_at_utc = new_utc
    if chair_name != session.chair:
        changes["chair"] = (session.chair, chair_name)
        session.chair = chair_name
    if not changes:
        return session.version
    session.updated_at_utc = now
    db.flush()
    append_field_changes(db, actor, changes, at=now, table_name="treatment_sessions",
                         row_id=session_id, patient_id=session.patient_id)
    renumber_course(db, session.course_id, actor=actor, at=now)
    return session.version


# --- numbering ------------------------------------------------------------------------


def renumber_course(
    db: Session, course_id: int, *, actor: Actor, at: datetime
) -> dict[int, tuple[int | None, int | None]]:
    """Renumber the course's sessions by scheduled time: a step of the calling use case.

    Cancelled sessions lose their number; a session already given keeps it;
    a signed session is never touched (the database would refuse). Only rows
    whose number changes are written, each with an audit row. Returns
    ``{session_id: (old, new)}`` for the rows changed.
    """
    # one renumbering per course at a time (PostgreSQL; SQLite writers are serialised)
    db.execute(select(Course.id).where(Course.id == course_id).with_for_update())
    sessions = _course_sessions(db, course_id)
    signed = set(db.scalars(
        select(Signature.session_id).where(
            Signature.session_id.in_([s.id for s in sessions]),
            Signature.kind == "physician_signature",
        )
    )) if sessions else set()
    numbers = number_sessions([
        NumberedSession(s.id, s.scheduled_at_utc, s.state, s.sequence_number, s.id in signed)
        for s in sessions
    ])
    changed: dict[int, tuple[int | None, int | None]] = {}
    for s in sessions:
        new = numbers[s.id]
        if new != s.sequence_number and s.id not in signed:
            changed[s.id] = (s.sequence_number, new)
            s.sequence_number = new
    if changed:
        db.flush()
        for s in sessions:
            if s.id in changed:
                old, new = changed[s.id]
                append_audit(db, actor, "update", at=at, table_name="treatment_sessions",
                             row_id=s.id, patient_id=s.patient_id, field="sequence_number",
                             old=old, new=new)
    return changed


# --- phase and status ---------------------------------------------------------------


def _change_course(
    db: Session, actor: Actor, course: Course, action: CourseAction, now: datetime,
    reason: str | None = None,
) -> None:
    change = course_transition(course.status, course.phase, action, reason=reason)
    tz = clinic_timezone(db)
    if action is not CourseAction.START_MAINTENANCE:
        refusals = course_end_refusals(action, [
            BookedSession(s.id, s.scheduled_at_utc, s.state,
                          f"{_local_text(s.scheduled_at_utc, tz)}, {s.chair}")
            for s in _course_sessions(db, course.id)
        ])
        if refusals:
            raise TransitionRefused(refusals)
    updates: dict[str, tuple[object, object]] = {}
    if change.phase != course.phase:
        updates["phase"] = (course.phase, change.phase.value)
        course.phase = change.phase.value
    if change.status != course.status:
        updates["status"] = (course.status, change.status.value)
        course.status = change.status.value
        ended = clinic_today(db, now)
        updates["ended_on"] = (course.ended_on, ended)
        course.ended_on = ended
    if change.reason is not None:
        updates["status_reason"] = (course.status_reason, change.reason)
        course.status_reason = change.reason
    db.flush()
    for field, (old, new) in updates.items():
        append_audit(db, actor, "update", at=now, table_name="courses", row_id=course.id,
                     patient_id=course.patient_id, field=field, old=old, new=new)


@use_case
def start_maintenance(
    db: Session, actor: Actor, course_id: int, *, clock: Clock = system_clock
) -> None:
    """Move an active course from induction to maintenance (boosters continue the numbering)."""
    authorize(db, actor, Permission.MANAGE_COURSE)
    now = clock()
    course = _course(db, course_id)
    _change_course(db, actor, course, CourseAction.START_MAINTENANCE, now)


@use_case
def complete_course(
    db: Session, actor: Actor, course_id: int, *, clock: Clock = system_clock
) -> None:
    """Mark the course completed; refused while a session is booked or in progress."""
    authorize(db, actor, Permission.MANAGE_COURSE)
    now = clock()
    course = _course(db, course_id)
    _change_course(db, actor, course, CourseAction.COMPLETE, now)


@use_case
def stop_course(
    db: Session, actor: Actor, course_id: int, *, reason: str, clock: Clock = system_clock
) -> list[int]:
    """Stop the course with a reason; its still-scheduled sessions are cancelled with it.

    Each cancelled session gets the reason "course stopped: <reason>" and an
    audit row like a cancellation at the chair. Refused while a session is in
    progress. Returns the ids of the sessions cancelled.
    """
    authorize(db, actor, Permission.MANAGE_COURSE)
    now = clock()
    course = _course(db, course_id)
    _change_course(db, actor, course, CourseAction.STOP, now, reason=reason)
    why = f"course stopped: {course.status_reason}"
    cancelled: list[int] = []
    for s in _course_sessions(db, course_id):
        if s.state != SessionState.SCHEDULED:
            continue
        new = next_state(s.state, SessionAction.CANCEL, SessionFacts(reason=why))
        s.state = new
        s.state_reason = why
        s.updated_at_utc = now
        db.flush()
        append_audit(db, actor, "update", at=now, table_name="treatment_sessions",
                     row_id=s.id, patient_id=s.patient_id, field="state",
                     old=SessionState.SCHEDULED.value, new=f"{new.value} ({why})")
        cancelled.append(s.id)
    renumber_course(db, course_id, actor=actor, at=now)
    return cancelled
