"""The plain data every document is built from: what the services hand the reports.

The renderers in :mod:`ketalog.reports` take these objects and return bytes; they
never see a database session (as pretix's invoice renderers take plain data). The
services build them (:mod:`ketalog.services.documents` and the read models it calls),
and the screens show the same objects, so paper and screen agree. Only the domain is
imported here (the store's audit anchor as a type only): neither reportlab nor
SQLAlchemy, so a service may import it at start-up and a renderer loads no database
code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ketalog.domain.orders import OrderKind, PhysicianOrder
from ketalog.domain.outcomes import OUTCOME_SCALES, CourseOutcome, CourseVisit
from ketalog.domain.rems import RemsForm
from ketalog.domain.safety import SuicideRiskScreen
from ketalog.domain.screening import OVERRIDDEN_LABEL
from ketalog.domain.session_state import SessionState, dose_started

if TYPE_CHECKING:
    # a type only: the store's anchor module loads SQLAlchemy, which no renderer needs
    from ketalog.store.anchors import Anchor

# --- Each document's title: on its pages, on its preview window, in the command line -----

SESSION_SUMMARY_TITLE = "Session summary"
VISIT_REPORT_TITLE = "Visit report"
DAY_LOG_TITLE = "Day log"
COURSE_REPORT_TITLE = "Course report"
#: the form's own name (Spravato REMS Patient Monitoring Form), on paper and on screen
REMS_FORM_TITLE = "Spravato REMS patient monitoring form"


# --- The clinic, as every page header prints it ------------------------------------------


@dataclass(frozen=True)
class Clinic:
    """The clinic as printed on documents (settings)."""

    name: str
    address: str = ""
    phone: str = ""
    logo: bytes | None = None  # PNG or JPEG, drawn at the left of every page header
    #: the demo clinic: every page says so, so no page passes for a patient record
    demo: bool = False
    #: the administrator's one line at the foot of every page (e.g. a confidentiality note)
    footer: str = ""


# --- One session, as the session view and the chart documents show it --------------------


@dataclass(frozen=True)
class VoidMark:
    """Why an entry no longer counts: entered in error, by whom, when and why.

    Such entries stay on every screen and document, struck through with this
    mark; every computation leaves them out (see :mod:`ketalog.services.corrections`).
    """

    at_utc: datetime | None
    by_name: str
    reason: str
    #: the entry that corrects it (same kind), when one was recorded in its place
    replaced_by_id: int | None = None


@dataclass(frozen=True)
class VitalRow:
    """One reading as the vitals grid and the chart show it."""

    id: int
    version: int
    taken_at_utc: datetime
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    heart_rate_bpm: int | None
    spo2_percent: int | None
    resp_rate_per_min: int | None
    temperature_c: Decimal | None
    etco2_mmhg: int | None
    pain_score: int | None
    alert_codes: tuple[str, ...]
    action_note: str | None
    voided: bool
    void: VoidMark | None = None


@dataclass(frozen=True)
class DoseOrderView:
    """The current dose order with its verification."""

    id: int
    drug: str
    route: str
    dosing_mode: str
    dose_mg_per_kg: Decimal | None
    rate_mg_per_kg_per_h: Decimal | None
    device_count: int | None
    weight_kg: Decimal | None
    weight_measured_on: date | None
    weight_basis: str | None
    concentration_mg_per_ml: Decimal | None
    bag_volume_ml: Decimal | None
    duration_min: int | None
    total_mg: Decimal
    drug_volume_ml: Decimal | None
    rate_ml_per_h: Decimal | None
    working: tuple[str, ...]
    lot_number: str | None
    limit_level: str
    override_reason: str | None
    prepared_by_name: str
    verified_by_name: str | None
    verified_at_utc: datetime | None
    #: The second nurse's own figures (0015); None on checks made before, or not checked yet.
    verifier_total_mg: Decimal | None = None
    verifier_rate_ml_per_h: Decimal | None = None


@dataclass(frozen=True)
class EventRow:
    """An infusion event, flag, note or signature, flattened for display."""

    id: int
    kind: str
    at_utc: datetime
    detail: str
    until_utc: datetime | None = None
    rate_ml_per_h: Decimal | None = None
    void: VoidMark | None = None

    @property
    def voided(self) -> bool:
        """Marked entered in error (an event flag): shown struck through, counted nowhere."""
        return self.void is not None


@dataclass(frozen=True)
class NoteRow:
    """A note with its author and time, kept apart so nothing has to parse them back."""

    id: int
    kind: str
    at_utc: datetime
    author_name: str
    text: str
    void: VoidMark | None = None

    @property
    def voided(self) -> bool:
        """Marked entered in error: shown struck through, counted nowhere."""
        return self.void is not None


@dataclass(frozen=True)
class ScoreRow:
    """A scored instrument with its item scores."""

    id: int
    scale: str
    taken_at_utc: datetime
    total: int
    item_scores: tuple[int, ...]
    band: str | None
    #: who recorded it, as printed ("Nora Reyes, RN"); "" when unknown
    recorded_by_name: str = ""
    void: VoidMark | None = None

    @property
    def voided(self) -> bool:
        """Marked entered in error: shown struck through, counted nowhere."""
        return self.void is not None


@dataclass(frozen=True)
class InterventionRow:
    """A drug or action given."""

    id: int
    drug: str
    dose: Decimal | None
    dose_unit: str | None
    route: str | None
    given_at_utc: datetime
    given_by_name: str
    indication: str | None
    outcome: str | None
    void: VoidMark | None = None

    @property
    def voided(self) -> bool:
        """Marked entered in error: shown struck through, counted nowhere."""
        return self.void is not None


@dataclass(frozen=True)
class AdverseEventRow:
    """An adverse event with onset, resolution and action."""

    id: int
    kind: str
    severity: str
    onset_at_utc: datetime
    resolved_at_utc: datetime | None
    description: str | None
    action_taken: str | None
    void: VoidMark | None = None

    @property
    def voided(self) -> bool:
        """Marked entered in error: shown struck through, counted nowhere."""
        return self.void is not None


@dataclass(frozen=True)
class SessionDetail:
    """Everything the session view shows, loaded in one go."""

    id: int
    version: int
    state: SessionState
    state_reason: str | None
    chair: str
    scheduled_at_utc: datetime
    patient_id: int
    patient_name: str
    mrn: str
    birth_date: date
    course_id: int
    indication: str
    sequence_number: int | None
    planned_infusions: int
    protocol_code: str
    protocol_name: str
    checked_in_at_utc: datetime | None
    dose_started_at_utc: datetime | None
    dose_ended_at_utc: datetime | None
    ready_to_leave_at_utc: datetime | None
    discharged_at_utc: datetime | None
    escort_name: str | None
    instructions_given: bool
    identity_confirmed: bool
    consent_on_file: bool
    npo_confirmed: bool
    predose_bp_ack_at_utc: datetime | None
    dose: DoseOrderView | None
    infusion_events: tuple[EventRow, ...]
    vitals: tuple[VitalRow, ...]
    scores: tuple[ScoreRow, ...]
    event_flags: tuple[EventRow, ...]
    interventions: tuple[InterventionRow, ...]
    adverse_events: tuple[AdverseEventRow, ...]
    notes: tuple[NoteRow, ...]
    signatures: tuple[EventRow, ...]

    # Entries entered in error are in the tuples above (struck through where shown);
    # every computation takes these instead.

    @property
    def live_vitals(self) -> tuple[VitalRow, ...]:
        """Readings that count (not entered in error)."""
        return tuple(v for v in self.vitals if not v.voided)

    @property
    def live_scores(self) -> tuple[ScoreRow, ...]:
        """Scores that count (not entered in error)."""
        return tuple(s for s in self.scores if s.void is None)

    @property
    def live_event_flags(self) -> tuple[EventRow, ...]:
        """Event flags that count (not entered in error)."""
        return tuple(f for f in self.event_flags if f.void is None)

    @property
    def live_interventions(self) -> tuple[InterventionRow, ...]:
        """Interventions that count (not entered in error)."""
        return tuple(i for i in self.interventions if i.void is None)

    @property
    def live_adverse_events(self) -> tuple[AdverseEventRow, ...]:
        """Adverse events that count (not entered in error)."""
        return tuple(a for a in self.adverse_events if a.void is None)

    @property
    def live_notes(self) -> tuple[NoteRow, ...]:
        """Notes that count (not entered in error)."""
        return tuple(n for n in self.notes if n.void is None)


# --- The patient's safety facts, at the top of every page and screen ---------------------


ALERT_MARK = "⚠"


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
    screen: SuicideRiskScreen = field(default_factory=SuicideRiskScreen)

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


# --- Whether a signed record still matches what was signed -------------------------------


LEGACY_NOTE = "signed before keyed signatures (not cryptographically bound)"


ADMIN_RESET_NOTE = ("signed with a key issued after an administrator reset the signer's "
                    "password")


@dataclass(frozen=True)
class SessionVerification:
    """Whether a signed session still matches what was signed, and if not, what changed."""

    session_id: int
    signed: bool
    intact: bool
    signer_name: str | None = None
    signed_at_utc: datetime | None = None
    signed_sha256: str | None = None
    current_sha256: str | None = None
    changes: tuple[str, ...] = ()
    #: Why the signature itself is not valid (forged, not the signer's key, ...); empty if valid.
    invalid_reasons: tuple[str, ...] = ()
    #: Signed before keyed signatures: valid, but not cryptographically bound.
    legacy: bool = False
    #: Signed with a key issued after an administrator reset the signer's password.
    key_issued_after_admin_reset: bool = False

    @property
    def changed(self) -> bool:
        """Signed, and the record no longer matches the signature (or the signature is invalid)."""
        return self.signed and not self.intact

    @property
    def notes(self) -> tuple[str, ...]:
        """What a reader of a valid signature should know (legacy, key after a reset)."""
        return ((LEGACY_NOTE,) if self.legacy else ()) + (
            (ADMIN_RESET_NOTE,) if self.key_issued_after_admin_reset else ())


# --- What a signature is worth when shown or printed -------------------------------------


NOT_VALID_BANNER = "SIGNATURE NOT VALID"


class SignatureState(StrEnum):
    """What a session's physician signature is worth right now."""

    NOT_SIGNED = "not_signed"
    VALID = "valid"
    NOT_VALID = "not_valid"


