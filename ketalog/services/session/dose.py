"""The dose: computed from the protocol, ordered, and independently double-checked.

IV ketamine is a high-alert medication (ISMP): the dose is computed with exact
decimals and its working shown, must follow the physician's order, needs a
physician's keyed override above the protocol's maximum, and a second nurse
verifies it blind with their own password before the infusion may start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.dosing import calculate_dose, weight_age_warning
from ketalog.domain.double_check import (
    DoubleCheckFigures,
    double_check_mismatches,
    mismatch_message,
    parse_double_check,
)
from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.orders import order_followed, proposed_dose
from ketalog.domain.plausibility import assess_dose
from ketalog.domain.protocols import DosingMode
from ketalog.domain.session_state import SessionState, dose_started, ensure_editable
from ketalog.domain.values import printed_name, required_text
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound, PermissionDenied
from ketalog.services.identity import IdentityProof, ProofPurpose, accept_keyed_proof
from ketalog.services.keyed import DOSE_CHECK, DOSE_OVERRIDE, UnlockedKey, dose_order_sha256
from ketalog.services.orders import orders_for_dose
from ketalog.services.patients import latest_weight, reference_weight
from ketalog.services.session.common import (
    current_dose_order,
    dose_verified,
    load_session,
    session_protocol,
    signed_in_note,
)
from ketalog.services.settings import clinic_today, weight_change_percent
from ketalog.services.unit_of_work import commit_refusal_record, use_case
from ketalog.store.models import DoseOrder, DoseVerification


@dataclass(frozen=True)
class DoseOrderResult:
    """The stored order as the dose panel shows it back."""

    dose_order_id: int
    total_mg: Decimal
    drug_volume_ml: Decimal | None
    rate_ml_per_h: Decimal | None
    working: tuple[str, ...]
    limit_level: str
    weight_warning: str | None


@use_case
def order_dose(
    db: Session,
    actor: Actor,
    session_id: int,
    *,
    inputs: Mapping[str, object],
    weight_kg: object = None,
    weight_measured_on: date | None = None,
    weight_basis: str | None = None,
    lot_number: str | None = None,
    diluent: str | None = None,
    confirm_outside_warning: bool = False,
    override_reason: str | None = None,
    override_by: IdentityProof | None = None,
    clock: Clock = system_clock,
) -> DoseOrderResult:
    """Compute and record the dose; it still needs an independent verification.

    ``inputs`` are the protocol's dosing inputs other than weight (mg/kg,
    concentration, bag volume, duration, or device count). Without an explicit
    weight the patient's latest weighing is used, and its age is checked.
    A dose in the warning range needs ``confirm_outside_warning``; above the
    hard maximum it needs a physician's override with a reason, and
    ``override_by`` proving that physician typed their own password for it.
    The dose must follow the physician's order (``domain.orders.order_followed``):
    a verbal order for exactly this dose, or the course's standing order in force;
    the order it followed is stored with it (``physician_order_id``).
    """
    preparer = authorize(db, actor, Permission.PREPARE_DOSE)
    now = clock()
    session = load_session(db, session_id)
    ensure_editable(session.state, "a dose order")
    if dose_started(SessionState(session.state)):
        raise TransitionRefused(["The infusion has started; the dose can no longer be changed."])
    protocol = session_protocol(db, session)
    values = dict(inputs)
    weight_warning = None
    today = clinic_today(db, now)
    if protocol.dosing_mode is not DosingMode.DEVICE:
        if weight_kg is None or weight_kg == "":
            latest = latest_weight(db, session.patient_id, today)
            if latest is None:
                raise ValidationError.single(
                    "weight_kg", "Weight is missing; weigh the patient and record the weight."
                )
            weight_kg, weight_measured_on = latest.weight_kg, latest.measured_on
            weight_basis = weight_basis or latest.basis
        weight_measured_on = weight_measured_on or today
        weight_warning = weight_age_warning(weight_measured_on, today,
                                            protocol.weight_max_age_days)
        values["weight_kg"] = weight_kg
    calc = calculate_dose(protocol, **values)
    overrider: Actor | None = None
    override_key: UnlockedKey | None = None
    # the mg/kg, the total, the duration and the weight (against the last weighing)
    check = assess_dose(
        protocol, calc, on=weight_measured_on or today,
        max_weight_change_percent=weight_change_percent(db),
        previous_weight=None if calc.weight_kg is None else reference_weight(
            db, session.patient_id, calc.weight_kg, today))
    level = check.level
    if check.needs_physician_override:
        if override_by is None:
            raise PermissionDenied(check.message)
        required_text(override_reason, "override_reason",
                       "Give the reason for overriding the maximum dose.")
        _, overrider, override_key = accept_keyed_proof(
            db, override_by, ProofPurpose.OVERRIDE_DOSE, person="the physician",
            signed_in=actor, clock=clock)
        authorize(db, overrider, Permission.OVERRIDE_DOSE)
    # The physician's order (0016): above the maximum, the physician's own keyed override
    # with a reason is the order for exactly this dose; any other dose follows one.
    physician_order_id: int | None = None
    if overrider is None:
        orders = orders_for_dose(db, session)
        basis = (weight_basis or "actual") if calc.weight_kg is not None else None
        physician_order_id = order_followed(
            proposed_dose(protocol.code, calc, basis), standing=orders.standing,
            verbal=orders.verbal, order_required=orders.order_required)
    if (check.needs_confirmation and not check.needs_physician_override
            and not confirm_outside_warning):
        raise ValidationError.single("confirm_outside_warning",
                                     f"{check.message} Confirm the dose to continue.")
    previous = current_dose_order(db, session_id)
    if previous is not None:
        previous.superseded_at_utc = now

    order = DoseOrder(
        session_id=session_id, drug=protocol.drug, route=str(protocol.route),
        dosing_mode=str(protocol.dosing_mode),
        dose_mg_per_kg=calc.ordered_dose if calc.mode is not DosingMode.RATE else None,
        rate_mg_per_kg_per_h=calc.ordered_dose if calc.mode is DosingMode.RATE else None,
        device_count=calc.device_count,
        weight_kg=calc.weight_kg,
        weight_measured_on=weight_measured_on if calc.weight_kg is not None else None,
        weight_basis=(weight_basis or "actual") if calc.weight_kg is not None else None,
        concentration_mg_per_ml=calc.concentration_mg_per_ml,
        bag_volume_ml=calc.bag_volume_ml,
        duration_min=calc.duration_min,
        diluent=diluent, total_mg=calc.total_mg, drug_volume_ml=calc.drug_volume_ml,
        rate_ml_per_h=calc.rate_ml_per_h, working="\n".join(calc.working),
        lot_number=(lot_number or "").strip() or None, limit_level=level,
        override_reason=(override_reason or "").strip() or None,
        override_by_id=overrider.user_id if overrider else None,
        prepared_by_id=preparer.id,
        prepared_by_name=printed_name(preparer.full_name, preparer.credentials),
        ordered_at_utc=now, created_at_utc=now, physician_order_id=physician_order_id,
    )
    db.add(order)
    db.flush()
    if override_key is not None:  # signed over the row as stored (its decimals as kept)
        stored = db.execute(select(DoseOrder.__table__).where(DoseOrder.id == order.id)
                            ).mappings().one()
        order.override_key_id = override_key.key_id
        order.override_signature = override_key.sign_row(DOSE_OVERRIDE, dict(stored))
        db.flush()
    append_audit(db, actor, "create", at=now, table_name="dose_orders", row_id=order.id,
                 patient_id=session.patient_id,
                 new={"total_mg": calc.total_mg, "working": list(calc.working),
                      "limit_level": level, "override_reason": order.override_reason,
                      **({"findings": [f.message for f in check.findings]}
                         if check.findings else {}),
                      **({"physician_order_id": physician_order_id}
                         if physician_order_id is not None else {}),
                      **({"override_by": overrider.display_name} if overrider else {})})
    return DoseOrderResult(order.id, calc.total_mg, calc.drug_volume_ml, calc.rate_ml_per_h,
                           calc.working, level, weight_warning)


@use_case
def verify_dose(
    db: Session, actor: Actor, session_id: int, *, dose_order_id: int,
    verifier_total_mg: object, verifier_rate_ml_per_h: object = None,
    verifier: IdentityProof | None = None, clock: Clock = system_clock,
) -> None:
    """Record the second nurse's independent check of exactly this dose order.

    ``actor`` is the user signed in at the chair; ``verifier`` proves the
    second nurse typed their own password for this (an Actor naming them is
    refused). The stored name is the verifier's account's, never the caller's.
    The second nurse's own figures (total mg, and the pump rate of an infusion),
    worked out without seeing the first nurse's, must agree with the order
    (:mod:`ketalog.domain.double_check`). A disagreement is refused with both
    figures; being a near miss, it is written to the audit trail under the
    second nurse's name, and nothing else is recorded.
    """
    authorize(db, actor, Permission.RECORD)
    now = clock()
    session = load_session(db, session_id)
    ensure_editable(session.state, "a dose check")
    order = db.get(DoseOrder, dose_order_id, populate_existing=True)
    if order is None or order.session_id != session_id:
        raise NotFound(f"No dose order {dose_order_id} on this session.")
    if order.superseded_at_utc is not None:
        raise ValidationError.single("dose_order_id",
                                     "This dose order was replaced; verify the current one.")
    if dose_verified(db, order.id):
        raise ValidationError.single("dose_order_id", "This dose is already verified.")
    _, checker, key = accept_keyed_proof(db, verifier, ProofPurpose.VERIFY_DOSE,
                                         person="the second nurse", signed_in=actor,
                                         clock=clock)
    authorize(db, checker, Permission.VERIFY_DOSE)
    if checker.user_id == order.prepared_by_id:
        raise PermissionDenied(
            "The dose must be verified by a second nurse, not the one who prepared it."
        )
    # the figures are compared only once the second nurse is proven, so the prepared
    # figures a mismatch shows are never shown to someone who could not verify
    prepared = DoubleCheckFigures(order.total_mg, order.rate_ml_per_h)
    figures = parse_double_check(verifier_total_mg, verifier_rate_ml_per_h,
                                 needs_rate=order.rate_ml_per_h is not None)
    mismatches = double_check_mismatches(prepared, figures)
    if mismatches:
        append_audit(db, checker, "dose_check_mismatch", at=now, table_name="dose_orders",
                     row_id=order.id, patient_id=session.patient_id,
                     old={"total_mg": order.total_mg, "rate_ml_per_h": order.rate_ml_per_h},
                     new={"total_mg": figures.total_mg, "rate_ml_per_h": figures.rate_ml_per_h})
        commit_refusal_record(db)  # the near miss stays on record
        raise ValidationError.single("verifier_total_mg", mismatch_message(mismatches))
    stored = db.execute(select(DoseOrder.__table__).where(DoseOrder.id == order.id)
                        ).mappings().one()
    check = {"session_id": session_id, "dose_order_id": order.id,
             "dose_order_sha256": dose_order_sha256(dict(stored)), "verifier_id": checker.user_id,
             "verifier_name": checker.display_name, "verified_at_utc": now,
             "verifier_total_mg": figures.total_mg,
             "verifier_rate_ml_per_h": figures.rate_ml_per_h}
    db.add(DoseVerification(dose_order_id=order.id, verifier_id=checker.user_id,
                            verifier_name=checker.display_name, verified_at_utc=now,
                            created_at_utc=now, key_id=key.key_id,
                            verifier_total_mg=figures.total_mg,
                            verifier_rate_ml_per_h=figures.rate_ml_per_h,
                            signature=key.sign_row(DOSE_CHECK, check)))
    db.flush()
    append_audit(db, checker, "verify", at=now, table_name="dose_orders", row_id=order.id,
                 patient_id=session.patient_id, new=checker.display_name,
                 old=signed_in_note(actor, checker))
