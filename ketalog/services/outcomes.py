"""Measurement-based care: one course's scores and doses, and the clinic's outcomes.

:func:`course_view` is everything the course window and the course report
show about one course; :func:`clinic_outcomes_report` tallies response and
remission across the courses of a period for the physician and administrator,
with counts only (no names). Both read; neither writes.

The rules (baseline, response, remission, the no-response flag, the primary
scale of each indication) are the domain's (``domain.outcomes``); this module
only gathers the visits they are judged on, in a few queries per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.domain.outcomes import (
    EVALUABLE_MEANING,
    OUTCOME_SCALES,
    ClinicOutcomes,
    CourseOutcome,
    CourseResult,
    CourseVisit,
    OutcomeRow,
    clinic_outcomes,
    course_outcomes,
    primary_scale,
)
from ketalog.domain.scales import get_scale
from ketalog.domain.session_state import DOSE_STARTED_STATES
from ketalog.domain.values import printed_name
from ketalog.reports.inputs import CourseSessionRow as CourseSessionRow
from ketalog.reports.inputs import CourseView as CourseView
from ketalog.reports.inputs import ScoreInError as ScoreInError
from ketalog.services.access import Permission, authorize_admin_work
from ketalog.services.audit_trail import ExportFailed
from ketalog.services.board import day_bounds_utc
from ketalog.services.context import Actor
from ketalog.services.errors import NotFound
from ketalog.services.settings import clinic_timezone
from ketalog.store.files import FileNotWritten, write_csv_atomically
from ketalog.store.models import Course, DoseOrder, Patient, ProtocolRecord, ScaleScore, User
from ketalog.store.models import TreatmentSession as Ts


def _ordered_outcomes(primary: str, visits: Sequence[CourseVisit]) -> dict[str, CourseOutcome]:
    order = [primary] + [c for c in OUTCOME_SCALES if c != primary]
    return course_outcomes(visits, order)


def _session_rows(db: Session, course_ids: Sequence[int]) -> dict[int, list[CourseSessionRow]]:
    """Sessions of the courses ``course_ids`` with dose and scores.

    Three queries whatever the number of courses.
    """
    sessions = db.execute(
        select(Ts.id, Ts.course_id, Ts.sequence_number, Ts.scheduled_at_utc, Ts.state, Ts.chair,
               Ts.dose_started_at_utc)
        .where(Ts.course_id.in_(course_ids))
        .order_by(Ts.course_id, Ts.scheduled_at_utc, Ts.id)
    ).all()
    doses: dict[int, tuple[Decimal, Decimal | None]] = {}
    for order in db.execute(
        select(DoseOrder.session_id, DoseOrder.total_mg, DoseOrder.dose_mg_per_kg)
        .join(Ts, Ts.id == DoseOrder.session_id)
        .where(Ts.course_id.in_(course_ids),
               DoseOrder.superseded_at_utc.is_(None))
        .order_by(DoseOrder.id)  # the newest current order wins, as the session shows it
    ):
        doses[order.session_id] = (order.total_mg, order.dose_mg_per_kg)
    scores: dict[int, dict[str, int]] = {}
    for score in db.execute(
        select(ScaleScore.session_id, ScaleScore.scale, ScaleScore.total)
        .join(Ts, Ts.id == ScaleScore.session_id)
        .where(Ts.course_id.in_(course_ids),
               ScaleScore.scale.in_(OUTCOME_SCALES), ScaleScore.voided_at_utc.is_(None))
        .order_by(ScaleScore.taken_at_utc, ScaleScore.id)
    ):
        # the first score of the visit: the one taken at check-in, before the dose
        if score.session_id is not None:
            scores.setdefault(score.session_id, {}).setdefault(score.scale, score.total)
    rows: dict[int, list[CourseSessionRow]] = {}
    for s in sessions:
        mg, per_kg = doses.get(s.id, (None, None))
        rows.setdefault(s.course_id, []).append(CourseSessionRow(
            s.id, s.sequence_number, s.scheduled_at_utc, s.state, s.chair,
            s.dose_started_at_utc, mg, per_kg, scores.get(s.id, {})))
    return rows


def course_view(db: Session, course_id: int) -> CourseView:
    """One course with every session's dose and scores, and its outcome on each scale."""
    row = db.execute(
        select(Course, Patient.family_name, Patient.given_name, Patient.mrn, Patient.birth_date,
               ProtocolRecord.code, ProtocolRecord.name)
        .join(Patient, Patient.id == Course.patient_id)
        .join(ProtocolRecord, ProtocolRecord.id == Course.protocol_id)
        .where(Course.id == course_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise NotFound(f"No course with id {course_id}.")
    course, family, given, mrn, birth_date, code, name = row
    sessions = tuple(_session_rows(db, [course_id]).get(course_id, []))
    primary = primary_scale(course.indication)
    return CourseView(
        course.id, course.patient_id, f"{family}, {given}", mrn, birth_date, course.indication,
        primary, code, name, course.phase, course.status, course.status_reason,
        course.started_on, course.ended_on, course.planned_infusions, sessions,
        _ordered_outcomes(primary, [s.visit for s in sessions]),
        _scores_in_error(db, course_id),
    )


def _scores_in_error(db: Session, course_id: int) -> tuple[ScoreInError, ...]:
    """The course's outcome scores marked entered in error, with who marked them."""
    return tuple(
        ScoreInError(number, scale, total, taken, voided, printed_name(name, credentials)
                     if name else "", reason or "")
        for number, scale, total, taken, voided, reason, name, credentials in db.execute(
            select(Ts.sequence_number, ScaleScore.scale, ScaleScore.total,
                   ScaleScore.taken_at_utc, ScaleScore.voided_at_utc, ScaleScore.void_reason,
                   User.full_name, User.credentials)
            .join(Ts, Ts.id == ScaleScore.session_id)
            .outerjoin(User, User.id == ScaleScore.voided_by_id)
            .where(Ts.course_id == course_id, ScaleScore.scale.in_(OUTCOME_SCALES),
                   ScaleScore.voided_at_utc.is_not(None))
            .order_by(ScaleScore.taken_at_utc, ScaleScore.id)))


def clinic_outcomes_report(db: Session, actor: Actor, *, start: date,
                           end: date) -> ClinicOutcomes:
    """Response and remission across the courses that began in ``start``..``end`` (inclusive).

    A course begins on the clinic-local day of its first infusion; a course with
    no infusion yet begins on its ``started_on`` date (so it is counted, as
    excluded, rather than left out). Each course falls in one period only.

    Raises:
        PermissionDenied: the actor is not a physician or administrator.
        ValidationError: the period ends before it starts.
    """
    authorize_admin_work(db, actor, Permission.VIEW_OUTCOMES)
    if end < start:
        raise ValidationError.single(
            "end", f"The period ends ({end.isoformat()}) before it starts "
            f"({start.isoformat()}); swap the dates.")
    tz = clinic_timezone(db)
    start_utc, end_utc = day_bounds_utc(start, tz)[0], day_bounds_utc(end, tz)[1]
    first = (
        select(Ts.course_id, func.min(Ts.dose_started_at_utc).label("first_at"))
        .where(Ts.dose_started_at_utc.is_not(None))
        .group_by(Ts.course_id)
        .subquery()
    )
    in_range = (
        select(Course.id)
        .outerjoin(first, first.c.course_id == Course.id)
        .where(or_(
            and_(first.c.first_at >= start_utc, first.c.first_at < end_utc),
            and_(first.c.first_at.is_(None), Course.started_on >= start,
                 Course.started_on <= end),
        ))
    )
    courses = db.execute(
        select(Course.id, Course.patient_id, Course.indication, ProtocolRecord.name)
        .join(ProtocolRecord, ProtocolRecord.id == Course.protocol_id)
        .where(Course.id.in_(in_range.scalar_subquery()))
        .order_by(Course.id)
    ).all()
    visits = _visits(db, [course.id for course in courses])
    results = []
    for course in courses:
        scale = primary_scale(course.indication)
        results.append(CourseResult(course.id, course.patient_id, course.indication, course.name,
                                    course_outcomes(visits.get(course.id, []), [scale])))
    return clinic_outcomes(results)


#: Courses asked about per query (well inside every driver's limit on bound parameters).
ID_CHUNK = 5000


def _visits(db: Session, course_ids: Sequence[int]) -> dict[int, list[CourseVisit]]:
    """The visits of many courses, lean: only what the outcome rules judge.

    Two indexed queries per 5,000 courses. Ten years of a clinic are a hundred
    thousand sessions; reading times and doses the tally does not use would
    cost most of the report's time.
    """
    visits: dict[int, list[CourseVisit]] = {}
    for first in range(0, len(course_ids), ID_CHUNK):
        visits.update(_visit_chunk(db, course_ids[first:first + ID_CHUNK]))
    return visits


def _visit_chunk(db: Session, course_ids: Sequence[int]) -> dict[int, list[CourseVisit]]:
    scores: dict[int, dict[str, int]] = {}
    for score in db.execute(
        select(ScaleScore.session_id, ScaleScore.scale, ScaleScore.total)
        .join(Ts, Ts.id == ScaleScore.session_id)
        .where(Ts.course_id.in_(course_ids), ScaleScore.scale.in_(OUTCOME_SCALES),
               ScaleScore.voided_at_utc.is_(None))
        .order_by(ScaleScore.taken_at_utc, ScaleScore.id)
    ):
        if score.session_id is not None:
            scores.setdefault(score.session_id, {}).setdefault(score.scale, score.total)
    visits: dict[int, list[CourseVisit]] = {}
    for session_id, course_id, state in db.execute(
        select(Ts.id, Ts.course_id, Ts.state)
        .where(Ts.course_id.in_(course_ids))
        .order_by(Ts.course_id, Ts.scheduled_at_utc, Ts.id)
    ):
        visits.setdefault(course_id, []).append(
            CourseVisit(state in DOSE_STARTED_STATES, scores.get(session_id, {})))
    return visits


# --- words and export ---------------------------------------------------------------

#: The columns of an outcomes table, on screen and on the command line.
OUTCOME_COLUMNS = ("Primary scale", "Courses", "Patients", "Evaluable",
                   "Excluded (missing scores)", "Response", "Remission")


def share_text(count: int, total: int, percent: Decimal | None, *, of: str = "") -> str:
    """"2 of 3 (66.7 %)": the count always, the percentage when there is a denominator."""
    base = f"{count} of {total}{of}"
    return base if percent is None else f"{base} ({percent} %)"


def excluded_text(row: OutcomeRow) -> str:
    """"3 (2 no baseline, 1 no follow-up)", or "0"."""
    if row.excluded == 0:
        return "0"
    return (f"{row.excluded} ({row.missing_baseline} no baseline, "
            f"{row.missing_follow_up} no follow-up)")


def remission_text(row: OutcomeRow) -> str:
    """Remitters of the evaluable courses with a remission rule, or "no rule"."""
    if row.remitters is None:
        return "no rule"
    of = " with a rule" if row.remission_evaluable != row.evaluable else ""
    return share_text(row.remitters, row.remission_evaluable, row.remission_percent, of=of)


def outcome_cells(row: OutcomeRow) -> tuple[str, ...]:
    """One row of an outcomes table in :data:`OUTCOME_COLUMNS` order (group not included)."""
    scales = " / ".join(get_scale(code).name for code in row.scales) or "\u2014"
    return (scales, str(row.courses), str(row.patients), str(row.evaluable), excluded_text(row),
            share_text(row.responders, row.evaluable, row.response_percent),
            remission_text(row))

CSV_HEADINGS = (
    "Grouping", "Group", "Primary scale", "Courses", "Patients", "Evaluable",
    "Excluded (missing scores)", "Excluded: no baseline", "Excluded: no follow-up",
    "Responders", "Response % of evaluable", "Evaluable with a remission rule", "Remitters",
    "Remission % of evaluable with a rule",
)


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def outcome_records(outcomes: ClinicOutcomes, *, start: date,
                    end: date) -> list[tuple[str, ...]]:
    """The tally as rows of text: a heading row, the period, then every group and the total."""
    records: list[tuple[str, ...]] = [
        ("Period", start.isoformat(), end.isoformat()), ("Evaluable", EVALUABLE_MEANING),
        CSV_HEADINGS]
    groups = ([("indication", r) for r in outcomes.by_indication]
              + [("protocol", r) for r in outcomes.by_protocol] + [("all", outcomes.total)])
    for grouping, r in groups:
        records.append((
            grouping, r.group, " / ".join(r.scales), str(r.courses), str(r.patients),
            str(r.evaluable), str(r.excluded), str(r.missing_baseline),
            str(r.missing_follow_up), str(r.responders), _cell(r.response_percent),
            str(r.remission_evaluable) if r.remitters is not None else "",
            _cell(r.remitters), _cell(r.remission_percent)))
    return records


def write_outcomes_csv(outcomes: ClinicOutcomes, path: Path | str, *, start: date,
                       end: date) -> Path:
    """Write the tally as CSV (UTF-8 with BOM, for spreadsheets) completely or not at all.

    Raises:
        ExportFailed: the folder is missing or not writable, the path is a
            folder, or the disk is full.
    """
    records = outcome_records(outcomes, start=start, end=end)
    try:
        return write_csv_atomically(path, records)
    except FileNotWritten as exc:
        raise ExportFailed(str(exc)) from exc