@dataclass(frozen=True)
class SignatureStatus:
    """A session's signature as the screens and documents must present it."""

    session_id: int
    state: SignatureState
    #: why it is not valid, in words a physician or inspector reads ("" when valid)
    reason: str = ""
    signer_name: str | None = None
    signed_at_utc: datetime | None = None
    #: every difference between the record and what was signed, one sentence each
    changes: tuple[str, ...] = ()
    #: everything else found wrong (missing audit rows, a signed state without a signature)
    problems: tuple[str, ...] = ()
    #: the content check it was built from (None when nothing was signed), for the hashes
    check: SessionVerification | None = field(default=None, compare=False, repr=False)

    @property
    def valid(self) -> bool:
        """Signed, unchanged, and made by the app (its audit rows exist)."""
        return self.state is SignatureState.VALID

    @property
    def not_valid(self) -> bool:
        """Something claims a signature, and it must not be trusted."""
        return self.state is SignatureState.NOT_VALID

    @property
    def banner(self) -> str:
        """The words printed and shown instead of "signed" when it is not valid."""
        return f"{NOT_VALID_BANNER}: {self.reason}" if self.not_valid else ""

    @property
    def attestation_problems(self) -> tuple[str, ...]:
        """What is wrong with the nursing attestations (shown where "completed" would be)."""
        return tuple(p for p in self.problems if "nursing attestation" in p)

    @property
    def findings(self) -> tuple[str, ...]:
        """Everything wrong, problems first, then each change since signing."""
        return self.problems + self.changes


