"""Everything the session screen shows, in one read: rows, gates, progress, schedule.

The screen asks once per refresh; panels never query. ``blocked`` tells each
button whether it can be pressed and, if not, the domain's reasons in words,
so the UI can say why something is disabled.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.alerts import AlertState, RaisedAlert
from ketalog.domain.dosing import weight_age_warning
from ketalog.domain.errors import TransitionRefused
from ketalog.domain.infusion import InfusionProgress, PumpEvent, infusion_progress
from ketalog.domain.protocols import DosingMode, Protocol
from ketalog.domain.safety import NO_SCREEN, SuicideRiskScreen
from ketalog.domain.scheduling import infusion_label
from ketalog.domain.session_state import (
    SessionAction,
    SessionState,
    allowed_actions,
    discharge_problems,
    ensure_editable,
    next_state,
)
from ketalog.domain.values import printed_name
from ketalog.domain.vitals import VitalsPhase, next_vitals_due
from ketalog.services.alerts import newest_open_at, session_alerts
from ketalog.services.board import vitals_phase
from ketalog.services.errors import NotFound
from ketalog.services.patient_safety import NO_FACTS, SafetyFacts, safety_facts
from ketalog.services.patients import latest_weight
from ketalog.services.protocols import protocol_by_id
from ketalog.services.screening import course_gate
from ketalog.services.session.state import session_facts
from ketalog.services.session_detail import SessionDetail, open_session
from ketalog.services.settings import clinic_today
from ketalog.services.signature_status import SignatureStatus, signature_status
from ketalog.services.signing import (
    NURSING_ATTESTATION,
    PHYSICIAN_SIGNATURE,
    SessionVerification,
)
from ketalog.store.models import Addendum, Signature, TreatmentSession, User


@dataclass(frozen=True)
class WeightInfo:
    """The weight the dose panel offers, with its age warning."""

    weight_kg: Decimal
    measured_on: date
    basis: str
    age_warning: str | None


@dataclass(frozen=True)
class ProtocolInfo:
    """What the dose panel needs to know about the session's protocol."""

    code: str
    name: str
    drug: str
    route: str
    dosing_mode: str
    dose_unit: str | None
    default_dose: Decimal | None
    default_duration_min: int | None
    default_concentration_mg_per_ml: Decimal | None
    default_bag_volume_ml: Decimal | None
    allowed_device_counts: tuple[int, ...]
    min_monitoring_min: int
    during_dose_interval_min: int | None
    recovery_interval_min: int | None


@dataclass(frozen=True)
class SignatureLine:
    """A nursing attestation or the physician's signature, as the sign-off tab shows it."""

    kind: str
    signer_name: str  # printed name and credentials as they were at signing
    meaning: str
    signed_at_utc: datetime
    content_sha256: str


@dataclass(frozen=True)
class AddendumLine:
    """An addendum to a signed session, numbered in the order written."""

    number: int
    author_name: str
    written_at_utc: datetime
    reason: str
    text: str


@dataclass(frozen=True)
class SigningState:
    """Who completed and signed the session, what was added since, and whether it still matches.

    ``verification`` is only computed for a signed session (it re-reads the
    whole record), so an open session costs two small queries.
    """

    attestations: tuple[SignatureLine, ...] = ()
    signature: SignatureLine | None = None
    verification: SessionVerification | None = None
    addenda: tuple[AddendumLine, ...] = ()
    #: the signature re-verified with its audit rows: what the screen may call "signed"
    status: SignatureStatus | None = None

    @property
    def nursing_completed(self) -> SignatureLine | None:
        """The latest nursing attestation (a late entry may be followed by another)."""
        return self.attestations[-1] if self.attestations else None

    @property
    def signed(self) -> bool:
        """A physician has signed."""
        return self.signature is not None

    @property
    def changed(self) -> bool:
        """Signed, and the stored record no longer matches what was signed."""
        return self.verification is not None and self.verification.changed

    @property
    def not_valid(self) -> str:
        """"SIGNATURE NOT VALID: <reason>" when a signature is claimed and does not hold."""
        return self.status.banner if self.status is not None else ""


