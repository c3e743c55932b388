"""The physician's orders: standing orders on a course, verbal orders at the chair, co-signature.

A physician enters a course's standing order with their password, which
signs it with their own key (:mod:`ketalog.services.keyed`); a new one
supersedes the one in force, and nothing is edited or deleted (the database
guard refuses it). When the dose at the chair must depart from it and the
physician is not there, the nurse records the physician's *verbal order* for
exactly that dose, after reading it back; it waits in the physician's list
until they co-sign it with their own password. The rules a dose must meet
live in :mod:`ketalog.domain.orders`; ``services.session.dose.order_dose`` applies
them through :func:`orders_for_dose`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.orders import (
    OrderKind,
    PhysicianOrder,
    WeightBasis,
    dose_unit,
    make_order,
)
from ketalog.domain.protocols import DosingMode, Protocol
from ketalog.domain.roles import Role
from ketalog.domain.session_state import SessionState, dose_started, ensure_editable
from ketalog.domain.values import printed_name
from ketalog.reports.inputs import FollowedOrder as FollowedOrder
from ketalog.reports.inputs import OrderView as OrderView
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.authentication import confirm_password
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound, PermissionDenied
from ketalog.services.keyed import (
    STANDING_ORDER,
    VERBAL_COSIGN,
    KeyedRow,
    UnlockedKey,
    keyed_row_problems,
    when_text,
)
from ketalog.services.keys import signing_key
from ketalog.services.protocols import protocol_by_id
from ketalog.store.models import (
    Course,
    DoseOrder,
    Patient,
    PhysicianOrderRecord,
    TreatmentSession,
    User,
)


def _dose_of(row: PhysicianOrderRecord) -> Decimal:
    mode = DosingMode(row.dosing_mode)
    if mode is DosingMode.DEVICE:
        return Decimal(row.device_count or 0)
    value = row.rate_mg_per_kg_per_h if mode is DosingMode.RATE else row.dose_mg_per_kg
    assert value is not None
    return value


def _mg_per_device(db: Session, row: PhysicianOrderRecord) -> Decimal | None:
    if row.dosing_mode != DosingMode.DEVICE.value:
        return None
    return protocol_by_id(db, row.protocol_id).mg_per_device


def _view(db: Session, row: PhysicianOrderRecord) -> OrderView:
    order = PhysicianOrder(
        row.protocol_code, DosingMode(row.dosing_mode), _dose_of(row), row.duration_min,
        WeightBasis(row.weight_basis) if row.weight_basis else None, row.titration_ceiling,
        row.physician_name, OrderKind(row.kind), _mg_per_device(db, row))
    return OrderView(row.id, OrderKind(row.kind), row.course_id, row.session_id, order,
                     row.physician_id, row.ordered_at_utc,
                     row.key_id is not None and row.signature is not None,
                     row.received_by_name, row.read_back, row.cosigned_at_utc, row.supersedes_id)


def _standing_row(db: Session, course_id: int) -> PhysicianOrderRecord | None:
    return db.scalar(
        select(PhysicianOrderRecord)
        .where(PhysicianOrderRecord.course_id == course_id,
               PhysicianOrderRecord.kind == OrderKind.STANDING.value)
        .order_by(PhysicianOrderRecord.id.desc()).limit(1))


def standing_order_in_force(db: Session, course_id: int) -> OrderView | None:
    """The course's newest standing order (it supersedes every one before), or None."""
    row = _standing_row(db, course_id)
    return None if row is None else _view(db, row)


def verbal_orders_of_session(db: Session, session_id: int) -> list[OrderView]:
    """The verbal orders received for a session, oldest first."""
    rows = db.scalars(select(PhysicianOrderRecord)
                      .where(PhysicianOrderRecord.session_id == session_id,
                             PhysicianOrderRecord.kind == OrderKind.VERBAL.value)
                      .order_by(PhysicianOrderRecord.id)).all()
    return [_view(db, row) for row in rows]


@dataclass(frozen=True)
class DoseOrders:
    """What a dose at the chair is judged against (``domain.orders.order_followed``'s inputs)."""

    standing: tuple[int, PhysicianOrder] | None
    verbal: tuple[tuple[int, PhysicianOrder], ...]
    order_required: bool


def orders_for_dose(db: Session, session: TreatmentSession) -> DoseOrders:
    """The standing order in force on the session's course and its verbal orders."""
    course = db.get(Course, session.course_id)
    if course is None:
        raise NotFound(f"No course with id {session.course_id}.")
    standing = standing_order_in_force(db, course.id)
    verbal = verbal_orders_of_session(db, session.id)
    return DoseOrders(None if standing is None else (standing.id, standing.order),
                      tuple((v.id, v.order) for v in verbal), course.order_required)


