"""The demo clinic: realistic data for trying ketalog, training and screenshots.

Everything is created through the same services a nurse's actions use, with a
simulated clock, so every demo session reached its state by legal moves (dose
verified before the start, Aldrete >= 9 before discharge, ...).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.clinic_settings import DEMO_CLINIC
from ketalog.domain.protocols import DosingMode, Protocol
from ketalog.domain.roles import Role
from ketalog.domain.screening import YES_NO_QUESTIONS
from ketalog.domain.session_state import SessionAction, SessionState
from ketalog.services import screening as scr
from ketalog.services.accounts import prove_identity
from ketalog.services.alerts import acknowledge_alert, open_session_alerts
from ketalog.services.booking import (
    INDICATIONS,
    chair_clashes,
    complete_course,
    open_course,
    plan_induction_series,
    schedule_session,
    start_maintenance,
    stop_course,
)
from ketalog.services.clinic_certificate import create_first_certificates
from ketalog.services.context import SYSTEM
from ketalog.services.demo_stock import (
    DemoStock,
    count_the_safe,
    stock_the_safe,
    take_initial_inventory,
)
from ketalog.services.identity import IdentityProof, ProofPurpose
from ketalog.services.orders import enter_standing_order, record_verbal_order
from ketalog.services.patients import record_weight, register_patient
from ketalog.services.protocols import protocol_by_id, protocol_id_by_code
from ketalog.services.rems import file_rems_form
from ketalog.services.session.dose import order_dose, verify_dose
from ketalog.services.session.entries import (
    add_note,
    add_vital_action_note,
    flag_event,
    record_scale,
    record_vitals,
    resolve_event,
    update_discharge_details,
)
from ketalog.services.session.state import CHECKLIST_ITEMS, change_state, update_checklist
from ketalog.services.settings import (
    CLINIC_ADDRESS,
    CLINIC_NAME,
    clinic_timezone,
    set_clinic_timezone,
    set_setting,
    stored_clinic_timezone,
    system_timezone_name,
)
from ketalog.services.signing import complete_nursing_record, sign_session
from ketalog.services.unit_of_work import unit_of_work
from ketalog.services.users import UserSummary, create_user
from ketalog.store.models import Course, Patient, TreatmentSession, User

#: Demo accounts and their documented passwords (README.md lists them).
DEMO_USERS = (
    ("nurse", "Nora Reyes", "RN", Role.NURSE, "nurse-demo-pass"),
    ("nurse2", "Sam Okafor", "RN", Role.NURSE, "nurse2-demo-pass"),
    ("physician", "Ada Lindqvist", "MD", Role.PHYSICIAN, "physician-demo-pass"),
    ("admin", "Pat Morgan", "", Role.ADMINISTRATOR, "admin-demo-pass"),
)
CHAIRS = ("Chair 1", "Chair 2", "Chair 3")
_NAMES = (
    ("Ñúñez", "José"), ("Ångström", "Zoë"), ("Иванов", "Дмитрий"), ("Okonkwo", "Chidi"),
    ("Müller", "Jürgen"), ("García", "Lucía"), ("O'Brien", "Siobhán"), ("Nguyễn", "Thảo"),
    ("Kowalski", "Agnieszka"), ("Dubois", "Hélène"), ("Smith", "Jordan"), ("Johnson", "Avery"),
    ("Williams", "Morgan"), ("Brown", "Casey"), ("Jones", "Riley"), ("Miller", "Quinn"),
    ("Davis", "Harper"), ("Wilson", "Rowan"), ("Anderson", "Emerson"), ("Taylor", "Sawyer"),
    ("Thomas", "Reese"), ("Moore", "Dakota"), ("Jackson", "Skyler"), ("Martin", "Hayden"),
    ("Lee", "Min-jun"), ("Perez", "Camila"), ("Thompson", "Elliot"), ("White", "Finley"),
    ("Harris", "Kai"), ("Clark", "Noor"),
)
#: How many patients the demo clinic has (one per name).
DEMO_PATIENTS = len(_NAMES)


class DemoRefused(Exception):
    """The demo only fills an empty database."""


@dataclass
class SimClock:
    """A clock the demo moves forward by hand."""

    now: datetime

    def __call__(self) -> datetime:
        """The simulated present."""
        return self.now

    def advance(self, minutes: float) -> datetime:
        """Move on and return the new time."""
        self.now += timedelta(minutes=minutes)
        return self.now


@dataclass
class DemoSummary:
    """What the demo created, for the command's closing line."""

    patients: int = 0
    sessions: int = 0
    vitals: int = 0
    today_states: dict[str, int] = field(default_factory=dict)


