"""A treatment course as a whole: plan its series, move one session, number, end it.

One function per user action, as in :mod:`ketalog.services.sessions`:
authorize, validate through the domain (:mod:`ketalog.domain.scheduling`),
write with audit rows, commit once. A series is booked in one transaction:
every date is checked before the first session is written, so a refusal books
nothing.

Numbering ("infusion n of N") is recomputed by :func:`renumber_course` after
anything that changes the order of a course's sessions (a booking, a move, a
cancellation). It never commits: the action that called it does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.clinic_time import resolve_local, unambiguous_utc
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
)
from ketalog.domain.session_state import SessionAction, SessionFacts, SessionState, next_state
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound, StaleEdit
from ketalog.services.sessions import _add_session, _check_chair_free, chair_clashes
from ketalog.services.settings import clinic_timezone, clinic_today, get_setting, set_setting
from ketalog.store.models import AuditEntry, Course, Patient, Signature, TreatmentSession, User

#: Setting key: {"weekdays": [5, 6], "dates": ["2026-12-25", ...]} (Monday = 0).
CLOSED_DAYS = "closed_days"
_CANCELLED = SessionState.CANCELLED.value
_SCHEDULED = SessionState.SCHEDULED.value


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
        course.planned_infusions, sum(1 for s in states if s != _CANCELLED),
        sum(1 for s in states if s == _SCHEDULED), course.version,
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
            TreatmentSession.state != _CANCELLED,
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
    return sum(1 for s in _course_sessions(db, course_id) if s.state != _CANCELLED)


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
    try:
        ids = [
            _add_session(db, actor, course_id=course_id, chair=chair_name,
                         scheduled_at=resolve_local(day, at_time, tz), protocol_id=None, now=now)
            for day in booked_days
        ]
        append_audit(db, actor, "update", at=now, table_name="courses", row_id=course_id,
                     patient_id=course.patient_id, field="series",
                     new={"dates": booked_days, "time": at_time.strftime("%H:%M"),
                          "chair": chair_name, "sessions": ids})
        db.commit()  # each _add_session has renumbered the course already
    except BaseException:
        db.rollback()
        raise
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
    if session.state != _SCHEDULED:
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
    _check_chair_free(db, chair_name, new_start, protocol_id=session.protocol_id,
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
    try:
        db.flush()
        for field, (old, new) in changes.items():
            append_audit(db, actor, "update", at=now, table_name="treatment_sessions",
                         row_id=session_id, patient_id=session.patient_id, field=field,
                         old=old, new=new)
        renumber_course(db, session.course_id, actor=actor, at=now)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return session.version


# --- numbering ------------------------------------------------------------------------


def renumber_course(
    db: Session, course_id: int, *, actor: Actor, at: datetime
) -> dict[int, tuple[int | None, int | None]]:
    """Renumber the course's sessions by scheduled time; the caller commits.

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


def start_maintenance(
    db: Session, actor: Actor, course_id: int, *, clock: Clock = system_clock
) -> None:
    """Move an active course from induction to maintenance (boosters continue the numbering)."""
    authorize(db, actor, Permission.MANAGE_COURSE)
    now = clock()
    course = _course(db, course_id)
    _change_course(db, actor, course, CourseAction.START_MAINTENANCE, now)
    db.commit()


def complete_course(
    db: Session, actor: Actor, course_id: int, *, clock: Clock = system_clock
) -> None:
    """Mark the course completed; refused while a session is booked or in progress."""
    authorize(db, actor, Permission.MANAGE_COURSE)
    now = clock()
    course = _course(db, course_id)
    _change_course(db, actor, course, CourseAction.COMPLETE, now)
    db.commit()


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
    try:
        _change_course(db, actor, course, CourseAction.STOP, now, reason=reason)
        why = f"course stopped: {course.status_reason}"
        cancelled: list[int] = []
        for s in _course_sessions(db, course_id):
            if s.state != _SCHEDULED:
                continue
            new = next_state(s.state, SessionAction.CANCEL, SessionFacts(reason=why))
            s.state = new
            s.state_reason = why
            s.updated_at_utc = now
            db.flush()
            append_audit(db, actor, "update", at=now, table_name="treatment_sessions",
                         row_id=s.id, patient_id=s.patient_id, field="state", old=_SCHEDULED,
                         new=f"{new.value} ({why})")
            cancelled.append(s.id)
        renumber_course(db, course_id, actor=actor, at=now)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return cancelled