@dataclass(frozen=True)
class PhysicianChoice:
    """An active physician a verbal order can name."""

    user_id: int
    name: str


def active_physicians(db: Session) -> list[PhysicianChoice]:
    """Every active physician, by name (the verbal order's choice list)."""
    rows = db.execute(select(User.id, User.full_name, User.credentials)
                      .where(User.role == Role.PHYSICIAN, User.is_active.is_(True))
                      .order_by(User.full_name, User.id)).all()
    return [PhysicianChoice(uid, printed_name(name, creds)) for uid, name, creds in rows]


@dataclass(frozen=True)
class SessionOrders:
    """What the box shows for one session: the standing order, verbal orders, the rule."""

    standing: OrderView | None
    verbal: tuple[OrderView, ...]
    order_required: bool
    physicians: tuple[PhysicianChoice, ...]


def session_orders(db: Session, session_id: int) -> SessionOrders:
    """One read of everything the box shows."""
    session = db.get(TreatmentSession, session_id)
    if session is None:
        raise NotFound(f"No session with id {session_id}.")
    course = db.get(Course, session.course_id)
    if course is None:
        raise NotFound(f"No course with id {session.course_id}.")
    return SessionOrders(standing_order_in_force(db, course.id),
                         tuple(verbal_orders_of_session(db, session_id)),
                         course.order_required, tuple(active_physicians(db)))


def _dose_columns(order: PhysicianOrder) -> dict[str, object]:
    mode = order.dosing_mode
    return {
        "dosing_mode": mode.value,
        "dose_mg_per_kg": order.dose if mode in (DosingMode.WEIGHT, DosingMode.IM_WEIGHT)
        else None,
        "rate_mg_per_kg_per_h": order.dose if mode is DosingMode.RATE else None,
        "device_count": int(order.dose) if mode is DosingMode.DEVICE else None,
        "duration_min": order.duration_min,
        "weight_basis": order.weight_basis.value if order.weight_basis else None,
        "titration_ceiling": order.titration_ceiling,
    }


def _stored(db: Session, row_id: int) -> dict[str, object]:
    """The row as the database holds it (decimals as kept): what the key signs."""
    return dict(db.execute(select(PhysicianOrderRecord.__table__)
                           .where(PhysicianOrderRecord.id == row_id)).mappings().one())


def _unlock(db: Session, actor: Actor, password: str, purpose: str,
            clock: Clock) -> tuple[User, UnlockedKey]:
    """The physician's own password, checked like a log-in, and their key unlocked by it."""
    user = confirm_password(db, actor, password, purpose=purpose, clock=clock)
    if user.must_change_password:
        db.commit()  # the successful password check clears the failure count
        raise TransitionRefused(["An administrator reset your password: sign in again and "
                                 "choose a new password before you sign an order."])
    key, private = signing_key(db, actor, user, password, now=clock())
    return user, UnlockedKey(key.id, user.id, private)


def enter_standing_order(
    db: Session,
    actor: Actor,
    course_id: int,
    *,
    dose: object,
    duration_min: object = None,
    weight_basis: object = None,
    titration_ceiling: object = None,
    password: str,
    clock: Clock = system_clock,
) -> int:
    """The physician enters and signs the course's standing order; it supersedes the one before.

    The dose is in the course protocol's unit; the order is checked against
    the protocol (``domain.orders.make_order``) before the password is, so a
    mistyped dose costs no failed attempt. Returns the new order's id.
    """
    user = authorize(db, actor, Permission.ORDER_DOSE)
    course = db.get(Course, course_id, populate_existing=True)
    if course is None:
        raise NotFound(f"No course with id {course_id}.")
    if course.status != "active":
        raise TransitionRefused([f"The course is {course.status}; a standing order is only "
                                 "entered on an active course."])
    protocol: Protocol = protocol_by_id(db, course.protocol_id)
    name = printed_name(user.full_name, user.credentials)
    order = make_order(protocol, dose=dose, duration_min=duration_min,
                       weight_basis=weight_basis, titration_ceiling=titration_ceiling,
                       physician_name=name)
    previous = _standing_row(db, course_id)
    if previous is not None and previous.key_id is not None and _same_order(
            _view(db, previous).order, order):
        raise ValidationError.single("dose", f"The order in force already says "
                                             f"{order.describe()}; nothing to change.")
    user, key = _unlock(db, actor, password, "order", clock)
    now = clock()
    facts: dict[str, object] = {
        "course_id": course_id, "kind": OrderKind.STANDING.value,
        "protocol_code": protocol.code, "physician_id": user.id, "physician_name": name,
        "ordered_at_utc": now, "supersedes_id": previous.id if previous else None,
        **_dose_columns(order)}
    # signed before it is written: the row is never changed once stored (its guard)
    row = PhysicianOrderRecord(
        patient_id=course.patient_id, session_id=None, protocol_id=course.protocol_id,
        created_at_utc=now, key_id=key.key_id, signature=key.sign_row(STANDING_ORDER, facts),
        **facts)
    db.add(row)
    db.flush()
    append_audit(db, actor, "order", at=now, table_name="physician_orders", row_id=row.id,
                 patient_id=course.patient_id,
                 old=None if previous is None else f"supersedes order {previous.id}",
                 new={"kind": "standing", "order": order.describe(),
                      "protocol": protocol.code})
    db.commit()
    return row.id


