"""The patient's safety and identity facts, as every session surface shows them.

Allergies, age, sex, overridden contraindications, cautions and the suicide-risk
state: the session header and the top of every chart summary page print these
from one :class:`SafetyFacts`, and the cautions and the risk words come from
the very functions the day board uses (``course_cautions``,
``suicide_risk_screens`` + ``safety_alert``), so board, screen and paper never
disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.safety import SuicideRiskScreen, safety_alert
from ketalog.domain.screening import review_screening
from ketalog.services.errors import NotFound
from ketalog.services.safety import suicide_risk_screens
from ketalog.services.screening import OVERRIDDEN_LABEL, course_cautions, findings_of
from ketalog.services.settings import clinic_timezone
from ketalog.store.models import Patient, Screening, TreatmentSession

ALERT_MARK = "⚠"


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on ``day`` (a birthday counts from that day)."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (1 if before_birthday else 0)


@dataclass(frozen=True)
class SafetyFacts:
    """What must be in view whenever this patient's session is: pure data, no wording rules.

    ``allergies`` is None when no screening recorded them (printed as "not
    recorded", never as "none"); ``suicide_risk`` holds the board's words when
    the screen is positive.
    """

    allergies: str | None = None
    age_years: int | None = None
    sex: str | None = None
    #: contraindications a physician overrode, and the reason given
    overrides: tuple[str, ...] = ()
    override_reason: str | None = None
    #: the board's caution labels ("benzodiazepine", "contraindication overridden")
    cautions: tuple[str, ...] = ()
    #: the board's safety words ("C-SSRS screen needed: PHQ-9 item 9 = 2"), None if negative
    suicide_risk: str | None = None
    #: the screen itself, for the state when nothing is positive
    screen: SuicideRiskScreen = SuicideRiskScreen()

    @property
    def identity_text(self) -> str:
        """"Age 46 · Sex female · Allergies: penicillin (rash)"."""
        parts = []
        if self.age_years is not None:
            parts.append(f"Age {self.age_years}")
        parts.append(f"Sex {self.sex}" if self.sex else "Sex not recorded")
        allergies = (self.allergies or "").strip()
        parts.append(f"Allergies: {allergies}" if allergies else "Allergies: not recorded")
        return " · ".join(parts)

    @property
    def risk_text(self) -> str:
        """The suicide-risk state in words, positive or not."""
        if self.suicide_risk:
            return self.suicide_risk
        if self.screen.phq9_item9 is None:
            return "Suicide-risk screen: no PHQ-9 at this visit yet"
        return f"Suicide-risk screen: PHQ-9 item 9 = {self.screen.phq9_item9}"

    @property
    def warnings(self) -> tuple[str, ...]:
        """What needs attention, each with the alert mark (risk first, then cautions)."""
        out = []
        if self.suicide_risk:
            out.append(f"{ALERT_MARK} {self.suicide_risk}")
        # the overrides are spelled out below, so the board's short label is not repeated
        cautions = [c for c in self.cautions if not (self.overrides and c == OVERRIDDEN_LABEL)]
        if cautions:
            out.append(f"{ALERT_MARK} Caution: {', '.join(cautions)}")
        if self.overrides:
            reason = f" (reason: {self.override_reason})" if self.override_reason else ""
            out.append(f"{ALERT_MARK} Contraindication overridden by a physician: "
                       f"{', '.join(self.overrides)}{reason}")
        return tuple(out)

    @property
    def text(self) -> str:
        """Everything on one wrapping line, as the chart summary's page header prints it."""
        parts = [self.identity_text, *self.warnings]
        if not self.suicide_risk:
            parts.append(self.risk_text)
        return " · ".join(parts)


NO_FACTS = SafetyFacts()


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
