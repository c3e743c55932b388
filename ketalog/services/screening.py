"""The eligibility screening of a course: record it field by field, override, approve, gate.

Nurses and physicians record the consultation one accepted field at a time
(each a commit with its audit row, so nothing is lost if they walk away);
only a physician overrides a contraindication (with a reason) or approves the
screening. Any edit after approval withdraws the approval, because the
physician approved what was recorded then, not what it has become.

:func:`course_gate` is what scheduling and starting an infusion ask;
:func:`course_cautions` is what the day board shows, in one query.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.screening import (
    EDITABLE_FIELDS,
    LabResult,
    ScreeningFindings,
    ScreeningReview,
    approval_problems,
    check_lab,
    check_screening_field,
    lab_from_dict,
    review_screening,
)
from ketalog.domain.screening import OVERRIDDEN_LABEL as OVERRIDDEN_LABEL
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound
from ketalog.services.locking import check_version, user_printed_name
from ketalog.services.settings import clinic_today
from ketalog.store.models import Course, Patient, Screening

TABLE = "screenings"
OVERRIDE_REASON_MAX = 2000
_FINDING_FIELDS = tuple(f for f in ScreeningFindings.field_names() if f != "labs")


@dataclass(frozen=True)
class ScreeningView:
    """A screening as the form shows it: values, the domain's review, who approved."""

    screening_id: int
    course_id: int
    patient_id: int
    patient_name: str
    mrn: str
    indication: str
    version: int
    findings: ScreeningFindings
    review: ScreeningReview
    #: What stops approval now (empty when a physician may approve).
    approval_problems: tuple[str, ...]
    override_reason: str | None
    override_by_name: str | None
    override_at_utc: datetime | None
    approved_by_name: str | None
    approved_at_utc: datetime | None
    updated_at_utc: datetime
    #: This very edit withdrew the physician's approval (warn the user).
    approval_withdrawn: bool = False
    #: This very edit added a contraindication, so the earlier override no longer covers it.
    override_withdrawn: bool = False

    @property
    def approved(self) -> bool:
        """A physician approved the screening as it stands."""
        return self.approved_at_utc is not None

    @property
    def overridden(self) -> bool:
        """A physician recorded an override for the contraindications present."""
        return bool(self.override_reason)


@dataclass(frozen=True)
class CourseGate:
    """What a course's screening allows: booking sessions, starting an infusion.

    ``schedule_problems`` refuse booking; ``start_problems`` refuse starting an
    infusion (they include the schedule problems); ``cautions`` are short
    labels for the board and the session header.
    """

    schedule_problems: tuple[str, ...]
    start_problems: tuple[str, ...]
    cautions: tuple[str, ...]


# --- reading ---------------------------------------------------------------------------


def findings_of(row: Screening) -> ScreeningFindings:
    """The stored row as the domain's findings."""
    labs = tuple(lab_from_dict(entry) for entry in json.loads(row.labs_json or "[]"))
    values = {name: getattr(row, name) for name in _FINDING_FIELDS}
    return ScreeningFindings(labs=labs, **values)


def _printed_name(db: Session, user_id: int | None) -> str | None:
    return None if user_id is None else user_printed_name(db, user_id, f"user {user_id}")


def _view(db: Session, row: Screening, *, approval_withdrawn: bool = False,
          override_withdrawn: bool = False) -> ScreeningView:
    findings = findings_of(row)
    review = review_screening(findings)
    course = db.get(Course, row.course_id)
    patient = db.get(Patient, row.patient_id)
    assert course is not None  # foreign keys
    assert patient is not None  # foreign keys
    return ScreeningView(
        screening_id=row.id, course_id=row.course_id, patient_id=row.patient_id,
        patient_name=f"{patient.family_name.upper()}, {patient.given_name}", mrn=patient.mrn,
        indication=course.indication, version=row.version, findings=findings, review=review,
        approval_problems=tuple(approval_problems(review, override_reason=row.override_reason)),
        override_reason=row.override_reason,
        override_by_name=_printed_name(db, row.override_by_id),
        override_at_utc=row.override_at_utc,
        approved_by_name=_printed_name(db, row.approved_by_id),
        approved_at_utc=row.approved_at_utc, updated_at_utc=row.updated_at_utc,
        approval_withdrawn=approval_withdrawn, override_withdrawn=override_withdrawn,
    )