def _same_order(a: PhysicianOrder, b: PhysicianOrder) -> bool:
    return (a.protocol_code, a.dose, a.duration_min, a.weight_basis, a.titration_ceiling) == (
        b.protocol_code, b.dose, b.duration_min, b.weight_basis, b.titration_ceiling)


def record_verbal_order(
    db: Session,
    actor: Actor,
    session_id: int,
    *,
    physician_id: int,
    dose: object,
    duration_min: object = None,
    weight_basis: object = None,
    read_back: bool,
    clock: Clock = system_clock,
) -> int:
    """The nurse at the chair records a physician's verbal order for exactly one dose.

    Refused unless the nurse read the order back to the physician. The
    physician named must be an active physician; they co-sign it later with
    their own password (:func:`cosign_verbal_order`). Returns the order's id.
    """
    nurse = authorize(db, actor, Permission.PREPARE_DOSE)
    session = db.get(TreatmentSession, session_id, populate_existing=True)
    if session is None:
        raise NotFound(f"No session with id {session_id}.")
    ensure_editable(session.state, "a verbal order")
    if dose_started(SessionState(session.state)):
        raise TransitionRefused(["The infusion has started; a verbal order for its dose comes "
                                 "too late."])
    physician = db.get(User, physician_id, populate_existing=True)
    if physician is None or physician.role != Role.PHYSICIAN or not physician.is_active:
        raise ValidationError.single("physician_id", "Choose the physician who gave the order "
                                                     "(an active physician).")
    if physician.id == nurse.id:
        raise ValidationError.single("physician_id", "A physician at the chair enters a "
                                                     "standing order instead of a verbal one.")
    protocol = protocol_by_id(db, session.protocol_id)
    name = printed_name(physician.full_name, physician.credentials)
    order = make_order(protocol, dose=dose, duration_min=duration_min,
                       weight_basis=weight_basis, physician_name=name, kind=OrderKind.VERBAL)
    if read_back is not True:
        raise ValidationError.single(
            "read_back", f"Read the order back to {name} and tick \"read back\": a verbal "
                         "order is recorded only once it was read back and confirmed.")
    now = clock()
    row = PhysicianOrderRecord(
        course_id=session.course_id, patient_id=session.patient_id, session_id=session_id,
        kind=OrderKind.VERBAL.value, protocol_id=session.protocol_id,
        protocol_code=protocol.code, physician_id=physician.id, physician_name=name,
        ordered_at_utc=now, received_by_id=nurse.id,
        received_by_name=printed_name(nurse.full_name, nurse.credentials), read_back=True,
        created_at_utc=now, **_dose_columns(order))
    db.add(row)
    db.flush()
    append_audit(db, actor, "verbal_order", at=now, table_name="physician_orders",
                 row_id=row.id, patient_id=session.patient_id,
                 new={"kind": "verbal", "order": order.describe(), "physician": name,
                      "read_back": True})
    db.commit()
    return row.id


def cosign_verbal_order(db: Session, actor: Actor, order_id: int, *, password: str,
                        clock: Clock = system_clock) -> None:
    """The physician who gave a verbal order co-signs it with their own password and key."""
    user = authorize(db, actor, Permission.ORDER_DOSE)
    row = db.get(PhysicianOrderRecord, order_id, populate_existing=True)
    if row is None or row.kind != OrderKind.VERBAL.value:
        raise NotFound(f"No verbal order with id {order_id}.")
    if row.physician_id != user.id:
        raise PermissionDenied(f"Only {row.physician_name}, who gave this verbal order, can "
                               "co-sign it.")
    if row.cosigned_at_utc is not None:
        raise ValidationError.single("order_id", f"This verbal order was already co-signed at "
                                                 f"{when_text(row.cosigned_at_utc)}.")
    _user, key = _unlock(db, actor, password, "cosign_order", clock)
    now = clock()
    facts = _stored(db, row.id) | {"cosigned_at_utc": now}
    row.cosigned_at_utc = now
    row.key_id = key.key_id
    row.signature = key.sign_row(VERBAL_COSIGN, facts)
    db.flush()
    append_audit(db, actor, "cosign", at=now, table_name="physician_orders", row_id=row.id,
                 patient_id=row.patient_id, field="cosigned_at_utc", new=now)
    db.commit()