@dataclass(frozen=True)
class SessionView:
    """The session screen's data at one instant."""

    detail: SessionDetail
    now: datetime
    protocol: ProtocolInfo
    #: action value -> reasons it is refused now; () when it can be done now.
    #: Actions impossible from the current state are absent.
    blocked: Mapping[str, tuple[str, ...]]
    #: None when clinical entries are accepted, else why not ("signed: write an addendum")
    entry_refusal: str | None
    progress: InfusionProgress | None
    next_vitals_due_at_utc: datetime | None
    discharge_problems: tuple[str, ...]
    weight: WeightInfo | None
    signing: SigningState = SigningState()
    #: PHQ-9 item 9, the C-SSRS after it and the physician's review (check-in measures)
    suicide_risk: SuicideRiskScreen = NO_SCREEN
    #: the course screening's cautions, for the header ("benzodiazepine", ...)
    cautions: tuple[str, ...] = ()
    #: allergies, age, sex, overrides, cautions and suicide-risk state (the safety strip)
    safety: SafetyFacts = NO_FACTS
    #: every alert of the session with where it stands, oldest first
    alerts: tuple[AlertState, ...] = ()
    #: the alerts still open (waiting for a physician or a reading back in range)
    open_alerts: tuple[RaisedAlert, ...] = ()

    @property
    def infusion_label(self) -> str:
        """Infusion "3 of 6"; a booster after the induction series reads "7 (maintenance)"."""
        d = self.detail
        if d.sequence_number is None:
            return ""
        return infusion_label(d.sequence_number, d.planned_infusions).removeprefix("infusion ")

    def can(self, action: SessionAction | str) -> bool:
        """Whether the action can be done now."""
        return self.blocked.get(str(action)) == ()

    def why_not(self, action: SessionAction | str) -> str:
        """Why the action cannot be done now, in words ("" when it can)."""
        reasons = self.blocked.get(str(action))
        if reasons is None:
            state = self.detail.state.replace("_", " ")
            return f"Not possible while the session is {state}."
        return "\n".join(reasons)


def _protocol_info(protocol: Protocol) -> ProtocolInfo:
    schedule = protocol.schedule
    unit = None if protocol.dosing_mode is DosingMode.DEVICE else (
        "mg/kg/h" if protocol.dosing_mode is DosingMode.RATE else "mg/kg")
    return ProtocolInfo(
        protocol.code, protocol.name, protocol.drug, str(protocol.route),
        str(protocol.dosing_mode), unit, protocol.default_dose, protocol.default_duration_min,
        protocol.default_concentration_mg_per_ml, protocol.default_bag_volume_ml,
        tuple(protocol.allowed_device_counts), protocol.min_monitoring_min,
        schedule.during_dose_interval_min, schedule.recovery_interval_min,
    )


def load_signing_state(db: Session, session_id: int, state: SessionState) -> SigningState:
    """Attestations, the physician's signature, addenda, and (signed only) the verification."""
    lines = [
        SignatureLine(sig.kind, sig.signer_name or printed_name(name, creds), sig.meaning,
                      sig.signed_at_utc, sig.content_sha256)
        for sig, name, creds in db.execute(
            select(Signature, User.full_name, User.credentials)
            .join(User, User.id == Signature.signer_id)
            .where(Signature.session_id == session_id)
            .order_by(Signature.signed_at_utc, Signature.id)
        )
    ]
    attestations = tuple(line for line in lines if line.kind == NURSING_ATTESTATION)
    signatures = [line for line in lines if line.kind == PHYSICIAN_SIGNATURE]
    # one round trip for the audit evidence; the content is hashed only once signed
    status = signature_status(db, session_id) if lines or state == SessionState.SIGNED else None
    if not signatures and state != SessionState.SIGNED:
        return SigningState(attestations=attestations, status=status)
    assert status is not None
    addenda = tuple(
        AddendumLine(number, a.author_name or printed_name(name, creds), a.written_at_utc,
                     a.reason, a.text)
        for number, (a, name, creds) in enumerate(db.execute(
            select(Addendum, User.full_name, User.credentials)
            .join(User, User.id == Addendum.author_id)
            .where(Addendum.session_id == session_id)
            .order_by(Addendum.written_at_utc, Addendum.id)
        ), start=1)
    )
    return SigningState(
        attestations=attestations, signature=signatures[-1] if signatures else None,
        verification=status.check, addenda=addenda, status=status,
    )