# --- The physician's order a dose followed -----------------------------------------------


@dataclass(frozen=True)
class OrderView:
    """One stored order as screens and documents show it."""

    id: int
    kind: OrderKind
    course_id: int
    session_id: int | None
    order: PhysicianOrder
    physician_id: int
    ordered_at_utc: datetime
    #: the physician's key and signature are there (entered, or co-signed)
    keyed: bool
    received_by_name: str | None
    read_back: bool | None
    cosigned_at_utc: datetime | None
    supersedes_id: int | None

    @property
    def physician_name(self) -> str:
        """The ordering physician's printed name as it was when ordering."""
        return self.order.physician_name

    @property
    def awaiting_cosignature(self) -> bool:
        """A verbal order the physician has not co-signed yet."""
        return self.kind is OrderKind.VERBAL and self.cosigned_at_utc is None


@dataclass(frozen=True)
class FollowedOrder:
    """The order a session's current dose followed, as the chart summary prints it."""

    view: OrderView | None
    #: why its signature does not hold (empty when it holds, or awaits co-signature)
    problems: tuple[str, ...] = ()
    #: no order: the dose was above the protocol maximum on the physician's override
    override_by_name: str | None = None
    #: no order, and none was required (a course opened before orders were recorded)
    not_required: bool = False