@dataclass(frozen=True)
class AwaitingOrder:
    """A verbal order waiting for the physician's co-signature, as the waiting list shows it."""

    order_id: int
    session_id: int | None
    patient_name: str
    mrn: str
    order_text: str
    physician_id: int
    physician_name: str
    received_by_name: str
    ordered_at_utc: datetime


def verbal_orders_awaiting(db: Session, physician_id: int | None = None) -> list[AwaitingOrder]:
    """Verbal orders not co-signed yet, oldest first; only one physician's when given."""
    query = (select(PhysicianOrderRecord, Patient.family_name, Patient.given_name, Patient.mrn)
             .join(Patient, Patient.id == PhysicianOrderRecord.patient_id)
             .where(PhysicianOrderRecord.kind == OrderKind.VERBAL.value,
                    PhysicianOrderRecord.cosigned_at_utc.is_(None))
             .order_by(PhysicianOrderRecord.ordered_at_utc, PhysicianOrderRecord.id))
    if physician_id is not None:
        query = query.where(PhysicianOrderRecord.physician_id == physician_id)
    return [AwaitingOrder(row.id, row.session_id, f"{family}, {given}", mrn,
                          _view(db, row).order.describe(), row.physician_id,
                          row.physician_name, row.received_by_name or "", row.ordered_at_utc)
            for row, family, given, mrn in db.execute(query).all()]


def order_problems(db: Session, order_id: int) -> list[str]:
    """Why the order's key signature (standing, or co-signature) does not hold; empty if it does.

    A verbal order not co-signed yet has no signature to check: that is not a problem
    but "awaiting co-signature".
    """
    row = db.get(PhysicianOrderRecord, order_id)
    if row is None:
        return [f"physician order {order_id} does not exist"]
    if row.kind == OrderKind.VERBAL.value and row.cosigned_at_utc is None:
        if row.key_id is not None or row.signature is not None:
            return [f"verbal order {order_id} carries a key but no co-signature time"]
        return []
    kind = STANDING_ORDER if row.kind == OrderKind.STANDING.value else VERBAL_COSIGN
    at = row.ordered_at_utc if kind == STANDING_ORDER else row.cosigned_at_utc
    what = ("the standing order" if kind == STANDING_ORDER
            else "the co-signature of the verbal order")
    label = f"{what} by {row.physician_name} at {when_text(at)}"
    keyed = KeyedRow(kind, "physician_orders", row.id, _stored(db, row.id), row.physician_id,
                     row.physician_name, at, label)
    return keyed_row_problems(db, [keyed])


def order_followed_by_session(db: Session, session_id: int) -> FollowedOrder | None:
    """The order the session's current dose followed; None when no dose is ordered."""
    dose = db.scalar(select(DoseOrder)
                     .where(DoseOrder.session_id == session_id,
                            DoseOrder.superseded_at_utc.is_(None))
                     .order_by(DoseOrder.id.desc()).limit(1))
    if dose is None:
        return None
    if dose.physician_order_id is None:
        if dose.override_by_id is not None:
            overrider = db.get(User, dose.override_by_id)
            name = (printed_name(overrider.full_name, overrider.credentials)
                    if overrider else f"user {dose.override_by_id}")
            return FollowedOrder(None, override_by_name=name)
        return FollowedOrder(None, not_required=True)
    row = db.get(PhysicianOrderRecord, dose.physician_order_id)
    if row is None:
        return FollowedOrder(None, (f"physician order {dose.physician_order_id} named by the "
                                    "dose does not exist",))
    return FollowedOrder(_view(db, row), tuple(order_problems(db, row.id)))


@dataclass(frozen=True)
class OrderForm:
    """What the standing-order dialog needs: the course's protocol, and the order in force."""

    course_id: int
    patient_name: str
    protocol_name: str
    dosing_mode: DosingMode
    unit: str
    default_dose: Decimal | None
    default_duration_min: int | None
    allowed_device_counts: tuple[int, ...]
    hard_max: Decimal | None
    in_force: OrderView | None


def order_form(db: Session, course_id: int) -> OrderForm:
    """The standing-order dialog's facts for one course (read-only)."""
    course = db.get(Course, course_id)
    if course is None:
        raise NotFound(f"No course with id {course_id}.")
    patient = db.get(Patient, course.patient_id)
    protocol = protocol_by_id(db, course.protocol_id)
    name = f"{patient.family_name}, {patient.given_name}" if patient else ""
    return OrderForm(course_id, name, protocol.name, protocol.dosing_mode,
                     dose_unit(protocol.dosing_mode), protocol.default_dose,
                     protocol.default_duration_min, protocol.allowed_device_counts,
                     protocol.limits.hard_max if protocol.limits else None,
                     standing_order_in_force(db, course_id))
