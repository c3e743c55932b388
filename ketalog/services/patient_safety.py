"""The patient's safety and identity facts, as every session surface shows them.

Allergies, age, sex, overridden contraindications, cautions and the suicide-risk
state: the session header and the top of every chart summary page print these
from one :class:`SafetyFacts`, and the cautions and the risk words come from
the very functions the day board uses (``course_cautions``,
``suicide_risk_screens`` + ``safety_alert``), so board, screen and paper never
disagree.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.safety import SuicideRiskScreen, safety_alert
from ketalog.domain.screening import review_screening
from ketalog.reports.inputs import ALERT_MARK as ALERT_MARK
from ketalog.reports.inputs import NO_FACTS as NO_FACTS
from ketalog.reports.inputs import SafetyFacts as SafetyFacts
from ketalog.services.errors import NotFound
from ketalog.services.safety import suicide_risk_screens
from ketalog.services.screening import course_cautions, findings_of
from ketalog.services.settings import clinic_timezone
from ketalog.store.models import Patient, Screening, TreatmentSession


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on ``day`` (a birthday counts from that day)."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (1 if before_birthday else 0)


def safety_facts(db: Session, session_id: int, *, cautions: tuple[str, ...] | None = None,
                 screen: SuicideRiskScreen | None = None) -> SafetyFacts:
    """The session's safety and identity facts, read from the same sources as the board.

    ``cautions`` and ``screen``, when the caller has just read them (the session
    view has, through ``course_gate`` and ``session_facts``), are not read again.

    Raises:
        NotFound: no such session.
    """
    row = db.execute(
        select(TreatmentSession.course_id, TreatmentSession.scheduled_at_utc,
               TreatmentSession.checked_in_at_utc, Patient.birth_date, Patient.sex)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .where(TreatmentSession.id == session_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"No session with id {session_id}.")
    day = (row.checked_in_at_utc or row.scheduled_at_utc).astimezone(clinic_timezone(db)).date()
    screening = db.scalar(select(Screening).where(Screening.course_id == row.course_id))
    allergies = overrides = None
    reason = None
    if screening is not None:
        allergies = screening.allergies
        reason = (screening.override_reason or "").strip() or None
        if reason:
            review = review_screening(findings_of(screening))
            overrides = tuple(f.short or f.text for f in review.contraindications)
    if screen is None:
        screen = suicide_risk_screens(db, [session_id]).get(session_id, SuicideRiskScreen())
    if cautions is None:
        cautions = course_cautions(db, [row.course_id]).get(row.course_id, ())
    return SafetyFacts(
        allergies=allergies, age_years=age_on(row.birth_date, day), sex=row.sex,
        overrides=overrides or (), override_reason=reason if overrides else None,
        cautions=cautions, suicide_risk=safety_alert(screen), screen=screen,
    )