# --- A course, as the course window and the course report show it ------------------------


@dataclass(frozen=True)
class CourseSessionRow:
    """One session of a course: when, its number, how far it got, the dose, the scores."""

    session_id: int
    number: int | None  # "infusion n of N"; maintenance boosters continue the numbering
    scheduled_at_utc: datetime
    state: SessionState
    chair: str
    dose_started_at_utc: datetime | None
    ordered_mg: Decimal | None  # the current dose order's computed total
    dose_mg_per_kg: Decimal | None
    scores: Mapping[str, int]  # scale code -> the visit's first total (taken at check-in)

    @property
    def infused(self) -> bool:
        """The dose was started: this session counts as an infusion given."""
        return dose_started(self.state)

    @property
    def given_mg(self) -> Decimal | None:
        """The dose order's total for an infusion given; None before the dose starts.

        For a session stopped early this is what was ordered, more than what ran in.
        """
        return self.ordered_mg if self.infused else None

    @property
    def visit(self) -> CourseVisit:
        """The session as the outcome rules see it."""
        return CourseVisit(self.infused, self.scores)


@dataclass(frozen=True)
class ScoreInError:
    """An outcome score marked entered in error: printed struck through, counted nowhere."""

    session_number: int | None
    scale: str
    total: int
    taken_at_utc: datetime
    voided_at_utc: datetime | None
    voided_by_name: str
    reason: str


@dataclass(frozen=True)
class CourseView:
    """Everything the course window and course report show about one course."""

    course_id: int
    patient_id: int
    patient_name: str
    mrn: str
    birth_date: date
    indication: str
    primary_scale: str
    protocol_code: str
    protocol_name: str
    phase: str  # induction | maintenance
    status: str  # active | completed | stopped
    status_reason: str | None
    started_on: date | None
    ended_on: date | None
    planned_infusions: int
    sessions: tuple[CourseSessionRow, ...]
    outcomes: Mapping[str, CourseOutcome]  # by scale code, the primary scale first
    #: outcome scores marked entered in error, oldest first (the course report lists them)
    scores_in_error: tuple[ScoreInError, ...] = ()

    @property
    def infusions_given(self) -> int:
        """Sessions whose dose was started."""
        return sum(1 for s in self.sessions if s.infused)

    @property
    def booked(self) -> int:
        """Sessions still scheduled."""
        return sum(1 for s in self.sessions if s.state == SessionState.SCHEDULED)

    @property
    def scales(self) -> tuple[str, ...]:
        """Outcome scales scored in this course, primary first, then the usual order."""
        seen = {code for s in self.sessions for code in s.scores}
        ordered = [self.primary_scale] + [c for c in OUTCOME_SCALES if c != self.primary_scale]
        return tuple(c for c in ordered if c in seen) + tuple(sorted(seen - set(ordered)))

    @property
    def latest_infusion_number(self) -> int | None:
        """The number of the last infusion given (None before the first)."""
        numbers = [s.number for s in self.sessions if s.infused and s.number is not None]
        return max(numbers) if numbers else None

    @property
    def progress_text(self) -> str:
        """"infusion 3 of 6"; beyond the plan, the booster's number and the plan."""
        n, planned = self.latest_infusion_number, self.planned_infusions
        if n is None:
            return f"no infusion given yet ({planned} planned)"
        if n > planned:
            return f"infusion {n} (maintenance; induction of {planned})"
        return f"infusion {n} of {planned}"


# --- The documents -----------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureBlock:
    """A signature as printed: who, credentials, when, what it means, over which hash."""

    signer_name: str
    credentials: str
    kind: str
    meaning: str
    signed_at_utc: datetime
    content_sha256: str


@dataclass(frozen=True)
class AddendumBlock:
    """An addendum as printed after the signatures."""

    number: int
    author_name: str
    written_at_utc: datetime
    reason: str
    text: str