def _screening(db: Session, screening_id: int) -> Screening:
    # populate_existing: judge the edit on the row as stored now
    row = db.get(Screening, screening_id, populate_existing=True)
    if row is None:
        raise NotFound(f"No screening with id {screening_id}.")
    return row


def _of_course(db: Session, course_id: int) -> Screening | None:
    return db.scalar(select(Screening).where(Screening.course_id == course_id)
                     .execution_options(populate_existing=True))


def screening_view(db: Session, course_id: int) -> ScreeningView | None:
    """The course's screening as the form shows it, or None when none was started."""
    row = _of_course(db, course_id)
    return None if row is None else _view(db, row)


def screening_view_by_id(db: Session, screening_id: int) -> ScreeningView:
    """One screening as the form shows it."""
    return _view(db, _screening(db, screening_id))


# --- recording -------------------------------------------------------------------------


def start_screening(db: Session, actor: Actor, course_id: int,
                    clock: Clock = system_clock) -> int:
    """Open the course's screening (empty: every question "not asked"); returns its id.

    A course has one screening: when it exists already, its id is returned.
    """
    authorize(db, actor, Permission.SCREEN)
    existing = _of_course(db, course_id)
    if existing is not None:
        return existing.id
    course = db.get(Course, course_id)
    if course is None:
        raise NotFound(f"No course with id {course_id}.")
    now = clock()
    row = Screening(patient_id=course.patient_id, course_id=course_id, labs_json="[]",
                    created_at_utc=now, updated_at_utc=now)
    db.add(row)
    try:
        db.flush()
    except IntegrityError:
        # another workstation opened it a moment ago: use theirs
        db.rollback()
        again = _of_course(db, course_id)
        if again is None:
            raise
        return again.id
    append_audit(db, actor, "create", at=now, table_name=TABLE, row_id=row.id,
                 patient_id=row.patient_id, new={"course_id": course_id})
    db.commit()
    return row.id


def _check_fresh(db: Session, row: Screening, expected_version: int | None, *,
                 field: str | None = None, yours: object = None) -> None:
    """Refuse an edit made on a form older than the stored screening; say who changed it.

    For one field's edit the refusal carries both values, so the form can
    let the user choose which to keep.
    """
    if expected_version is None:
        return
    check_version(db, row, expected_version, "screening", table=TABLE, field=field,
                  what=field.replace("_", " ") if field else None, yours=yours,
                  theirs=getattr(row, field) if field else None)


def _after_edit(db: Session, actor: Actor, row: Screening, before: ScreeningReview,
                now: datetime, what: str) -> tuple[bool, bool]:
    """Withdraw the approval (and an override a new contraindication outgrew), audited.

    Returns (approval withdrawn, override withdrawn).
    """
    after = review_screening(findings_of(row))
    override_withdrawn = False
    new_codes = ({f.code for f in after.contraindications}
                 - {f.code for f in before.contraindications})
    if row.override_reason and new_codes:
        append_audit(db, actor, "withdraw", at=now, table_name=TABLE, row_id=row.id,
                     patient_id=row.patient_id, field="override_reason",
                     old=row.override_reason,
                     new=f"withdrawn: new contraindication ({', '.join(sorted(new_codes))})")
        row.override_reason = None
        row.override_by_id = None
        row.override_at_utc = None
        override_withdrawn = True
    approval_withdrawn = False
    if row.approved_at_utc is not None:
        append_audit(db, actor, "withdraw", at=now, table_name=TABLE, row_id=row.id,
                     patient_id=row.patient_id, field="approved_at_utc",
                     old=row.approved_at_utc, new=f"withdrawn: {what} changed")
        row.approved_at_utc = None
        row.approved_by_id = None
        approval_withdrawn = True
    return approval_withdrawn, override_withdrawn


