"""Interventions (drugs and actions given) and adverse events during a session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.session_state import ensure_editable
from ketalog.domain.values import decimal_problem, printed_name
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.session.common import entry_time, load_session
from ketalog.services.session.entries import resolve_onset_row
from ketalog.store.models import AdverseEvent, Intervention

#: The clinic formulary shown first in the picker: (drug, usual dose, unit, route, and what
#: to tell the patient). The last is the only way an intervention reaches the patient's
#: take-home report: the nursing note (indication, outcome) never does.
FORMULARY = (
    ("ondansetron", "4", "mg", "IV", "a medicine for nausea"),
    ("midazolam", "1", "mg", "IV", "a medicine to help you feel calmer"),
    ("lorazepam", "0.5", "mg", "IV", "a medicine to help you feel calmer"),
    ("labetalol", "10", "mg", "IV", "a medicine to lower your blood pressure"),
    ("clonidine", "0.1", "mg", "PO", "a medicine to lower your blood pressure"),
)
#: What the patient's report says for a drug or action with no patient wording.
NEUTRAL_PATIENT_WORDING = "a medicine given by your care team"


def patient_wording(drug: str) -> str:
    """What to tell the patient about an intervention, from the formulary.

    A free-text entry that names a formulary drug ("Labetalol 10 mg IV") reads as
    that drug; anything else gets the neutral wording, never the nurse's text.
    """
    import re

    words = set(re.findall(r"[a-z]+", (drug or "").casefold()))
    for name, _dose, _unit, _route, wording in FORMULARY:
        if name in words:
            return wording
    return NEUTRAL_PATIENT_WORDING


ROUTES = ("IV", "IM", "PO", "SL", "IN", "SC", "inhaled", "other")
ADVERSE_EVENT_KINDS = (
    "hypertension", "tachycardia", "nausea/vomiting", "anxiety or emergence reaction",
    "excessive sedation", "desaturation", "headache", "dizziness", "other",
)
SEVERITIES = ("mild", "moderate", "severe")


def record_intervention(
    db: Session,
    actor: Actor,
    session_id: int,
    *,
    drug: str,
    dose: object = None,
    dose_unit: str | None = None,
    route: str | None = None,
    given_at: datetime | None = None,
    given_by_name: str | None = None,
    indication: str | None = None,
    outcome: str | None = None,
    clock: Clock = system_clock,
) -> int:
    """Record a drug or action given (from the formulary or free text)."""
    recorder = authorize(db, actor, Permission.RECORD)
    now = clock()
    session = load_session(db, session_id)
    ensure_editable(session.state, "an intervention")
    problems = []
    name = (drug or "").strip()
    if not name:
        problems.append(Problem("drug", "Name the drug or action given."))
    amount = None
    if dose not in (None, ""):
        amount, problem = decimal_problem(dose, "Dose", "dose")
        if problem:
            problems.append(problem)
        elif amount is not None and amount <= 0:
            problems.append(Problem("dose", "The dose must be above 0."))
        if not (dose_unit or "").strip():
            problems.append(Problem("dose_unit", "Give the unit of the dose (mg, mcg, mL)."))
    if route and route not in ROUTES:
        problems.append(Problem("route", f"Route must be one of {', '.join(ROUTES)}."))
    if problems:
        raise ValidationError(problems)
    row = Intervention(
        session_id=session_id, drug=name, dose=amount, dose_unit=(dose_unit or "").strip() or None,
        route=route or None, given_at_utc=entry_time(given_at, now, "time given"),
        given_by_id=actor.user_id,
        given_by_name=((given_by_name or "").strip()
                       or printed_name(recorder.full_name, recorder.credentials)),
        indication=(indication or "").strip() or None, outcome=(outcome or "").strip() or None,
        created_at_utc=now,
    )
    db.add(row)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="interventions", row_id=row.id,
                 patient_id=session.patient_id,
                 new={"drug": name, "dose": amount, "unit": row.dose_unit, "route": route,
                      "outcome": row.outcome})
    db.commit()
    return row.id


def record_adverse_event(
    db: Session,
    actor: Actor,
    session_id: int,
    *,
    kind: str,
    severity: str = "mild",
    onset_at: datetime | None = None,
    description: str | None = None,
    action_taken: str | None = None,
    clock: Clock = system_clock,
) -> int:
    """Record an adverse event with its onset, severity and the action taken."""
    authorize(db, actor, Permission.RECORD)
    now = clock()
    session = load_session(db, session_id)
    ensure_editable(session.state, "an adverse event")
    problems = []
    if kind not in ADVERSE_EVENT_KINDS:
        choices = ", ".join(ADVERSE_EVENT_KINDS)
        problems.append(Problem("kind", f"Choose the event from: {choices}."))
    if severity not in SEVERITIES:
        problems.append(Problem("severity", "Severity must be mild, moderate or severe."))
    if kind == "other" and not (description or "").strip():
        problems.append(Problem("description", "Describe the event."))
    if problems:
        raise ValidationError(problems)
    row = AdverseEvent(
        session_id=session_id, kind=kind, severity=severity,
        onset_at_utc=entry_time(onset_at, now, "onset"),
        description=(description or "").strip() or None,
        action_taken=(action_taken or "").strip() or None, recorded_by_id=actor.user_id,
        created_at_utc=now,
    )
    db.add(row)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="adverse_events", row_id=row.id,
                 patient_id=session.patient_id,
                 new={"kind": kind, "severity": severity, "action": row.action_taken})
    db.commit()
    return row.id


def resolve_adverse_event(
    db: Session, actor: Actor, event_id: int, *, resolved_at: datetime | None = None,
    clock: Clock = system_clock,
) -> None:
    """Close an adverse event at the time it resolved."""
    authorize(db, actor, Permission.RECORD)
    resolve_onset_row(db, actor, AdverseEvent, event_id, "adverse event", "an adverse event",
                      resolved_at=resolved_at, clock=clock)
