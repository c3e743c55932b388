"""Registering, finding and weighing patients."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.plausibility import (
    Assessment,
    PreviousWeight,
    RecentWeight,
    assess_weight,
)
from ketalog.domain.protocols import DEFAULT_USUAL_WEIGHT_MAX_KG, DEFAULT_USUAL_WEIGHT_MIN_KG
from ketalog.domain.session_state import SessionState
from ketalog.domain.values import decimal_problem, printed_name
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import DuplicatePatient, NotFound
from ketalog.services.protocols import protocol_from_record
from ketalog.services.settings import clinic_today, weight_change_percent
from ketalog.services.text import legacy_search_key, mrn_key, prefix_upper_bound, search_key
from ketalog.store.models import (
    Course,
    Patient,
    PatientWeight,
    ProtocolRecord,
    TreatmentSession,
    User,
)

MAX_WEIGHT_KG = 400
#: The longest MRN the register holds (the column's width).
MAX_MRN_CHARS = 40
_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), (1, 2, 3)),
    (re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$"), (3, 2, 1)),  # 21.11.1980 / 21/11/1980
)


@dataclass(frozen=True)
class PatientSummary:
    """What a search result or a header shows about a patient."""

    id: int
    mrn: str
    family_name: str
    given_name: str
    birth_date: date

    @property
    def display_name(self) -> str:
        """Family name first, as on a chart: "Ñúñez, José"."""
        return f"{self.family_name}, {self.given_name}"


def _summary(patient: Patient) -> PatientSummary:
    return PatientSummary(
        patient.id, patient.mrn, patient.family_name, patient.given_name, patient.birth_date
    )


def parse_birth_date(text: str) -> date | None:
    """Read YYYY-MM-DD or DD.MM.YYYY; None when it is not a date."""
    for pattern, (y, m, d) in _DATE_PATTERNS:
        match = pattern.match(text.strip())
        if match:
            try:
                return date(int(match.group(y)), int(match.group(m)), int(match.group(d)))
            except ValueError:
                return None
    return None


def _stored_mrn_key() -> ColumnElement[str]:
    """The stored MRN as :func:`mrn_key` makes it, computed in SQL.

    For records stored before MRNs were trimmed (" K0000001 "). Both databases
    fold ASCII letters alike, which is what MRNs are made of.
    """
    column: ColumnElement[str] = Patient.mrn.expression
    for blank in (" ", "\t", "\n", "\r"):
        column = func.replace(column, blank, "")
    return func.upper(column)


def patient_with_mrn(db: Session, mrn: str) -> Patient | None:
    """The patient whose MRN is ``mrn`` ignoring case and white space, or None."""
    key = mrn_key(mrn)
    if not key:
        return None
    return db.scalars(
        select(Patient).where(or_(Patient.mrn == key, _stored_mrn_key() == key))
        .order_by(Patient.id).limit(1)
    ).first()


def _next_mrn(db: Session) -> str:
    last = db.scalar(select(Patient.id).order_by(Patient.id.desc()).limit(1)) or 0
    return f"K{last + 1:07d}"


def register_patient(
    db: Session,
    actor: Actor,
    *,
    family_name: str,
    given_name: str,
    birth_date: date,
    sex: str | None = None,
    phone: str | None = None,
    mrn: str | None = None,
    allow_duplicate: bool = False,
    clock: Clock = system_clock,
) -> PatientSummary:
    """Register a patient, refusing a likely duplicate (same name and birth date).

    Raises:
        ValidationError: a name or the birth date is missing or impossible.
        DuplicatePatient: same MRN, or same name and birth date unless
            ``allow_duplicate`` (the user looked and confirmed they differ).
    """
    authorize(db, actor, Permission.SCHEDULE)
    now = clock()
    family, given = (family_name or "").strip(), (given_name or "").strip()
    mrn = mrn_key(mrn or "") or None
    problems = []
    if not family:
        problems.append(Problem("family_name", "Family name is missing."))
    if not given:
        problems.append(Problem("given_name", "Given name is missing."))
    if birth_date > now.date():
        problems.append(Problem("birth_date", f"Birth date {birth_date} is in the future."))
    elif birth_date.year < now.year - 120:
        problems.append(Problem("birth_date", f"Birth date {birth_date} is over 120 years ago."))
    if mrn is not None and len(mrn) > MAX_MRN_CHARS:
        problems.append(Problem("mrn", f"The MRN has {len(mrn)} characters; at most "
                                       f"{MAX_MRN_CHARS} fit."))
    if problems:
        raise ValidationError(problems)
    holder = patient_with_mrn(db, mrn) if mrn is not None else None
    if holder is not None:
        raise DuplicatePatient(
            f"MRN {mrn} is already registered to {holder.family_name}, {holder.given_name} "
            f"(born {holder.birth_date}); open that record instead of registering again.",
            (holder.id,))
    if not allow_duplicate:
        same = db.scalars(
            select(Patient.id).where(
                Patient.search_family == search_key(f"{family} {given}"),
                Patient.birth_date == birth_date,
            )
        ).all()
        if same:
            raise DuplicatePatient(
                f"{family}, {given} born {birth_date} is already registered; "
                "open the existing record, or confirm this is a different person.",
                tuple(same),
            )
    patient = Patient(
        mrn=mrn or _next_mrn(db),
        family_name=family,
        given_name=given,
        birth_date=birth_date,
        sex=sex,
        phone=phone,
        search_family=search_key(f"{family} {given}"),
        search_given=search_key(f"{given} {family}"),
        created_at_utc=now,
    )
    db.add(patient)
    db.flush()
    append_audit(
        db, actor, "create", at=now, table_name="patients", row_id=patient.id,
        patient_id=patient.id,
        new={"mrn": patient.mrn, "family_name": family, "given_name": given,
             "birth_date": birth_date},
    )
    db.commit()
    return _summary(patient)


def search_patients(db: Session, text: str, *, limit: int = 25) -> list[PatientSummary]:
    """Find patients by any part of the name ("nun", "nunez jo", "łukasiewicz"), MRN or birth date.

    Names: first the names that start with what was typed (family or given name
    first: index range scans, so one keystroke stays fast on a register of
    50,000), then, while the list has room, names holding every typed word as
    the start of a later part ("berg" finds "van der Berg", "lukasiewicz maria"
    finds "Ångström-Łukasiewicz, Maria"). Case, accents and strokes are ignored,
    the same way on SQLite and PostgreSQL: both compare the folded keys stored
    beside the name. MRNs ignore case and white space.
    """
    query = text.strip()
    if not query:
        return []
    birth = parse_birth_date(query)
    if birth is not None:
        found = db.scalars(
            select(Patient).where(Patient.birth_date == birth)
            .order_by(Patient.search_family, Patient.id).limit(limit)
        ).all()
        return [_summary(p) for p in found]
    compact = mrn_key(query)
    if re.fullmatch(r"K?\d{3,}", compact):
        mrn = compact if compact.startswith("K") else "K" + compact.zfill(7)
        found = db.scalars(
            select(Patient).where(Patient.mrn >= mrn, Patient.mrn < prefix_upper_bound(mrn))
            .order_by(Patient.mrn).limit(limit)
        ).all()
        if not found:  # an MRN stored before they were trimmed (" k0000001 ")
            holder = patient_with_mrn(db, mrn)
            found = [holder] if holder is not None else []
        return [_summary(p) for p in found]
    cleaned = query.replace(",", " ")
    # records stored before strokes were folded keep "ł" in their key: look for both
    keys = [k for k in dict.fromkeys((search_key(cleaned), legacy_search_key(cleaned))) if k]
    if not keys:
        return []
    merged: dict[int, Patient] = {}
    if any(ch.isdigit() for ch in compact):  # an MRN of another system ("AB-77")
        exact = db.scalars(select(Patient).where(Patient.mrn == compact).limit(1)).first()
        if exact is not None:
            merged[exact.id] = exact
    # Two range scans per key, each read in index order and stopped at the limit, so a
    # one-letter search costs the same as a full name: no sort of every match.
    starts: dict[int, Patient] = {}
    for key in keys:
        bound = prefix_upper_bound(key)
        for column in (Patient.search_family, Patient.search_given):
            for patient in db.scalars(
                select(Patient).where(column >= key, column < bound)
                .order_by(column, Patient.id).limit(limit)
            ):
                starts.setdefault(patient.id, patient)
    for patient in sorted(starts.values(), key=lambda p: (p.search_family, p.id)):
        merged.setdefault(patient.id, patient)
    if len(merged) < limit:
        # only now a scan: the typed words as the starts of later parts of the name. Ids
        # only, so the scan reads the search key's index, not the patients' rows.
        parts = or_(*(_holds_parts(key) for key in keys))
        ids = db.scalars(
            select(Patient.id).where(parts, Patient.id.not_in(list(merged)))
            .order_by(Patient.search_family, Patient.id).limit(limit - len(merged))
        ).all()
        if ids:
            for patient in db.scalars(select(Patient).where(Patient.id.in_(ids))
                                      .order_by(Patient.search_family, Patient.id)):
                merged.setdefault(patient.id, patient)
    return [_summary(p) for p in list(merged.values())[:limit]]


def _holds_parts(key: str) -> ColumnElement[bool]:
    """Every word of ``key`` begins the name or a part of it (after a space or a hyphen).

    ``search_family`` holds every part of both names ("angstrom-lukasiewicz maria"), so
    the words may come in any order. LIKE's wildcards in what was typed are escaped.
    """
    column = Patient.search_family
    return and_(*(
        or_(column.startswith(word, autoescape=True),
            column.contains(" " + word, autoescape=True),
            column.contains("-" + word, autoescape=True))
        for word in key.split(" ")
    ))


def get_patient(db: Session, patient_id: int) -> PatientSummary:
    """Load one patient's identity, or raise NotFound."""
    patient = db.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"No patient with id {patient_id}.")
    return _summary(patient)