def phq9_items(total: int, item9: int = 0) -> list[int]:
    """Nine PHQ-9 item scores adding up to ``total`` (item 9, self-harm, as given)."""
    total = max(0, min(24, total - item9))
    return [min(3, max(0, total - 3 * i)) for i in range(8)] + [item9]


def spread_items(total: int, count: int, top: int) -> list[int]:
    """``count`` item scores of 0..``top`` adding up to ``total`` (as far as it fits)."""
    total = max(0, min(count * top, total))
    return [total // count + (1 if i < total % count else 0) for i in range(count)]


#: Screening answers that make a caution or a contraindication, by demo patient index.
_SCREENING_PROFILES: dict[int, dict[str, object]] = {
    3: {"takes_benzodiazepine": True, "medications": "lorazepam 0.5 mg at night\nsertraline "
        "100 mg"},
    5: {"bipolar_disorder": True, "on_mood_stabiliser": False},
    16: {"psychosis_history": True,
         "history_summary": "Brief psychotic episode 2019 (cannabis-related)."},
    18: {"uncontrolled_cardiovascular": True, "baseline_systolic_mmhg": 158,
         "baseline_diastolic_mmhg": 96},
}
#: Demo patients whose course plays out in a known way (index -> role).
_REMITTER, _RESPONDER, _NON_RESPONDER = 0, 1, 2
_COMPLETED, _MAINTENANCE, _STOPPED, _SCREENING_OPEN, _BLOCKED, _OVERRIDDEN, _PLANNED = (
    12, 13, 14, 15, 16, 18, 19)


def default_dose_inputs(protocol: Protocol) -> dict[str, object]:
    """The protocol's default dosing inputs (weight is added by the service)."""
    if protocol.dosing_mode is DosingMode.DEVICE:
        return {"device_count": protocol.allowed_device_counts[0]}
    inputs: dict[str, object] = {
        "concentration_mg_per_ml": protocol.default_concentration_mg_per_ml,
    }
    key = "rate_mg_per_kg_per_h" if protocol.dosing_mode is DosingMode.RATE else "dose_mg_per_kg"
    inputs[key] = protocol.default_dose
    if protocol.dosing_mode in (DosingMode.WEIGHT, DosingMode.RATE):
        inputs["bag_volume_ml"] = protocol.default_bag_volume_ml
        inputs["duration_min"] = protocol.default_duration_min
    return inputs


class _Clinic:
    def __init__(self, db: Session, rng: random.Random, users: dict[str, UserSummary]) -> None:
        self.db = db
        self.rng = rng
        self.nurse = users["nurse"].as_actor("demo")
        self.nurse2 = users["nurse2"].as_actor("demo")
        self.physician = users["physician"].as_actor("demo")
        self.physician_password = next(p for u, *_r, p in DEMO_USERS if u == "physician")
        self.nurse_password = next(p for u, *_r, p in DEMO_USERS if u == "nurse")
        self.summary = DemoSummary()
        #: the controlled-substance books (None: the demo keeps none)
        self.stock: DemoStock | None = None

    def prove(self, username: str, purpose: ProofPurpose, clock: SimClock) -> IdentityProof:
        """The demo's second person types their documented password at the chair."""
        password = next(p for u, *_r, p in DEMO_USERS if u == username)
        return prove_identity(self.db, username, password, purpose=purpose, workstation="demo",
                              clock=clock)

    def stop_and_settle(self, sid: int, clock: SimClock, action: SessionAction,
                        reason: str | None = None) -> None:
        """Stop the dose a minute on and, in the same transaction, account for what was drawn.

        The second nurse's password (which commits on its own) is checked first
        where a remainder will be wasted before her.
        """
        stock = self.stock
        early = action is SessionAction.STOP_EARLY
        witness = (self.prove("nurse2", ProofPurpose.WITNESS_WASTE, clock)
                   if stock is not None and stock.may_waste(sid, stopped_early=early) else None)
        clock.advance(1)
        with unit_of_work(self.db):
            change_state(self.db, self.nurse, sid, action, reason=reason, clock=clock)
            if stock is not None:
                stock.settle(self.db, self.nurse, sid, clock, witness)

    def vitals(self, sid: int, clock: SimClock, base: tuple[int, int, int], rise: int = 0,
               *, alert_note: str | None = None) -> None:
        sbp, dbp, hr = base
        values = {
            "systolic_mmhg": sbp + rise + self.rng.randint(-4, 4),
            "diastolic_mmhg": dbp + rise // 2 + self.rng.randint(-3, 3),
            "heart_rate_bpm": hr + rise // 3 + self.rng.randint(-3, 3),
            "spo2_percent": self.rng.choice((96, 97, 98, 98, 99)),
            "resp_rate_per_min": self.rng.randint(12, 18),
        }
        saved = record_vitals(self.db, self.nurse, sid, values, clock=clock)
        self.summary.vitals += 1
        if saved.alerts and alert_note:
            add_vital_action_note(self.db, self.nurse, saved.vital_id, alert_note,
                                  expected_version=1, clock=clock)

    def screen(self, course_id: int, clock: SimClock, *, approve: bool = True,
               answers: dict[str, object] | None = None) -> None:
        """The consultation, then the physician's approval (and override, if needed).

        Every question is answered No unless the profile says otherwise.
        """
        db = self.db
        screening_id = scr.start_screening(db, self.nurse, course_id, clock=clock)
        values: dict[str, object] = dict.fromkeys(YES_NO_QUESTIONS, False)
        values.update(
            history_summary="Recurrent depression since early adulthood; two adequate "
                            "antidepressant trials without remission.",
            medications="sertraline 100 mg", allergies="none known",
            baseline_systolic_mmhg=self.rng.randint(112, 134),
            baseline_diastolic_mmhg=self.rng.randint(70, 84),
            consent_signed_on=clock().date(),
        )
        values.update(answers or {})
        for name, value in values.items():
            version = scr.screening_view_by_id(db, screening_id).version
            scr.update_screening(db, self.nurse, screening_id, name, value,
                                 expected_version=version, clock=clock)
        scr.add_lab(db, self.nurse, screening_id, test="ALT", result="24 U/L",
                    taken_on=clock().date() - timedelta(days=5),
                    expected_version=scr.screening_view_by_id(db, screening_id).version,
                    clock=clock)
        if not approve:
            return
        view = scr.screening_view_by_id(db, screening_id)
        if view.review.contraindications:
            scr.override_contraindications(
                db, self.physician, screening_id, clock=clock,
                reason="BP controlled on amlodipine at review; cardiology agrees; monitor "
                       "closely.")
        scr.approve_screening(db, self.physician, screening_id, clock=clock)
        self.standing_order(course_id, clock)

    def standing_order(self, course_id: int, clock: SimClock) -> None:
        """The physician signs the course's standing order: the protocol's own dose.

        On actual body weight; esketamine 56 mg, titration allowed up to 84 mg.
        """
        course = self.db.get(Course, course_id)
        assert course is not None
        protocol = protocol_by_id(self.db, course.protocol_id)
        if protocol.dosing_mode is DosingMode.DEVICE:
            counts = protocol.allowed_device_counts
            enter_standing_order(self.db, self.physician, course_id, dose=counts[0],
                                 titration_ceiling=counts[-1] if len(counts) > 1 else None,
                                 password=self.physician_password, clock=clock)
            return
        enter_standing_order(
            self.db, self.physician, course_id, dose=protocol.default_dose,
            duration_min=protocol.default_duration_min, weight_basis="actual",
            password=self.physician_password, clock=clock)

    def run(  # noqa: C901 - a scripted session, read top to bottom, a step per state
            self, sid: int, protocol: Protocol, start: datetime, until: SessionState,
            phq9_total: int | None = None, *, item9: int = 0,
            measures: dict[str, list[int]] | None = None, verbal: bool = False) -> None:
        """Play a session from check-in up to ``until`` with the simulated clock.

        ``verbal``: the physician, by phone, orders 0.1 mg/kg more than the standing
        order; the nurse reads it back and records it (it waits for co-signature).
        """
        clock = SimClock(start)
        rng = self.rng
        base = (rng.randint(112, 134), rng.randint(70, 84), rng.randint(62, 84))
        db, nurse = self.db, self.nurse

        def step(action: SessionAction, minutes: float = 0, reason: str | None = None) -> None:
            clock.advance(minutes)
            change_state(db, nurse, sid, action, reason=reason, clock=clock)

        if until is SessionState.SCHEDULED:
            return
        if until is SessionState.CANCELLED:
            step(SessionAction.CANCEL, reason="Patient unwell with a fever; rebooked.")
            return
        step(SessionAction.CHECK_IN)
        if phq9_total is not None:
            record_scale(db, nurse, sid, "phq9", phq9_items(phq9_total, item9), clock=clock)
        for code, items in (measures or {}).items():
            record_scale(db, nurse, sid, code, items, clock=clock)
        for item in CHECKLIST_ITEMS:
            update_checklist(db, nurse, sid, item, True, clock=clock)
        update_discharge_details(
            db, nurse, sid, expected_version=_version(db, sid),
            escort_name=rng.choice(("spouse", "partner", "adult son", "friend", "sister")),
            clock=clock,
        )
        clock.advance(5)
        self.vitals(sid, clock, base)
        if until is SessionState.CHECKED_IN:
            return
        inputs = default_dose_inputs(protocol)
        if (verbal and protocol.dosing_mode is DosingMode.WEIGHT
                and protocol.default_dose is not None and self.physician.user_id is not None):
            inputs["dose_mg_per_kg"] = protocol.default_dose + Decimal("0.1")
            record_verbal_order(db, nurse, sid, physician_id=self.physician.user_id,
                                dose=inputs["dose_mg_per_kg"],
                                duration_min=protocol.default_duration_min,
                                weight_basis="actual", read_back=True, clock=clock)
        lot = f"KT{rng.randint(10000, 99999)}"  # drawn either way: the demo stays as it was
        order = order_dose(db, nurse, sid, inputs=inputs,
                           lot_number=self.stock.lot_for(protocol) if self.stock else lot,
                           diluent="0.9% NaCl", clock=clock)
        clock.advance(3)
        # the second nurse works the dose out on their own and agrees
        verify_dose(db, nurse, sid, dose_order_id=order.dose_order_id, clock=clock,
                    verifier_total_mg=order.total_mg,
                    verifier_rate_ml_per_h=order.rate_ml_per_h,
                    verifier=self.prove("nurse2", ProofPurpose.VERIFY_DOSE, clock))
        with unit_of_work(db):  # the dose drawn from the open vial, then the start
            if self.stock is not None:
                self.stock.draw(db, nurse, sid, protocol, clock)
            step(SessionAction.START_INFUSION, 2)
        duration = protocol.default_duration_min or 40
        interval = protocol.schedule.during_dose_interval_min or 10
        paused = until is SessionState.PAUSED
        elapsed = 0
        target = duration if until not in (SessionState.INFUSING, SessionState.PAUSED) else 20
        while elapsed + interval <= target:
            clock.advance(interval)
            elapsed += interval
            rise = min(18, elapsed * 16 // max(duration, 1))
            note = "Infusion rate unchanged; physician informed; recheck in 5 min."
            if rng.random() < 0.04:
                rise = 60  # an occasional hypertensive reading with its action note
            self.vitals(sid, clock, base, rise, alert_note=note)
        if until is SessionState.INFUSING:
            return
        if paused:  # a hypertensive reading, treated: the alert waits for the physician
            clock.advance(2)
            self.vitals(sid, clock, base, 62,
                        alert_note="Labetalol 10 mg IV given; physician informed.")
            step(SessionAction.PAUSE, 1,
                 reason="BP high after labetalol; paused until it settles.")
            return
        if protocol.dosing_mode is DosingMode.DEVICE:
            record_scale(db, nurse, sid, "moaas", [4], clock=clock)
        else:
            record_scale(db, nurse, sid, "moaas", [rng.choice((4, 5, 5))], clock=clock)
        record_scale(db, nurse, sid, "cadss6",
                     [rng.randint(0, 3) for _ in range(6)], clock=clock)
        if until is SessionState.STOPPED_EARLY:
            self.stop_and_settle(sid, clock, SessionAction.STOP_EARLY,
                                 reason="Marked dissociation; patient asked to stop.")
            return
        if rng.random() < 0.3:
            flag = flag_event(db, nurse, sid, "dissociation", clock=clock)
        else:
            flag = None
        self.stop_and_settle(sid, clock, SessionAction.STOP_INFUSION)
        recovery_min = max(20, protocol.min_recovery_min, protocol.min_monitoring_min)
        for _ in range(max(2, recovery_min // 15)):
            clock.advance(15)
            self.vitals(sid, clock, base, 4)
        if flag is not None:
            resolve_event(db, nurse, flag, clock=clock)
        if until is SessionState.RECOVERING:
            return

        for alert in open_session_alerts(db, sid):  # e.g. a marked CADSS, reviewed at the chair
            acknowledge_alert(db, self.physician, sid, source=alert.source,
                              source_id=alert.source_id, code=alert.code,
                              comment="Seen at the chair; settled, no further action.",
                              physician=self.prove("physician", ProofPurpose.ACKNOWLEDGE_ALERT,
                                                    clock),
                              clock=clock)
        record_scale(db, nurse, sid, "aldrete", [2, 2, 2, 2, rng.choice((1, 2))], clock=clock)
        update_discharge_details(db, nurse, sid, expected_version=_version(db, sid),
                                 instructions_given=True, clock=clock)
        add_note(db, nurse, sid, "recovery",
                 "Tolerated infusion well. Oriented, steady gait, tolerating fluids. "
                 "Aftercare explained: no driving until tomorrow after sleep.", clock=clock)
        step(SessionAction.DISCHARGE, 5)
        if until is SessionState.DISCHARGED:
            return
        clock.advance(rng.randint(5, 20))
        complete_nursing_record(db, nurse, sid, password=self.nurse_password, clock=clock)
        clock.advance(rng.randint(30, 240))
        sign_session(db, self.physician, sid, password=self.physician_password, clock=clock)


def _version(db: Session, sid: int) -> int:
    value = db.scalar(select(TreatmentSession.version).where(TreatmentSession.id == sid))
    assert value is not None
    return value


def _free_chair(db: Session, start: datetime, protocol_id: int,
                rng: random.Random) -> tuple[str, bool]:
    """A chair free at ``start`` (a random one of those free), and whether all were taken."""
    chairs = list(CHAIRS)
    rng.shuffle(chairs)
    for chair in chairs:
        if not chair_clashes(db, chair, start, protocol_id=protocol_id):
            return chair, False
    return chairs[0], True


def _local(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


#: Today's board: (chair, state, minutes before now the session was scheduled).
_TODAY = (
    (0, SessionState.SIGNED, 330), (0, SessionState.RECOVERING, 95),
    (0, SessionState.SCHEDULED, -60),
    (1, SessionState.DISCHARGED, 300), (1, SessionState.INFUSING, 40),
    (1, SessionState.SCHEDULED, -90), (2, SessionState.CANCELLED, 240),
    (2, SessionState.STOPPED_EARLY, 110), (2, SessionState.PAUSED, 45),
    (2, SessionState.CHECKED_IN, 10),
)


def build_demo_clinic(  # noqa: C901 - the scripted demo clinic, read top to bottom
    db: Session, *, now: datetime | None = None, seed: int = 2026,
    progress: Callable[[str], None] | None = None,
    announce: Callable[[], None] | None = None,
) -> DemoSummary:
    """Fill an empty database with the demo clinic; refuse one with patients or accounts.

    A database with accounts is a clinic being set up (its first administrator
    made): demo users and patients beside it would mix make-believe into real
    records. The refusal comes before anything is written.
    """
    elsewhere = "Use --database-url sqlite:///PATH/demo.sqlite3 for a separate demo file."
    if db.scalar(select(func.count()).select_from(Patient)):
        raise DemoRefused("This database already has patients; the demo only fills an empty "
                          f"database. {elsewhere}")
    if db.scalar(select(func.count()).select_from(User)):
        raise DemoRefused("This database already has user accounts (a clinic being set up); "
                          f"the demo only fills an empty database. {elsewhere}")
    if announce is not None:  # refused or not is known: say the long build begins
        announce()
    real_now = now or datetime.now(UTC)
    rng = random.Random(seed)
    if stored_clinic_timezone(db) is None:  # the demo runs in this workstation's zone
        set_clinic_timezone(db, SYSTEM, system_timezone_name())
    tz = clinic_timezone(db)
    setup_clock = SimClock(real_now - timedelta(days=60))
    set_setting(db, SYSTEM, DEMO_CLINIC, True)  # DEMO on the title bar and every document
    set_setting(db, SYSTEM, CLINIC_NAME, "Riverside Ketamine Clinic")
    set_setting(db, SYSTEM, CLINIC_ADDRESS, "12 River Road, Springfield")
    set_setting(db, SYSTEM, "clinic_phone", "+1 555 0100 (after hours: +1 555 0199)")
    users = {
        username: create_user(db, SYSTEM, username=username, full_name=name, role=role,
                              password=password, credentials=creds, clock=setup_clock)
        for username, name, creds, role, password in DEMO_USERS
    }

    admin_password = next(p for u, *_r, p in DEMO_USERS if u == "admin")
    create_first_certificates(db, users["admin"].as_actor("demo"), admin_password,
                              clock=setup_clock)
    clinic = _Clinic(db, rng, users)
    desk = users["admin"].as_actor("demo")  # the front desk books as the administrator
    # the delivery came before the first course began: every dose is drawn from it
    delivered_at = real_now - timedelta(days=45)
    clinic.stock = stock_the_safe(db, desk, clinic.nurse, delivered_at)
    take_initial_inventory(db, clinic.stock, clinic.nurse, clinic.nurse_password,
                           SimClock(delivered_at + timedelta(minutes=30)))
    protocol_ids = {
        code: protocol_id_by_code(db, code)
        for code in ("iv-depression-0.5", "iv-pain-0.35", "im-ketamine-0.5",
                     "esketamine-intranasal")
    }
    today = real_now.astimezone(tz).date()
    plan = list(_TODAY)
    for index, (family, given) in enumerate(_NAMES):
        birth = date(1950 + rng.randint(0, 50), rng.randint(1, 12), rng.randint(1, 28))
        patient = register_patient(db, desk, family_name=family, given_name=given,
                                   birth_date=birth, sex=rng.choice(("female", "male", None)),
                                   clock=setup_clock)
        clinic.summary.patients += 1
        weight = Decimal(rng.randint(520, 1150)) / 10
        for days_ago in (28, rng.randint(0, 6)):
            record_weight(db, clinic.nurse, patient.id, weight + Decimal(rng.randint(-10, 10)) / 10,
                          measured_on=today - timedelta(days=days_ago), clock=SimClock(real_now))
        code = ("esketamine-intranasal" if index % 10 == 7 else "iv-pain-0.35" if index % 10 == 4
                else "im-ketamine-0.5" if index == 9 else "iv-depression-0.5")
        protocol_id = protocol_ids[code]
        protocol = protocol_by_id(db, protocol_id)
        indication = ("chronic pain" if code == "iv-pain-0.35"
                      else "treatment-resistant depression" if code == "esketamine-intranasal"
                      else "bipolar depression" if index == 5
                      else "treatment-resistant depression"
                      if index in (_REMITTER, _RESPONDER, _NON_RESPONDER)
                      else rng.choice(INDICATIONS[:6]))
        course_start = today - timedelta(days=30)
        course_id = open_course(db, desk, patient_id=patient.id, protocol_id=protocol_id,
                                indication=indication, started_on=course_start,
                                clock=setup_clock)
        consult = SimClock(datetime.combine(course_start - timedelta(days=7), time(10, 0),
                                            tzinfo=tz).astimezone(UTC))
        clinic.screen(course_id, consult,
                      approve=index not in (_SCREENING_OPEN, _BLOCKED),
                      answers=_SCREENING_PROFILES.get(index))
        if index in (_SCREENING_OPEN, _BLOCKED):
            if progress is not None:
                progress(f"{family}, {given}")
            continue  # waiting for the physician; the blocked one cannot be booked at all
        past = rng.randint(0, 5) if index >= len(plan) else rng.randint(0, 3)
        # a course trajectory: remitter, responder or non-responder
        phq9_start = rng.randint(15, 24)
        phq9_drop = rng.choice((4.0, 2.5, 2.5, 0.5))
        if index in (_REMITTER, _RESPONDER, _NON_RESPONDER):
            past = 5 if index != _NON_RESPONDER else 4
            phq9_start, phq9_drop = {_REMITTER: (22, 3.6), _RESPONDER: (22, 2.4),
                                     _NON_RESPONDER: (20, 0.4)}[index]
        elif index in (_COMPLETED, _MAINTENANCE):
            past, phq9_start, phq9_drop = protocol.planned_induction_infusions, 21, 2.5
        elif index == _STOPPED:
            past = 2
        elif index == _PLANNED:
            past = 0
        elif code == "esketamine-intranasal":
            past = 4 + index % 3

        def measures(total: float, indication: str = indication) -> dict[str, list[int]]:
            """GAD-7 for anxiety, PCL-5 for PTSD, pain NRS for pain, following the PHQ-9."""
            if indication == "anxiety":
                return {"gad7": spread_items(round(total * 0.8), 7, 3)}
            if indication == "PTSD":
                return {"pcl5": spread_items(round(total * 2.6), 20, 4)}
            if indication == "chronic pain":
                return {"pain": [max(0, min(10, round(total / 2.5)))]}
            return {}

        first_day = today - timedelta(days=2 * past + rng.randint(1, 3))
        course_protocol_id = db.get(Course, course_id).protocol_id  # type: ignore[union-attr]
        for n in range(past):
            day = first_day + timedelta(days=2 * n)
            start = _local(day, 8 + rng.randint(0, 7), rng.choice((0, 15, 30, 45)), tz)
            chair, full = _free_chair(db, start, course_protocol_id, rng)
            sid = schedule_session(db, desk, course_id=course_id, chair=chair,
                                   scheduled_at=start, confirm_chair_overlap=full,
                                   clock=SimClock(start - timedelta(days=3)))
            # the physician has not yet reviewed yesterday's work, nor every patient's
            # latest session: the waiting-for-signature list has something on it
            recent = day == today - timedelta(days=1) or (n == past - 1 and index % 4 == 1)
            until = SessionState.DISCHARGED if recent else SessionState.SIGNED
            total = phq9_start - phq9_drop * n
            clinic.run(sid, protocol, start, until, phq9_total=round(total),
                       measures=measures(total))
            if until is SessionState.DISCHARGED and index % 3 != 2:
                # yesterday's charting finished by the nurse: waiting for the physician
                complete_nursing_record(db, clinic.nurse, sid, password=clinic.nurse_password,
                                        clock=SimClock(start + timedelta(hours=3)))
            if code == "esketamine-intranasal" and index % 20 == 17 and n < past - 1:
                # this patient's older REMS forms were filed; the latest is due
                file_rems_form(db, clinic.nurse, sid, confirmation=f"REMS-{sid:06d}",
                               clock=SimClock(start + timedelta(days=2)))
            clinic.summary.sessions += 1
        later = SimClock(real_now - timedelta(hours=1))
        if index == _COMPLETED:
            complete_course(db, clinic.physician, course_id, clock=later)
        elif index == _MAINTENANCE:
            start_maintenance(db, clinic.physician, course_id, clock=later)
            booster = _local(today + timedelta(days=14), 10, 0, tz)
            schedule_session(db, desk, course_id=course_id, chair=CHAIRS[0],
                             scheduled_at=booster, confirm_chair_overlap=True, clock=later)
            clinic.summary.sessions += 1
        elif index == _STOPPED:
            stop_course(db, clinic.physician, course_id, clock=later,
                        reason="Patient moved away; referred to a clinic near the new home.")
        elif index == _PLANNED:
            monday = today + timedelta(days=7 - today.weekday())
            ids = plan_induction_series(db, desk, course_id, first_day=monday,
                                        weekdays=(0, 2, 4), time_of_day=time(9, 30),
                                        chair=CHAIRS[1], clock=later)
            clinic.summary.sessions += len(ids)
        if index < len(plan):
            chair_index, state, minutes_ago = plan[index]
            start = real_now - timedelta(minutes=minutes_ago)
            day_start = datetime.combine(today, time(0, 5), tzinfo=tz).astimezone(UTC)
            day_end = datetime.combine(today, time(23, 50), tzinfo=tz).astimezone(UTC)
            start = min(max(start, day_start), day_end)
            # today's board is laid out chair by chair on purpose (one visit may still be
            # recovering in a chair the next patient is booked into)
            sid = schedule_session(db, desk, course_id=course_id, chair=CHAIRS[chair_index],
                                   scheduled_at=start, confirm_chair_overlap=True,
                                   clock=SimClock(real_now - timedelta(days=2)))
            if state is not SessionState.SCHEDULED:
                total = phq9_start - phq9_drop * past
                # today's checked-in patient answers PHQ-9 item 9 above 0: the board
                # asks for the C-SSRS screen and tells the physician
                clinic.run(sid, protocol, min(start, real_now), state,
                           phq9_total=round(total), measures=measures(total),
                           item9=1 if state is SessionState.CHECKED_IN else 0,
                           verbal=state is SessionState.RECOVERING)
            clinic.summary.sessions += 1
            clinic.summary.today_states[state.value] = (
                clinic.summary.today_states.get(state.value, 0) + 1
            )
        if progress is not None:
            progress(f"{family}, {given}")
    count_clock = SimClock(real_now)
    count_the_safe(db, clinic.stock, clinic.nurse, clinic.nurse_password,
                   clinic.prove("nurse2", ProofPurpose.SECOND_COUNTER, count_clock), count_clock)
    return clinic.summary