def update_screening(
    db: Session, actor: Actor, screening_id: int, field: str, value: object, *,
    expected_version: int, clock: Clock = system_clock,
) -> ScreeningView:
    """Record one field of the form as typed or chosen; committed with its audit row.

    ``expected_version`` is the version the form showed: an edit on an older
    form is refused (StaleEdit, naming who changed it and when). Editing an
    approved screening withdraws the approval (``approval_withdrawn`` in the
    returned view) so a physician must approve it again.
    """
    authorize(db, actor, Permission.SCREEN)
    now = clock()
    row = _screening(db, screening_id)
    _check_fresh(db, row, expected_version,
                 field=field if field in EDITABLE_FIELDS else None, yours=value)
    if field not in EDITABLE_FIELDS:
        raise ValidationError.single(
            field, f"'{field}' cannot be changed here; labs, overrides and approval have "
            "their own actions.")
    findings = findings_of(row)
    new = check_screening_field(field, value, today=clinic_today(db, now), findings=findings)
    old = getattr(row, field)
    if old == new:
        return _view(db, row)
    before = review_screening(findings)
    setattr(row, field, new)
    withdrawn = _after_edit(db, actor, row, before, now, field)
    row.updated_at_utc = now
    db.flush()
    append_audit(db, actor, "update", at=now, table_name=TABLE, row_id=row.id,
                 patient_id=row.patient_id, field=field, old=old, new=new)
    db.commit()
    return _view(db, row, approval_withdrawn=withdrawn[0], override_withdrawn=withdrawn[1])


def _store_labs(db: Session, actor: Actor, row: Screening, labs: list[LabResult],
                now: datetime, *, old: LabResult | None, new: LabResult | None) -> ScreeningView:
    before = review_screening(findings_of(row))
    row.labs_json = json.dumps([lab.to_dict() for lab in labs], ensure_ascii=False)
    withdrawn = _after_edit(db, actor, row, before, now, "labs")
    row.updated_at_utc = now
    db.flush()
    append_audit(db, actor, "update", at=now, table_name=TABLE, row_id=row.id,
                 patient_id=row.patient_id, field="labs",
                 old=None if old is None else old.to_dict(),
                 new=None if new is None else new.to_dict())
    db.commit()
    return _view(db, row, approval_withdrawn=withdrawn[0], override_withdrawn=withdrawn[1])


def add_lab(
    db: Session, actor: Actor, screening_id: int, *, test: str, result: str,
    taken_on: object, expected_version: int | None = None, clock: Clock = system_clock,
) -> ScreeningView:
    """Add one lab value (test, result, date taken; all required, date not in the future).

    ``expected_version`` (the form's) refuses an entry on a stale form; None skips the check
    (adding never overwrites anything).
    """
    authorize(db, actor, Permission.SCREEN)
    now = clock()
    row = _screening(db, screening_id)
    _check_fresh(db, row, expected_version)
    lab = check_lab(test, result, taken_on, today=clinic_today(db, now))
    labs = [*findings_of(row).labs, lab]
    return _store_labs(db, actor, row, labs, now, old=None, new=lab)


def remove_lab(
    db: Session, actor: Actor, screening_id: int, index: int, *, expected_version: int,
    clock: Clock = system_clock,
) -> ScreeningView:
    """Remove the lab at ``index`` (as the form listed it); the audit row keeps its values."""
    authorize(db, actor, Permission.SCREEN)
    now = clock()
    row = _screening(db, screening_id)
    _check_fresh(db, row, expected_version)
    labs = list(findings_of(row).labs)
    if not 0 <= index < len(labs):
        raise ValidationError.single("labs", "Choose the lab to remove from the list.")
    removed = labs.pop(index)
    return _store_labs(db, actor, row, labs, now, old=removed, new=None)


# --- physician's decisions -------------------------------------------------------------