@dataclass(frozen=True)
class WeightRecord:
    """A weighing as the dose panel uses it."""

    weight_kg_text: str
    measured_on: date
    basis: str


def _usual_weight_range(db: Session, patient_id: int) -> tuple[Decimal, Decimal]:
    """The usual adult range of the protocol of the patient's newest active course."""
    record = db.scalar(
        select(ProtocolRecord).join(Course, Course.protocol_id == ProtocolRecord.id)
        .where(Course.patient_id == patient_id, Course.status == "active")
        .order_by(Course.id.desc()).limit(1))
    if record is None:
        return DEFAULT_USUAL_WEIGHT_MIN_KG, DEFAULT_USUAL_WEIGHT_MAX_KG
    protocol = protocol_from_record(record)
    return protocol.usual_weight_min_kg, protocol.usual_weight_max_kg


def _last_entered_weight(db: Session, patient_id: int) -> RecentWeight | None:
    """The weighing entered last for the patient, with who entered it."""
    row = db.execute(
        select(PatientWeight, User.full_name, User.credentials)
        .outerjoin(User, User.id == PatientWeight.recorded_by_id)
        .where(PatientWeight.patient_id == patient_id,
               PatientWeight.voided_at_utc.is_(None))  # a weight entered in error never counts
        .order_by(PatientWeight.created_at_utc.desc(), PatientWeight.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    weight, name, credentials = row
    return RecentWeight(weight.weight_kg, weight.measured_on, weight.created_at_utc,
                        printed_name(name, credentials) if name else None)


def weight_plausibility(db: Session, patient_id: int, weight_kg: Decimal, *,
                        measured_on: date, now: datetime) -> Assessment:
    """What is unusual about a weight about to be recorded; reads only.

    Outside the usual adult range of the patient's protocol, a change of more
    than the clinic's percent from the last weighing of the past 90 days, or a
    second weighing for the same day minutes after the first.
    """
    low, high = _usual_weight_range(db, patient_id)
    last = latest_weight(db, patient_id, measured_on)
    previous = None if last is None else PreviousWeight(last.weight_kg, last.measured_on)
    return assess_weight(weight_kg, measured_on, usual_min_kg=low, usual_max_kg=high,
                         previous=previous, max_change_percent=weight_change_percent(db),
                         now=now, earlier=_last_entered_weight(db, patient_id))


def reference_weight(db: Session, patient_id: int, weight_kg: Decimal,
                     as_of: date) -> PreviousWeight | None:
    """The weighing a dose's weight is compared with.

    Dosing by the latest weighing compares it with the one before it; a typed
    weight is compared with the latest weighing.
    """
    rows = db.scalars(
        select(PatientWeight)
        .where(PatientWeight.patient_id == patient_id, PatientWeight.measured_on <= as_of,
               PatientWeight.voided_at_utc.is_(None))  # a weight entered in error never counts
        .order_by(PatientWeight.measured_on.desc(), PatientWeight.id.desc())
        .limit(2)
    ).all()
    if rows and rows[0].weight_kg == weight_kg:
        rows = rows[1:]
    return PreviousWeight(rows[0].weight_kg, rows[0].measured_on) if rows else None


def record_weight(
    db: Session,
    actor: Actor,
    patient_id: int,
    weight_kg: object,
    *,
    measured_on: date | None = None,
    basis: str = "actual",
    confirm_unusual: bool = False,
    clock: Clock = system_clock,
) -> WeightRecord:
    """Record a weighing (actual or ideal body weight) and commit it.

    An unusual weight (:func:`weight_plausibility`) is refused with what is
    unusual, naming both weights, unless ``confirm_unusual``: the nurse saw
    the message and confirms this weight stands.
    """
    authorize(db, actor, Permission.RECORD)
    now: datetime = clock()
    value, problem = decimal_problem(weight_kg, "Weight", "weight_kg")
    problems = [problem] if problem else []
    if value is not None and not 0 < value <= MAX_WEIGHT_KG:
        problems.append(Problem("weight_kg", f"Weight {value} kg is impossible; enter 1-400 kg."))
    if basis not in {"actual", "ideal"}:
        problems.append(Problem("basis", "Weight basis must be actual or ideal body weight."))

    today = clinic_today(db, now)
    day = measured_on or today
    if day > today:
        problems.append(Problem("measured_on", f"Weighing date {day} is in the future."))
    if problems:
        raise ValidationError(problems)
    assert value is not None
    if db.get(Patient, patient_id) is None:
        raise NotFound(f"No patient with id {patient_id}.")
    unusual = weight_plausibility(db, patient_id, value, measured_on=day, now=now)
    if unusual.message is not None and not confirm_unusual:
        raise ValidationError.single("confirm_unusual", unusual.message)
    weight = PatientWeight(
        patient_id=patient_id, weight_kg=value.quantize(Decimal("0.01")),
        measured_on=day, basis=basis, recorded_by_id=actor.user_id, created_at_utc=now,
    )
    db.add(weight)
    db.flush()
    append_audit(
        db, actor, "create", at=now, table_name="patient_weights", row_id=weight.id,
        patient_id=patient_id, new={"weight_kg": weight.weight_kg, "measured_on": day,
                                    "basis": basis,
                                    **({"confirmed": [f.message for f in unusual.findings]}
                                       if unusual.findings else {})},
    )
    db.commit()
    return WeightRecord(format(weight.weight_kg, "f"), day, basis)


def latest_weight(db: Session, patient_id: int, as_of: date) -> PatientWeight | None:
    """The most recent weighing on or before ``as_of``, or None if never weighed."""
    return db.scalar(
        select(PatientWeight)
        .where(PatientWeight.patient_id == patient_id, PatientWeight.measured_on <= as_of,
               PatientWeight.voided_at_utc.is_(None))  # a weight entered in error never counts
        .order_by(PatientWeight.measured_on.desc(), PatientWeight.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class CourseSummary:
    """A patient's treatment course as the scheduling dialog lists it."""

    id: int
    indication: str
    protocol_id: int
    protocol_name: str
    planned_infusions: int
    sessions_booked: int
    status: str

    @property
    def label(self) -> str:
        """"PTSD - IV ketamine ... (3 of 6 booked)"."""
        return (f"{self.indication} - {self.protocol_name} "
                f"({self.sessions_booked} of {self.planned_infusions} booked)")


def patient_courses(db: Session, patient_id: int) -> list[CourseSummary]:
    """The patient's courses, active first, newest first."""
    from sqlalchemy import func

    booked = (
        select(TreatmentSession.course_id, func.count().label("n"))
        .where(TreatmentSession.state != SessionState.CANCELLED)
        .group_by(TreatmentSession.course_id)
        .subquery()
    )
    rows = db.execute(
        select(Course.id, Course.indication, Course.protocol_id, ProtocolRecord.name,
               Course.planned_infusions, func.coalesce(booked.c.n, 0), Course.status)
        .join(ProtocolRecord, ProtocolRecord.id == Course.protocol_id)
        .outerjoin(booked, booked.c.course_id == Course.id)
        .where(Course.patient_id == patient_id)
        .order_by((Course.status != "active"), Course.id.desc())
    ).all()
    return [CourseSummary(*row) for row in rows]