@dataclass(frozen=True)
class SessionSummaryData:
    """Everything the chart copy of one session prints."""

    clinic: Clinic
    tz: ZoneInfo
    detail: SessionDetail
    signatures: tuple[SignatureBlock, ...]
    addenda: tuple[AddendumBlock, ...]
    #: the moment the document is printed: a running infusion is described as of then
    as_of_utc: datetime
    #: allergies, age, sex, overrides, cautions, suicide risk: at the top of every page
    safety: SafetyFacts = NO_FACTS
    #: the signature re-verified at printing; None only for data built without a database
    signature: SignatureStatus | None = None
    #: the physician's order the dose followed, its key re-verified at printing (0016)
    physician_order: FollowedOrder | None = None

    @property
    def signed(self) -> bool:
        """A physician has signed and the signature holds: the DRAFT mark goes."""
        if self.signature is not None:
            return self.signature.valid
        return any(s.kind == "physician_signature" for s in self.signatures)

    @property
    def signature_notes(self) -> tuple[str, ...]:
        """What a reader of a valid signature should know, beside the physician's block.

        Signed before keyed signatures, or with a key issued after an administrator
        reset the signer's password; empty for any other signature.
        """
        status = self.signature
        if status is None or not status.valid or status.check is None:
            return ()
        return status.check.notes

    @property
    def signature_warning(self) -> str:
        """"SIGNATURE NOT VALID: <reason>" when a signature is claimed but does not hold."""
        return self.signature.banner if self.signature is not None else ""


@dataclass(frozen=True)
class CourseSessionLine:
    """One session of a course as progress lists and the course report show it."""

    session_id: int
    number: int | None
    scheduled_at_utc: datetime
    state: str
    total_mg: Decimal | None
    dose_mg_per_kg: Decimal | None
    scores: dict[str, int]  # scale code -> total recorded at that session


@dataclass(frozen=True)
class VisitReportData:
    """The take-home report: what was given, how it went, what next."""

    clinic: Clinic
    tz: ZoneInfo
    detail: SessionDetail
    next_appointment_utc: datetime | None
    course: tuple[CourseSessionLine, ...]
    #: the moment the report is printed (see SessionSummaryData.as_of_utc)
    as_of_utc: datetime
    #: what to tell the patient about each intervention, in ``detail.interventions`` order
    intervention_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class DayLogRow:
    """One session of the day log."""

    session_id: int
    chair: str
    scheduled_at_utc: datetime
    patient_name: str
    mrn: str
    protocol_name: str
    total_mg: Decimal | None
    dose_started_at_utc: datetime | None
    dose_ended_at_utc: datetime | None
    alert_count: int
    discharged_at_utc: datetime | None
    state: str
    signed: bool
    #: mg the pump log had delivered by the printing moment (None: no dose started by then)
    delivered_mg: Decimal | None = None
    #: "SIGNATURE NOT VALID: <reason>" when a claimed signature does not hold
    signature_warning: str = ""
    #: the infusion had started and not stopped by the printing moment (running or paused),
    #: so ``delivered_mg`` is what had run so far
    infusion_open: bool = False
    #: why the session was cancelled or stopped early, where recorded
    state_reason: str | None = None


@dataclass(frozen=True)
class DayLogData:
    """Every session of one clinic day."""

    clinic: Clinic
    tz: ZoneInfo
    day: date
    rows: tuple[DayLogRow, ...]
    #: the printing moment; infusions still running are counted up to it
    as_of_utc: datetime | None = None
    #: the newest audit anchor (where the audit trail ended when last anchored), printed
    #: at the foot of the log so paper keeps it too; None when none was taken yet
    audit_anchor: Anchor | None = None


@dataclass(frozen=True)
class CourseReportData:
    """A course with every session's dose and outcome scores, and the outcome so far.

    ``course`` is what the course window shows (``services.outcomes.course_view``),
    so paper and screen agree on every verdict.
    """

    clinic: Clinic
    tz: ZoneInfo
    course: CourseView


# --- The esketamine REMS monitoring form -------------------------------------------------


@dataclass(frozen=True)
class RemsFormDocument:
    """What the printed form shows: the form, the clinic, and the filing if there is one.

    No "today": a form printed twice from the same records is byte-identical,
    so it shows the deadline date, not "due in n days".
    """

    clinic: Clinic
    tz: ZoneInfo
    form: RemsForm
    filed_at_utc: datetime | None = None
    filed_by: str | None = None
    confirmation: str | None = None