def override_contraindications(
    db: Session, actor: Actor, screening_id: int, *, reason: str,
    expected_version: int | None = None, clock: Clock = system_clock,
) -> ScreeningView:
    """A physician accepts the contraindications present, with the clinical justification.

    The override covers the contraindications recorded now: an edit that adds
    another withdraws it (see :func:`update_screening`).
    """
    authorize(db, actor, Permission.APPROVE_SCREENING)
    now = clock()
    row = _screening(db, screening_id)
    _check_fresh(db, row, expected_version)
    why = (reason or "").strip()
    if not why:
        raise ValidationError.single(
            "override_reason", "Give the clinical justification for treating despite the "
            "contraindication (e.g. \"BP controlled on review, cardiology cleared\").")
    if len(why) > OVERRIDE_REASON_MAX:
        raise ValidationError.single(
            "override_reason", f"The reason is {len(why)} characters long; shorten it to "
            f"{OVERRIDE_REASON_MAX} at most.")
    review = review_screening(findings_of(row))
    if not review.contraindications:
        raise TransitionRefused(["There is no contraindication to override."])
    old = row.override_reason
    row.override_reason = why
    row.override_by_id = actor.user_id
    row.override_at_utc = now
    row.updated_at_utc = now
    db.flush()
    append_audit(db, actor, "override", at=now, table_name=TABLE, row_id=row.id,
                 patient_id=row.patient_id, field="override_reason", old=old,
                 new={"reason": why,
                      "contraindications": [f.code for f in review.contraindications]})
    db.commit()
    return _view(db, row)


def approve_screening(
    db: Session, actor: Actor, screening_id: int, *, expected_version: int | None = None,
    clock: Clock = system_clock,
) -> ScreeningView:
    """A physician approves the screening; refused with every problem still open."""
    authorize(db, actor, Permission.APPROVE_SCREENING)
    now = clock()
    row = _screening(db, screening_id)
    _check_fresh(db, row, expected_version)
    if row.approved_at_utc is not None:
        return _view(db, row)
    problems = approval_problems(review_screening(findings_of(row)),
                                 override_reason=row.override_reason)
    if problems:
        raise TransitionRefused(problems)
    row.approved_by_id = actor.user_id
    row.approved_at_utc = now
    row.updated_at_utc = now
    db.flush()
    append_audit(db, actor, "approve", at=now, table_name=TABLE, row_id=row.id,
                 patient_id=row.patient_id, field="approved_at_utc", new=now)
    db.commit()
    return _view(db, row)


# --- what the rest of the app asks -----------------------------------------------------


def _schedule_problems(review: ScreeningReview, override_reason: str | None) -> list[str]:
    if (override_reason or "").strip():
        return []
    return [f"Contraindication: {finding.text}. A physician must record a justified override "
            "before sessions are booked." for finding in review.contraindications]


def _caution_labels(review: ScreeningReview, override_reason: str | None) -> tuple[str, ...]:
    labels = [finding.short for finding in review.cautions]
    if review.contraindications and (override_reason or "").strip():
        labels.append(OVERRIDDEN_LABEL)
    return tuple(labels)


def course_gate(db: Session, course_id: int) -> CourseGate:
    """What the course's screening allows now (read-only; call inside the action's session).

    Booking is refused while a contraindication has no override. Starting an
    infusion also needs an approved screening when the course requires one
    (courses from before screenings were recorded do not).
    """
    course = db.get(Course, course_id)
    if course is None:
        raise NotFound(f"No course with id {course_id}.")
    row = _of_course(db, course_id)
    if row is None:
        start: tuple[str, ...] = ()
        if course.screening_required:
            start = ("No eligibility screening recorded for this course; a nurse or physician "
                     "records it and a physician approves it before the first infusion.",)
        return CourseGate((), start, ())
    review = review_screening(findings_of(row))
    schedule = _schedule_problems(review, row.override_reason)
    start_list: list[str] = []
    if course.screening_required and row.approved_at_utc is None:
        start_list.append("The eligibility screening is not approved; a physician must "
                          "approve it before the infusion starts.")
    start_list += schedule
    return CourseGate(tuple(schedule), tuple(start_list),
                      _caution_labels(review, row.override_reason))


def course_cautions(db: Session, course_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Short caution labels per course, for the day board, in one query.

    Every asked course is a key; one without a screening or cautions maps to ().
    """
    wanted = sorted(set(course_ids))
    result: dict[int, tuple[str, ...]] = dict.fromkeys(wanted, ())
    if not wanted:
        return result
    rows = db.scalars(select(Screening).where(Screening.course_id.in_(wanted))).all()
    for row in rows:
        result[row.course_id] = _caution_labels(review_screening(findings_of(row)),
                                                row.override_reason)
    return result