def load_session_view(db: Session, session_id: int, now: datetime) -> SessionView:
    """Load the session and judge every action against the rules, as of ``now``."""
    detail = open_session(db, session_id)
    row = db.get(TreatmentSession, session_id)
    if row is None:
        raise NotFound(f"No session with id {session_id}.")
    protocol = protocol_by_id(db, row.protocol_id)
    gate = course_gate(db, row.course_id)
    alerts = session_alerts(db, [session_id])[session_id]
    facts = session_facts(db, row, protocol, now, gate=gate, open_alerts=tuple(
        s.alert.message for s in alerts if s.is_open))
    blocked: dict[str, tuple[str, ...]] = {}
    for action in allowed_actions(detail.state):
        if action is SessionAction.SIGN:
            continue
        trial = facts
        if action in (SessionAction.CANCEL, SessionAction.STOP_EARLY, SessionAction.PAUSE):
            trial = dataclasses.replace(facts, reason="(reason given on the form)")
        try:
            next_state(detail.state, action, trial)
            blocked[action.value] = ()
        except TransitionRefused as refused:
            blocked[action.value] = refused.reasons
    entry_refusal = None
    try:
        ensure_editable(detail.state, "entries")
    except TransitionRefused as refused:
        entry_refusal = "\n".join(refused.reasons)
    progress = None
    if detail.dose is not None and detail.dose_started_at_utc is not None:
        progress = infusion_progress(
            [PumpEvent(e.kind, e.at_utc, e.rate_ml_per_h) for e in detail.infusion_events],
            total_mg=detail.dose.total_mg, bag_volume_ml=detail.dose.bag_volume_ml,
            planned_rate_ml_per_h=detail.dose.rate_ml_per_h, now=now,
        )
    phase = vitals_phase(detail.state)
    due = None
    if phase is not VitalsPhase.NOT_MONITORED:
        live = [v.taken_at_utc for v in detail.vitals if not v.voided]
        start = detail.dose_started_at_utc
        due = next_vitals_due(
            protocol.schedule, phase, last_reading_at=live[-1] if live else None,
            dose_started_at=start or now,
            recovery_started_at=detail.dose_ended_at_utc or start or now,
            readings_since_dose_start=[t for t in live if start and t >= start], now=now,
            open_alert_at=newest_open_at(alerts),
        )
    weight = None
    today = clinic_today(db, now)
    last = latest_weight(db, detail.patient_id, today)
    if last is not None:
        weight = WeightInfo(last.weight_kg, last.measured_on, last.basis,
                            weight_age_warning(last.measured_on, today,
                                               protocol.weight_max_age_days))
    return SessionView(
        detail=detail, now=now, protocol=_protocol_info(protocol), blocked=blocked,
        entry_refusal=entry_refusal, progress=progress, next_vitals_due_at_utc=due,
        discharge_problems=tuple(discharge_problems(facts)), weight=weight,
        signing=load_signing_state(db, session_id, detail.state),
        suicide_risk=facts.suicide_risk,
        cautions=gate.cautions,
        safety=safety_facts(db, session_id, cautions=gate.cautions, screen=facts.suicide_risk),
        alerts=alerts, open_alerts=tuple(s.alert for s in alerts if s.is_open),
    )
