"""The database schema: SQLAlchemy 2 typed models.

Conventions:
- every instant is a ``*_at_utc`` column of :class:`UTCDateTime`;
- every clinical quantity is an exact :class:`ExactDecimal` or a whole number,
  with its unit in the column name;
- rows a user can edit carry ``version`` (optimistic locking: a stale edit
  raises ``StaleDataError`` instead of silently overwriting);
- clinical rows are never deleted: a mistaken entry is voided with a reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from ketalog.domain.controlled_substances import LedgerKind, Substance
from ketalog.domain.roles import Role
from ketalog.domain.session_state import SessionState
from ketalog.domain.stock_counts import BusinessTime, CountOccasion, InventoryKind, LossKind
from ketalog.store.types import ExactDecimal, StoredEnum, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Search keys compare byte-wise so a prefix range scan uses the index on both
#: databases (PostgreSQL's default linguistic collation would not).
SearchKey = String(200).with_variant(String(200, collation="C"), "postgresql")


def utc_now() -> datetime:
    """Return the current instant, aware and in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        Decimal: ExactDecimal(),
        str: String(),
        date: Date(),
    }


class Versioned:
    """Optimistic locking: an UPDATE matches only the version it read."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - SQLAlchemy directive
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Created:
    """When the row was written (not when the thing it records happened)."""

    created_at_utc: Mapped[datetime] = mapped_column(default=utc_now)


class Voidable:
    """Clinical entries are voided with a reason, never deleted.

    "Entered in error" (:mod:`ketalog.services.corrections`): the entry stays in
    the record, struck through with who voided it, when and why, and counts in
    no computation. A corrected value is a new row whose ``replaces_id`` names
    the one it replaces. ``voided_by_id`` and ``replaces_id`` came with schema
    0017 and stay out of the signed record while NULL, so sessions signed
    before read the same.
    """

    voided_at_utc: Mapped[datetime | None]
    void_reason: Mapped[str | None]

    @declared_attr
    def voided_by_id(cls) -> Mapped[int | None]:  # noqa: N805 - SQLAlchemy directive
        """Who marked the entry entered in error (0017)."""
        return mapped_column(ForeignKey("users.id"))

    @declared_attr
    def replaces_id(cls) -> Mapped[int | None]:  # noqa: N805 - SQLAlchemy directive
        """The entry of the same kind this one corrects (0017)."""
        return mapped_column(ForeignKey(f"{cls.__tablename__}.id"))  # type: ignore[attr-defined]


class AuditReferenced:
    """The audit row written with this row: its id and its hash (schema 0013).

    A hash chain cannot show rows cut off at its end or a stretch recomputed
    after a deletion; a reference kept beside the record can: ``audit verify``
    reports every row whose audit row is gone or has another hash, and every
    row written since 0013 without one. Set once (empty -> value) when the audit
    row is appended (:func:`ketalog.services.audit.append_audit`); left out of
    the signed record, so it never changes what a signature covers.
    """

    audit_id: Mapped[int | None] = mapped_column(Integer)
    audit_sha256: Mapped[str | None] = mapped_column(String(64))


# --- people -----------------------------------------------------------------


class User(Versioned, Created, Base):
    """A clinician or administrator who signs in (log-in arrives in a later issue)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[str] = mapped_column(String(40), default="")
    role: Mapped[Role] = mapped_column(StoredEnum(Role, "role"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_at_utc: Mapped[datetime | None]
    last_failed_login_at_utc: Mapped[datetime | None]
    #: Set by an administrator's password reset: the next log-in asks for a new password first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())


class UserKey(Created, Base):
    """A clinician's Ed25519 signing key; the private half only encrypted under their password.

    The key that decrypts it is derived from the password (Argon2id, the salt
    and cost stored here), so neither an administrator nor anyone reading the
    database can sign as the clinician. Rows are never deleted; a key is
    retired (an administrator's reset, or a new key) and keeps verifying what
    it signed while it was active.
    """

    __tablename__ = "user_keys"
    __table_args__ = (Index("ix_user_keys_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: Raw 32-byte Ed25519 public key, hex.
    public_key: Mapped[str] = mapped_column(String(64))
    #: AES-256-GCM nonce + ciphertext of the raw private key, hex.
    encrypted_private_key: Mapped[str] = mapped_column(String(200))
    kdf: Mapped[str] = mapped_column(String(80))  # e.g. "argon2id;t=2;m=19456;p=1"
    kdf_salt: Mapped[str] = mapped_column(String(64))
    retired_at_utc: Mapped[datetime | None]
    issued_after_admin_reset: Mapped[bool] = mapped_column(Boolean, default=False,
                                                           server_default=false())


class ClinicCertificate(Created, Base):
    """The clinic's CA and document certificates (X.509) that sign the chart PDFs.

    Rows are only ever inserted (a guard refuses updates and deletes): a new
    certificate is a new row and the newest valid document certificate signs.
    ``private_key`` is the CA's PKCS#8 key sealed under the creating
    administrator's password (``kdf`` and ``kdf_salt`` set), the document
    certificate's PKCS#8 PEM key in the clear (``kdf`` empty, so every
    workstation can sign; see services.clinic_certificate), or empty for a
    CA imported without its key.
    """

    __tablename__ = "clinic_certificates"
    __table_args__ = (Index("ix_clinic_certificates_kind", "kind", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # ca | document
    source: Mapped[str] = mapped_column(String(10))  # created | imported
    subject: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(500))
    serial_hex: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the DER certificate, hex: what a reader compares.
    fingerprint_sha256: Mapped[str] = mapped_column(String(64))
    not_before_utc: Mapped[datetime]
    not_after_utc: Mapped[datetime]
    certificate_pem: Mapped[str] = mapped_column(Text)
    private_key: Mapped[str | None] = mapped_column(Text)
    kdf: Mapped[str | None] = mapped_column(String(80))
    kdf_salt: Mapped[str | None] = mapped_column(String(64))
    #: The CA row that issued this certificate (None for a CA, or an issuer not stored).
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("clinic_certificates.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Patient(Versioned, Created, AuditReferenced, Base):
    """A registered patient; identity shown on every screen and page."""

    __tablename__ = "patients"
    __table_args__ = (
        Index("ix_patients_search_family", "search_family"),
        Index("ix_patients_search_given", "search_given"),
        Index("ix_patients_birth_date", "birth_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(40), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    sex: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(40))
    #: casefolded, accent-free "family given" / "given family" for prefix search
    search_family: Mapped[str] = mapped_column(SearchKey)
    search_given: Mapped[str] = mapped_column(SearchKey)

    courses: Mapped[list[Course]] = relationship(back_populates="patient")


class PatientWeight(Created, Voidable, AuditReferenced, Base):
    """A weighing; dose orders copy the weight they used, with its date and basis."""

    __tablename__ = "patient_weights"
    __table_args__ = (Index("ix_patient_weights_patient", "patient_id", "measured_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    weight_kg: Mapped[Decimal] = mapped_column(ExactDecimal(7, 2))
    measured_on: Mapped[date]
    basis: Mapped[str] = mapped_column(String(20), default="actual")  # actual | ideal
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# --- treatment --------------------------------------------------------------


class ProtocolRecord(Versioned, Created, Base):
    """A dosing protocol; ``definition_json`` is ``domain.protocols.Protocol.to_dict()``."""

    __tablename__ = "protocols"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    drug: Mapped[str] = mapped_column(String(60))
    route: Mapped[str] = mapped_column(String(20))
    dosing_mode: Mapped[str] = mapped_column(String(20))
    definition_json: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Course(Versioned, Created, AuditReferenced, Base):
    """A treatment course: an induction series, then maintenance boosters."""

    __tablename__ = "courses"
    __table_args__ = (
        # lets sessions reference (course, patient) so the two cannot disagree
        UniqueConstraint("id", "patient_id"),
        Index("ix_courses_patient", "patient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    protocol_id: Mapped[int] = mapped_column(ForeignKey("protocols.id"))
    indication: Mapped[str] = mapped_column(String(60))
    planned_infusions: Mapped[int] = mapped_column(Integer, default=6)
    phase: Mapped[str] = mapped_column(String(20), default="induction")
    status: Mapped[str] = mapped_column(String(20), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text)
    started_on: Mapped[date | None]
    #: When the course was completed or stopped (schema 0004).
    ended_on: Mapped[date | None]
    #: Infusions need an approved eligibility screening. Courses opened before
    #: schema 0004 (before ketalog recorded screenings) are stored as False.
    screening_required: Mapped[bool] = mapped_column(Boolean, default=True,
                                                     server_default=false())

    #: Doses follow a physician's order. Courses opened before schema 0016 (before
    #: ketalog recorded orders) are stored as False and dose without one until a
    #: physician enters a standing order.
    order_required: Mapped[bool] = mapped_column(Boolean, default=True,
                                                 server_default=false())

    patient: Mapped[Patient] = relationship(back_populates="courses")
    protocol: Mapped[ProtocolRecord] = relationship()


class PhysicianOrderRecord(Created, AuditReferenced, Base):
    """A physician's order a dose follows: a course's standing order, or a verbal order.

    Written once (schema 0016): a new standing order supersedes the one before
    (``supersedes_id``) and nothing is ever edited or deleted. A standing order
    carries the physician's key and Ed25519 signature from the start; a verbal
    order, received and read back by the nurse at the chair for one session,
    receives them once, when the physician co-signs (``cosigned_at_utc``): the
    one change the guard allows besides the audit reference.

    The dose is in the protocol's unit (mg/kg, mg/kg/h or devices) like
    :class:`DoseOrder`; ``titration_ceiling`` is in the same unit.
    """

    __tablename__ = "physician_orders"
    __table_args__ = (
        Index("ix_physician_orders_course", "course_id", "kind", "id"),
        Index("ix_physician_orders_session", "session_id"),
        Index("ix_physician_orders_physician", "physician_id", "cosigned_at_utc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    #: The session a verbal order was given for (None for a standing order).
    session_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_sessions.id"))
    kind: Mapped[str] = mapped_column(String(10))  # standing | verbal
    protocol_id: Mapped[int] = mapped_column(ForeignKey("protocols.id"))
    protocol_code: Mapped[str] = mapped_column(String(60))
    dosing_mode: Mapped[str] = mapped_column(String(20))
    dose_mg_per_kg: Mapped[Decimal | None]
    rate_mg_per_kg_per_h: Mapped[Decimal | None]
    device_count: Mapped[int | None] = mapped_column(Integer)
    duration_min: Mapped[int | None] = mapped_column(Integer)
    weight_basis: Mapped[str | None] = mapped_column(String(20))  # actual | ideal
    titration_ceiling: Mapped[Decimal | None]
    physician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The physician's printed name and credentials when the order was given.
    physician_name: Mapped[str] = mapped_column(String(250))
    ordered_at_utc: Mapped[datetime]
    #: Verbal orders: the nurse who received it, and that they read it back.
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_by_name: Mapped[str | None] = mapped_column(String(250))
    read_back: Mapped[bool | None] = mapped_column(Boolean)
    #: The standing order this one replaced.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("physician_orders.id"))
    #: The physician's key and signature: at entry (standing), at co-signature (verbal).
    key_id: Mapped[int | None] = mapped_column(ForeignKey("user_keys.id"))
    signature: Mapped[str | None] = mapped_column(String(128))
    cosigned_at_utc: Mapped[datetime | None]


class Screening(Versioned, Created, AuditReferenced, Base):
    """The eligibility screening of the consultation before a course's first infusion.

    Yes/no findings are nullable: ``None`` means "not asked yet", which blocks
    approval, so an unanswered question is never read as "no". The domain
    (``domain.screening``) classifies findings as contraindications or cautions.
    """

    __tablename__ = "screenings"
    __table_args__ = (Index("ix_screenings_patient", "patient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), unique=True)
    history_summary: Mapped[str | None] = mapped_column(Text)
    #: current medications, one per line, as the patient or referral gave them
    medications: Mapped[str | None] = mapped_column(Text)
    allergies: Mapped[str | None] = mapped_column(Text)
    baseline_systolic_mmhg: Mapped[int | None] = mapped_column(Integer)
    baseline_diastolic_mmhg: Mapped[int | None] = mapped_column(Integer)
    #: JSON list of {"test": str, "result": str, "taken_on": "YYYY-MM-DD"}
    labs_json: Mapped[str] = mapped_column(Text, default="[]")
    takes_benzodiazepine: Mapped[bool | None] = mapped_column(Boolean)
    takes_other_sedative: Mapped[bool | None] = mapped_column(Boolean)
    takes_opioid: Mapped[bool | None] = mapped_column(Boolean)
    takes_stimulant: Mapped[bool | None] = mapped_column(Boolean)
    takes_maoi: Mapped[bool | None] = mapped_column(Boolean)
    takes_lamotrigine: Mapped[bool | None] = mapped_column(Boolean)
    pregnant_or_breastfeeding: Mapped[bool | None] = mapped_column(Boolean)
    psychosis_history: Mapped[bool | None] = mapped_column(Boolean)
    active_substance_use: Mapped[bool | None] = mapped_column(Boolean)
    uncontrolled_cardiovascular: Mapped[bool | None] = mapped_column(Boolean)
    hepatic_impairment: Mapped[bool | None] = mapped_column(Boolean)
    raised_intracranial_or_intraocular_pressure: Mapped[bool | None] = mapped_column(Boolean)
    bipolar_disorder: Mapped[bool | None] = mapped_column(Boolean)
    on_mood_stabiliser: Mapped[bool | None] = mapped_column(Boolean)
    consent_signed_on: Mapped[date | None]
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    override_at_utc: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at_utc: Mapped[datetime | None]
    updated_at_utc: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class TreatmentSession(Versioned, Created, AuditReferenced, Base):
    """One visit at a chair: check-in, dose, monitoring, recovery, discharge, signature.

    ``state`` follows ``domain.session_state``; the ``*_at_utc`` milestones are
    written with the state change that sets them so the board needs no joins
    over events.
    """

    __tablename__ = "treatment_sessions"
    __table_args__ = (
        ForeignKeyConstraint(["course_id", "patient_id"], ["courses.id", "courses.patient_id"]),
        Index("ix_treatment_sessions_scheduled", "scheduled_at_utc"),
        Index("ix_treatment_sessions_state", "state", "scheduled_at_utc"),
        Index("ix_treatment_sessions_patient", "patient_id", "scheduled_at_utc"),
        Index("ix_treatment_sessions_course", "course_id", "sequence_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    course_id: Mapped[int] = mapped_column(Integer)
    protocol_id: Mapped[int] = mapped_column(ForeignKey("protocols.id"))
    chair: Mapped[str] = mapped_column(String(40))
    scheduled_at_utc: Mapped[datetime]
    sequence_number: Mapped[int | None] = mapped_column(Integer)  # "infusion n of N"
    state: Mapped[SessionState] = mapped_column(StoredEnum(SessionState, "session state"),
                                                default=SessionState.SCHEDULED)
    state_reason: Mapped[str | None] = mapped_column(Text)  # cancel / stop-early reason
    checked_in_at_utc: Mapped[datetime | None]
    dose_started_at_utc: Mapped[datetime | None]
    dose_ended_at_utc: Mapped[datetime | None]
    ready_to_leave_at_utc: Mapped[datetime | None]
    discharged_at_utc: Mapped[datetime | None]
    escort_name: Mapped[str | None] = mapped_column(String(200))
    instructions_given: Mapped[bool] = mapped_column(Boolean, default=False)
    # pre-infusion checklist (schema 0002); who ticked what and when is in the audit trail
    identity_confirmed: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    consent_on_file: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    npo_confirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    predose_bp_ack_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    predose_bp_ack_at_utc: Mapped[datetime | None]
    #: The acknowledging physician's key and Ed25519 signature over the acknowledgment (0014).
    predose_bp_ack_key_id: Mapped[int | None] = mapped_column(ForeignKey("user_keys.id"))
    predose_bp_ack_signature: Mapped[str | None] = mapped_column(String(128))
    updated_at_utc: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    patient: Mapped[Patient] = relationship()
    course: Mapped[Course] = relationship(
        primaryjoin="TreatmentSession.course_id == Course.id",
        foreign_keys="TreatmentSession.course_id",
        viewonly=True,
    )
    protocol: Mapped[ProtocolRecord] = relationship()
    vitals: Mapped[list[VitalSign]] = relationship(order_by="VitalSign.taken_at_utc")
    infusion_events: Mapped[list[InfusionEvent]] = relationship(
        order_by="InfusionEvent.occurred_at_utc"
    )
    dose_orders: Mapped[list[DoseOrder]] = relationship(order_by="DoseOrder.id")
    scale_scores: Mapped[list[ScaleScore]] = relationship(order_by="ScaleScore.taken_at_utc")
    event_flags: Mapped[list[EventFlag]] = relationship(order_by="EventFlag.onset_at_utc")
    interventions: Mapped[list[Intervention]] = relationship(
        order_by="Intervention.given_at_utc"
    )
    adverse_events: Mapped[list[AdverseEvent]] = relationship(
        order_by="AdverseEvent.onset_at_utc"
    )
    notes: Mapped[list[Note]] = relationship(order_by="Note.written_at_utc")
    signatures: Mapped[list[Signature]] = relationship(order_by="Signature.signed_at_utc")
    addenda: Mapped[list[Addendum]] = relationship(order_by="Addendum.written_at_utc")


class DoseOrder(Versioned, Created, AuditReferenced, Base):
    """The computed dose with every input it used, as the nurse read it back.

    A changed order is superseded by a new row (``superseded_at_utc``), so the
    verification always refers to exactly the numbers that were checked.
    """

    __tablename__ = "dose_orders"
    __table_args__ = (Index("ix_dose_orders_session", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    drug: Mapped[str] = mapped_column(String(60))
    route: Mapped[str] = mapped_column(String(20))
    dosing_mode: Mapped[str] = mapped_column(String(20))
    dose_mg_per_kg: Mapped[Decimal | None]
    rate_mg_per_kg_per_h: Mapped[Decimal | None]
    device_count: Mapped[int | None] = mapped_column(Integer)
    weight_kg: Mapped[Decimal | None] = mapped_column(ExactDecimal(7, 2))
    weight_measured_on: Mapped[date | None]
    weight_basis: Mapped[str | None] = mapped_column(String(20))
    concentration_mg_per_ml: Mapped[Decimal | None]
    diluent: Mapped[str | None] = mapped_column(String(60))
    bag_volume_ml: Mapped[Decimal | None]
    duration_min: Mapped[int | None] = mapped_column(Integer)
    total_mg: Mapped[Decimal]
    drug_volume_ml: Mapped[Decimal | None]
    rate_ml_per_h: Mapped[Decimal | None]
    working: Mapped[str] = mapped_column(Text, default="")
    lot_number: Mapped[str | None] = mapped_column(String(60))
    limit_level: Mapped[str] = mapped_column(String(20), default="within")
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The overriding physician's key and Ed25519 signature over the override (0014).
    override_key_id: Mapped[int | None] = mapped_column(ForeignKey("user_keys.id"))
    override_signature: Mapped[str | None] = mapped_column(String(128))
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    prepared_by_name: Mapped[str] = mapped_column(String(200))
    ordered_at_utc: Mapped[datetime] = mapped_column(default=utc_now)
    superseded_at_utc: Mapped[datetime | None]
    #: The physician's order the dose followed (0016); None before orders, or on a course
    #: opened before them that has none, or above the maximum with the physician's override.
    physician_order_id: Mapped[int | None] = mapped_column(ForeignKey("physician_orders.id"))

    verification: Mapped[DoseVerification | None] = relationship(back_populates="dose_order")


class DoseVerification(Created, AuditReferenced, Base):
    """The independent double check of a high-alert dose by a second nurse."""

    __tablename__ = "dose_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    dose_order_id: Mapped[int] = mapped_column(ForeignKey("dose_orders.id"), unique=True)
    verifier_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verifier_name: Mapped[str] = mapped_column(String(200))
    verified_at_utc: Mapped[datetime]
    #: The verifier's key and Ed25519 signature over what was verified (0014).
    key_id: Mapped[int | None] = mapped_column(ForeignKey("user_keys.id"))
    signature: Mapped[str | None] = mapped_column(String(128))
    #: The second nurse's own figures, worked out blind and found to agree (0015);
    #: NULL on checks made before, which were made against the figures on screen.
    verifier_total_mg: Mapped[Decimal | None]
    verifier_rate_ml_per_h: Mapped[Decimal | None]

    dose_order: Mapped[DoseOrder] = relationship(back_populates="verification")


class InfusionEvent(Created, AuditReferenced, Base):
    """Start, pause, resume, rate change, stop: the mg delivered is computed from these."""

    __tablename__ = "infusion_events"
    __table_args__ = (Index("ix_infusion_events_session", "session_id", "occurred_at_utc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at_utc: Mapped[datetime]
    rate_ml_per_h: Mapped[Decimal | None]
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class VitalSign(Versioned, Created, Voidable, AuditReferenced, Base):
    """One reading; ``alert_codes`` holds the domain's alert codes, comma-separated."""

    __tablename__ = "vital_signs"
    __table_args__ = (Index("ix_vital_signs_session", "session_id", "taken_at_utc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    taken_at_utc: Mapped[datetime]
    systolic_mmhg: Mapped[int | None] = mapped_column(Integer)
    diastolic_mmhg: Mapped[int | None] = mapped_column(Integer)
    heart_rate_bpm: Mapped[int | None] = mapped_column(Integer)
    spo2_percent: Mapped[int | None] = mapped_column(Integer)
    resp_rate_per_min: Mapped[int | None] = mapped_column(Integer)
    temperature_c: Mapped[Decimal | None] = mapped_column(ExactDecimal(4, 1))
    etco2_mmhg: Mapped[int | None] = mapped_column(Integer)
    pain_score: Mapped[int | None] = mapped_column(Integer)
    alert_codes: Mapped[str] = mapped_column(String(200), default="")
    action_note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ScaleScore(Versioned, Created, Voidable, AuditReferenced, Base):
    """A scored instrument (MOAA/S, CADSS, Aldrete, PHQ-9, ...) with its item scores."""

    __tablename__ = "scale_scores"
    __table_args__ = (
        Index("ix_scale_scores_session", "session_id"),
        Index("ix_scale_scores_patient", "patient_id", "scale", "taken_at_utc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_sessions.id"))
    scale: Mapped[str] = mapped_column(String(20))
    item_scores_json: Mapped[str] = mapped_column(Text)
    total: Mapped[int] = mapped_column(Integer)
    band: Mapped[str | None] = mapped_column(String(40))
    taken_at_utc: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ScaleAlert(Created, AuditReferenced, Base):
    """An alert a score raised (MOAA/S low, CADSS high), kept with the threshold it broke.

    Stored, not recomputed, so a later change of the protocol's threshold does
    not rewrite what the nurse was told at the chair.
    """

    __tablename__ = "scale_alerts"
    __table_args__ = (Index("ix_scale_alerts_session", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    scale_score_id: Mapped[int] = mapped_column(ForeignKey("scale_scores.id"))
    code: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    raised_at_utc: Mapped[datetime]


class AlertAcknowledgment(Created, AuditReferenced, Base):
    """A physician's acknowledgment of one alert (a reading's code, or a scale alert)."""

    __tablename__ = "alert_acknowledgments"
    __table_args__ = (
        Index("ix_alert_acknowledgments_session", "session_id"),
        UniqueConstraint("source_table", "source_id", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    source_table: Mapped[str] = mapped_column(String(40))  #: vital_signs | scale_scores
    source_id: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    acknowledged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    acknowledged_at_utc: Mapped[datetime]
    comment: Mapped[str | None] = mapped_column(Text)
    #: The physician's key and Ed25519 signature over the acknowledgment (0014).
    key_id: Mapped[int | None] = mapped_column(ForeignKey("user_keys.id"))
    signature: Mapped[str | None] = mapped_column(String(128))


class EventFlag(Versioned, Created, Voidable, AuditReferenced, Base):
    """Sedation, dissociation or respiratory depression, open until resolved (REMS)."""

    __tablename__ = "event_flags"
    __table_args__ = (Index("ix_event_flags_session", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    kind: Mapped[str] = mapped_column(String(40))
    onset_at_utc: Mapped[datetime]
    resolved_at_utc: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Intervention(Versioned, Created, Voidable, AuditReferenced, Base):
    """A drug or action given in response to something (ondansetron 4 mg IV, ...)."""

    __tablename__ = "interventions"
    __table_args__ = (Index("ix_interventions_session", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    drug: Mapped[str] = mapped_column(String(120))
    dose: Mapped[Decimal | None]
    dose_unit: Mapped[str | None] = mapped_column(String(20))
    route: Mapped[str | None] = mapped_column(String(20))
    given_at_utc: Mapped[datetime]
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    given_by_name: Mapped[str] = mapped_column(String(200))
    indication: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)


class AdverseEvent(Versioned, Created, Voidable, AuditReferenced, Base):
    """Hypertension, nausea, emergence reaction, ... with onset, resolution and action."""

    __tablename__ = "adverse_events"
    __table_args__ = (Index("ix_adverse_events_session", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    kind: Mapped[str] = mapped_column(String(60))
    severity: Mapped[str] = mapped_column(String(20), default="mild")
    onset_at_utc: Mapped[datetime]
    resolved_at_utc: Mapped[datetime | None]
    description: Mapped[str | None] = mapped_column(Text)
    action_taken: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Note(Versioned, Created, Voidable, AuditReferenced, Base):
    """A recovery, nursing or observation note with its author and time."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_session", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    kind: Mapped[str] = mapped_column(String(20))  # recovery | nursing | observation
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(200))
    written_at_utc: Mapped[datetime]


class Signature(Created, AuditReferenced, Base):
    """A nursing attestation or physician signature over a hash of the whole session."""

    __tablename__ = "signatures"
    __table_args__ = (Index("ix_signatures_session", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))  # nursing_attestation | physician_signature
    meaning: Mapped[str] = mapped_column(String(200))
    signed_at_utc: Mapped[datetime]
    content_sha256: Mapped[str] = mapped_column(String(64))
    #: The signer's printed name and credentials as they were at signing.
    signer_name: Mapped[str] = mapped_column(String(250), default="", server_default="")
    #: The canonical serialisation that was hashed, so a later change can be itemised.
    content_json: Mapped[str | None] = mapped_column(Text)
    #: The signer's key, and its Ed25519 signature (hex) over the signature's manifest;
    #: empty only on signatures made before keyed signatures (schema 0009).
    key_id: Mapped[int | None] = mapped_column(ForeignKey("user_keys.id"))
    signature: Mapped[str | None] = mapped_column(String(128))


class LegacySignature(Base):
    """A signature that existed when keyed signatures arrived (schema 0009), with its hash.

    Only these may verify without a key; the list is written by the migration
    and never added to, so a row inserted later without a key never verifies.
    """

    __tablename__ = "legacy_signatures"

    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id"), primary_key=True)
    content_sha256: Mapped[str] = mapped_column(String(64))


class LegacyKeylessRow(Base):
    """A row made before its kind was keyed (schema 0014): it may verify without a key.

    Attestations, addenda, dose checks, overrides and acknowledgments that
    existed when 0014 arrived are listed here once by the migration (write-once,
    like ``legacy_signatures``), so a keyless row inserted later never verifies.
    """

    __tablename__ = "legacy_keyless_rows"

    table_name: Mapped[str] = mapped_column(String(40), primary_key=True)
    row_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Addendum(Created, AuditReferenced, Base):
    """The only way a signed session changes: appended, never replacing anything."""

    __tablename__ = "addenda"
    __table_args__ = (Index("ix_addenda_session", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    written_at_utc: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    #: The author's printed name at writing, key and Ed25519 signature (0014).
    author_name: Mapped[str | None] = mapped_column(String(250))
    key_id: Mapped[int | None] = mapped_column(ForeignKey("user_keys.id"))
    signature: Mapped[str | None] = mapped_column(String(128))


class RemsFiling(Created, AuditReferenced, Base):
    """That a session's Spravato REMS monitoring form was filed, by whom and when.

    Kept apart from the session's own rows because filing happens after the
    physician signs (within 7 days) and must not touch the signed record.
    """

    __tablename__ = "rems_filings"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"), unique=True)
    filed_at_utc: Mapped[datetime]
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmation: Mapped[str | None] = mapped_column(String(120))


# --- several workstations ----------------------------------------------------


class SessionPresence(Base):
    """Who has a session open right now, on which workstation (a soft indicator).

    One row per user and workstation, refreshed by a heartbeat while the
    session page is shown and deleted when it closes; a row whose heartbeat
    is older than a minute is ignored (the workstation crashed or lost the
    network). Not clinical data, so neither audited nor kept.
    """

    __tablename__ = "session_presence"
    __table_args__ = (
        UniqueConstraint("user_id", "workstation"),
        Index("ix_session_presence_session", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    display_name: Mapped[str] = mapped_column(String(200))
    workstation: Mapped[str] = mapped_column(String(120))
    opened_at_utc: Mapped[datetime]
    seen_at_utc: Mapped[datetime]


class ClientWrite(Base):
    """The id of a user action that committed, written in the action's own transaction.

    A save retried after a lost connection carries the id of its first try:
    when the id is here, the first try had committed before the connection
    dropped and the retry must not write the entry a second time.
    """

    __tablename__ = "client_writes"
    __table_args__ = (Index("ix_client_writes_written", "written_at_utc"),)

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    written_at_utc: Mapped[datetime]


# --- administration ---------------------------------------------------------


class Setting(Versioned, Base):
    """A clinic setting (clinic name, time zone, idle lock minutes, ...) as JSON."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value_json: Mapped[str] = mapped_column(Text)
    updated_at_utc: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class AuditEntry(Base):
    """Append-only audit trail; ``row_hash`` chains each row to the one before.

    ``row_hash = sha256(prev_hash + canonical JSON of this row's content)``;
    ``ketalog audit verify`` (a later issue) walks the chain.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_occurred", "occurred_at_utc"),
        Index("ix_audit_log_patient", "patient_id"),
        # the creation of each signing key, looked up whenever a signature is verified (0014)
        Index("ix_audit_log_key_created", "row_id",
              sqlite_where=text("action = 'key_created'"),
              postgresql_where=text("action = 'key_created'")),
        # an id is never handed out twice, even after the newest rows were deleted (0008)
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at_utc: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    workstation: Mapped[str] = mapped_column(String(120))
    patient_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    table_name: Mapped[str | None] = mapped_column(String(60))
    row_id: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditReferenceStart(Base):
    """From which row id on a table's rows must name their audit row (schema 0013).

    Written once by migration 0013 (the next id of each table then) and never
    again: rows before it were written before references existed and keep one
    only where the backfill found their audit row; rows from it on without a
    reference were written behind the app's back, or lost it. A table without
    a row here has carried references from its creation.
    """

    __tablename__ = "audit_reference_starts"

    table_name: Mapped[str] = mapped_column(String(60), primary_key=True)
    first_row_id: Mapped[int] = mapped_column(Integer)


#: The two columns of :class:`AuditReferenced`.
AUDIT_REFERENCE_COLUMNS = ("audit_id", "audit_sha256")


def audit_referenced_tables() -> tuple[str, ...]:
    """Every table whose rows name the audit row written with them, sorted."""
    return tuple(sorted(
        name for name, table in Base.metadata.tables.items()
        if all(c in table.c for c in AUDIT_REFERENCE_COLUMNS)))


# --- controlled substances (issue 19) ------------------------------------------
#
# The books 21 CFR 1304 asks for, per registered location: what came in (receipts,
# each container one row), and a ledger of every movement of volume from receipt to
# patient, waste, transfer or destruction (domain.controlled_substances). Receipts,
# containers, recalls and ledger entries are only ever inserted (guards.APPEND_ONLY):
# a mistake is undone by a reversing entry with a reason. Locations and products are
# the clinic's set-up and change (active, address) through audited service edits.


def _positive(column: str) -> str:
    """A CHECK that an exact decimal is above zero (SQLite stores it as text: compare a number)."""
    return f"CAST({column} AS NUMERIC) > 0"


class StockLocation(Versioned, Created, AuditReferenced, Base):
    """A registered location that holds stock: its own DEA registration and its own books."""

    __tablename__ = "stock_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    dea_number: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class StockProduct(Versioned, Created, AuditReferenced, Base):
    """A finished form as supplied: substance, strength and container size (e.g. 50 mg/mL, 10 mL).

    ``gtin`` is the 14-digit GS1 GTIN a vial's DataMatrix carries in (01): a scan
    finds its product by it. ``ndc`` is the NDC as printed (formats vary).
    """

    __tablename__ = "stock_products"
    __table_args__ = (
        CheckConstraint(_positive("strength_mg_per_ml"), name="strength_positive"),
        CheckConstraint(_positive("container_volume_ml"), name="container_volume_positive"),
        # digits only: what trim() leaves of it once every digit is stripped is empty
        CheckConstraint("gtin IS NULL OR (length(gtin) = 14 AND trim(gtin, '0123456789') = '')",
                        name="gtin_14_digits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    substance: Mapped[Substance] = mapped_column(StoredEnum(Substance, "substance"))
    strength_mg_per_ml: Mapped[Decimal]
    container_volume_ml: Mapped[Decimal]
    ndc: Mapped[str | None] = mapped_column(String(20))
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    #: The DEA schedule as printed on records ("CIII" for ketamine and esketamine).
    schedule: Mapped[str] = mapped_column(String(10), default="CIII", server_default="CIII")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class StockReceipt(Created, AuditReferenced, Base):
    """One delivery received at a location, with the supplier facts a receipt record needs."""

    __tablename__ = "stock_receipts"
    __table_args__ = (Index("ix_stock_receipts_location", "location_id", "received_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("stock_locations.id"))
    received_on: Mapped[date]
    supplier_name: Mapped[str] = mapped_column(String(200))
    supplier_address: Mapped[str] = mapped_column(Text)
    supplier_dea_number: Mapped[str] = mapped_column(String(20))
    #: The invoice number, or the DEA Form 222 / CSOS order number.
    order_reference: Mapped[str] = mapped_column(String(60))
    received_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at_utc: Mapped[datetime]


class StockContainer(Created, AuditReferenced, Base):
    """One container received (a vial), identified by lot and, where it has one, serial.

    Its balance and where it is are the sum of its ledger entries, not columns here.
    """

    __tablename__ = "stock_containers"
    __table_args__ = (
        Index("ix_stock_containers_receipt", "receipt_id"),
        Index("ix_stock_containers_lot", "product_id", "lot_number"),
        # a serialised vial is received once
        Index("ix_stock_containers_serial", "product_id", "lot_number", "serial", unique=True,
              sqlite_where=text("serial IS NOT NULL"),
              postgresql_where=text("serial IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("stock_products.id"))
    receipt_id: Mapped[int] = mapped_column(ForeignKey("stock_receipts.id"))
    lot_number: Mapped[str] = mapped_column(String(60))
    expiry_date: Mapped[date]
    #: The GS1 serial (21), when the vial carries one.
    serial: Mapped[str | None] = mapped_column(String(60))


class StockLotRecall(Created, AuditReferenced, Base):
    """A lot of a product recalled: containers of it may no longer be drawn from."""

    __tablename__ = "stock_lot_recalls"
    __table_args__ = (Index("ix_stock_lot_recalls_lot", "product_id", "lot_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("stock_products.id"))
    lot_number: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at_utc: Mapped[datetime]


#: The dispositions of a draw: the only kinds that name the draw they settle.
_DISPOSITIONS = ", ".join(f"'{k.value}'" for k in (LedgerKind.ADMINISTERED, LedgerKind.WASTED,
                                                   LedgerKind.RETURNED))


class StockEntry(Created, AuditReferenced, Base):
    """One ledger entry: a volume of one container at one location (domain.controlled_substances).

    ``volume_ml`` is always positive; ``kind`` gives the direction. A draw and
    its dispositions name the session; a disposition names the DRAWN entry it
    settles (``draw_id``); a REVERSAL names the entry it undoes
    (``reverses_id``, at most one reversal per entry) and the services require
    its ``reason``; a TRANSFERRED_IN names the TRANSFERRED_OUT it receives
    (``counterpart_id``, written after it, once). A witnessed entry (a waste)
    carries the witness's key and Ed25519 signature over the entry's facts, as
    the keyed acts of schema 0014 do; the witness is never the recorder.
    """

    __tablename__ = "stock_entries"
    __table_args__ = (
        CheckConstraint(_positive("volume_ml"), name="volume_positive"),
        CheckConstraint(f"(kind = '{LedgerKind.REVERSAL.value}') = (reverses_id IS NOT NULL)",
                        name="reversal_names_its_entry"),
        CheckConstraint(f"draw_id IS NULL OR kind IN ({_DISPOSITIONS})",
                        name="only_dispositions_name_a_draw"),
        CheckConstraint(f"counterpart_id IS NULL OR kind = '{LedgerKind.TRANSFERRED_IN.value}'",
                        name="only_transfer_in_names_its_out"),
        CheckConstraint("witness_id IS NULL OR witness_id <> recorded_by_id",
                        name="witness_is_another_person"),
        CheckConstraint("(witness_key_id IS NULL) = (witness_signature IS NULL) "
                        "AND (witness_signature IS NULL OR witness_id IS NOT NULL)",
                        name="witness_signature_whole"),
        UniqueConstraint("reverses_id"),
        UniqueConstraint("counterpart_id"),
        Index("ix_stock_entries_container", "container_id", "id"),
        Index("ix_stock_entries_location", "location_id", "recorded_at_utc"),
        Index("ix_stock_entries_session", "session_id"),
        Index("ix_stock_entries_draw", "draw_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    container_id: Mapped[int] = mapped_column(ForeignKey("stock_containers.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("stock_locations.id"))
    kind: Mapped[LedgerKind] = mapped_column(StoredEnum(LedgerKind, "ledger entry kind"))
    volume_ml: Mapped[Decimal]
    session_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_sessions.id"))
    #: The DRAWN entry an ADMINISTERED, WASTED or RETURNED entry settles.
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("stock_entries.id"))
    #: The entry a REVERSAL undoes.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("stock_entries.id"))
    #: The TRANSFERRED_OUT entry a TRANSFERRED_IN receives.
    counterpart_id: Mapped[int | None] = mapped_column(ForeignKey("stock_entries.id"))
    #: Why: required by the services for a reversal or a loss.
    reason: Mapped[str | None] = mapped_column(Text)
    #: How a waste or destruction was done (e.g. "into a drug waste container").
    waste_manner: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The second person who saw it (a waste), their printed name at the time,
    #: their key and Ed25519 signature over the entry's facts.
    witness_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    witness_name: Mapped[str | None] = mapped_column(String(250))
    witness_key_id: Mapped[int | None] = mapped_column(ForeignKey("user_keys.id"))
    witness_signature: Mapped[str | None] = mapped_column(String(128))
    recorded_at_utc: Mapped[datetime]


# --- counts, inventories, destruction and losses (issue 19, schema 0019) ----------------
#
# Every row below is only ever inserted (guards.STOCK_RECORDS): a count, an inventory, a
# loss record and a discrepancy's resolution are each signed by the person's own key over
# their facts (services.keyed manifests), and a count's or an inventory's signature covers
# its lines through ``lines_sha256``. A discrepancy is open until a resolution names it.


class StockEntryWitness(Created, AuditReferenced, Base):
    """A witness of a ledger entry who signed it with their own key (a destruction has two).

    A waste keeps its one witness in the entry's own ``witness_*`` columns (0018); a
    destruction keeps both of its witnesses here, numbered 1 and 2, and none in the entry.
    """

    __tablename__ = "stock_entry_witnesses"
    __table_args__ = (
        CheckConstraint("position IN (1, 2)", name="position_1_or_2"),
        UniqueConstraint("entry_id", "position"),
        UniqueConstraint("entry_id", "witness_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("stock_entries.id"))
    position: Mapped[int] = mapped_column(Integer)
    witness_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The witness's printed name at the time ("Sam Okafor, RN").
    witness_name: Mapped[str] = mapped_column(String(250))
    key_id: Mapped[int] = mapped_column(ForeignKey("user_keys.id"))
    signature: Mapped[str] = mapped_column(String(128))
    signed_at_utc: Mapped[datetime]


class StockCount(Created, AuditReferenced, Base):
    """A count of one location's stock by two people, each signing with their own key."""

    __tablename__ = "stock_counts"
    __table_args__ = (
        CheckConstraint("second_counter_id <> counted_by_id", name="second_counter_is_another"),
        Index("ix_stock_counts_location", "location_id", "counted_at_utc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("stock_locations.id"))
    occasion: Mapped[CountOccasion] = mapped_column(StoredEnum(CountOccasion, "count occasion"))
    counted_at_utc: Mapped[datetime]
    counted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    counted_by_name: Mapped[str] = mapped_column(String(250))
    key_id: Mapped[int] = mapped_column(ForeignKey("user_keys.id"))
    signature: Mapped[str] = mapped_column(String(128))
    second_counter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    second_counter_name: Mapped[str] = mapped_column(String(250))
    second_counter_key_id: Mapped[int] = mapped_column(ForeignKey("user_keys.id"))
    second_counter_signature: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: SHA-256 of the count's lines as canonical JSON: both signatures cover the lines.
    lines_sha256: Mapped[str] = mapped_column(String(64))


class StockCountLine(Created, AuditReferenced, Base):
    """One container of a count: what the books expected and what the counters found."""

    __tablename__ = "stock_count_lines"
    __table_args__ = (
        CheckConstraint("CAST(expected_ml AS NUMERIC) >= 0", name="expected_not_negative"),
        CheckConstraint("CAST(found_ml AS NUMERIC) >= 0", name="found_not_negative"),
        UniqueConstraint("count_id", "container_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_counts.id"))
    container_id: Mapped[int] = mapped_column(ForeignKey("stock_containers.id"))
    expected_ml: Mapped[Decimal]
    found_ml: Mapped[Decimal]


class StockDiscrepancy(Created, AuditReferenced, Base):
    """A count line whose found volume differs from the books: open until resolved."""

    __tablename__ = "stock_discrepancies"
    __table_args__ = (
        CheckConstraint("CAST(expected_ml AS NUMERIC) <> CAST(found_ml AS NUMERIC)",
                        name="a_real_difference"),
        Index("ix_stock_discrepancies_location", "location_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_line_id: Mapped[int] = mapped_column(ForeignKey("stock_count_lines.id"), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("stock_locations.id"))
    container_id: Mapped[int] = mapped_column(ForeignKey("stock_containers.id"))
    expected_ml: Mapped[Decimal]
    found_ml: Mapped[Decimal]
    opened_at_utc: Mapped[datetime]


class StockLoss(Created, AuditReferenced, Base):
    """A loss or theft found at a location, with the facts DEA Form 106 asks, signed.

    The LOST ledger entries it wrote are listed in ``stock_loss_lines``.
    """

    __tablename__ = "stock_losses"
    __table_args__ = (
        CheckConstraint("police_reference IS NULL OR police_notified",
                        name="police_reference_only_when_notified"),
        Index("ix_stock_losses_location", "location_id", "discovered_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("stock_locations.id"))
    discovered_on: Mapped[date]
    kind: Mapped[LossKind] = mapped_column(StoredEnum(LossKind, "loss kind"))
    circumstances: Mapped[str] = mapped_column(Text)
    police_notified: Mapped[bool] = mapped_column(Boolean)
    police_reference: Mapped[str | None] = mapped_column(String(120))
    reported_to_dea_on: Mapped[date | None]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_by_name: Mapped[str] = mapped_column(String(250))
    key_id: Mapped[int] = mapped_column(ForeignKey("user_keys.id"))
    signature: Mapped[str] = mapped_column(String(128))
    recorded_at_utc: Mapped[datetime]


class StockLossLine(Created, AuditReferenced, Base):
    """A LOST ledger entry written by a loss record."""

    __tablename__ = "stock_loss_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    loss_id: Mapped[int] = mapped_column(ForeignKey("stock_losses.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("stock_entries.id"), unique=True)


class StockDiscrepancyResolution(Created, AuditReferenced, Base):
    """The signed explanation that closes a discrepancy (the only thing that closes one).

    A shortfall written off as missing names the LOST entry it wrote.
    """

    __tablename__ = "stock_discrepancy_resolutions"
    __table_args__ = (
        CheckConstraint("length(trim(explanation)) > 0", name="explanation_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discrepancy_id: Mapped[int] = mapped_column(ForeignKey("stock_discrepancies.id"),
                                                unique=True)
    explanation: Mapped[str] = mapped_column(Text)
    resolved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    resolved_by_name: Mapped[str] = mapped_column(String(250))
    key_id: Mapped[int] = mapped_column(ForeignKey("user_keys.id"))
    signature: Mapped[str] = mapped_column(String(128))
    resolved_at_utc: Mapped[datetime]
    lost_entry_id: Mapped[int | None] = mapped_column(ForeignKey("stock_entries.id"),
                                                      unique=True)
    loss_id: Mapped[int | None] = mapped_column(ForeignKey("stock_losses.id"))


class StockInventory(Created, AuditReferenced, Base):
    """An inventory of one location (initial, biennial or other), signed by who took it."""

    __tablename__ = "stock_inventories"
    __table_args__ = (Index("ix_stock_inventories_location", "location_id", "taken_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("stock_locations.id"))
    kind: Mapped[InventoryKind] = mapped_column(StoredEnum(InventoryKind, "inventory kind"))
    #: The clinic date it was taken on.
    taken_on: Mapped[date]
    business_time: Mapped[BusinessTime] = mapped_column(StoredEnum(BusinessTime,
                                                                   "business time"))
    taken_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    taken_by_name: Mapped[str] = mapped_column(String(250))
    key_id: Mapped[int] = mapped_column(ForeignKey("user_keys.id"))
    signature: Mapped[str] = mapped_column(String(128))
    #: SHA-256 of the lines as canonical JSON: the signature covers the lines.
    lines_sha256: Mapped[str] = mapped_column(String(64))
    recorded_at_utc: Mapped[datetime]


class StockInventoryLine(Created, AuditReferenced, Base):
    """One container of an inventory: a sealed one counted (1 or 0), an opened one measured."""

    __tablename__ = "stock_inventory_lines"
    __table_args__ = (
        CheckConstraint("(sealed AND count_of_sealed IN (0, 1) AND measured_volume_ml IS NULL) "
                        "OR (NOT sealed AND count_of_sealed IS NULL "
                        "AND CAST(measured_volume_ml AS NUMERIC) >= 0)",
                        name="sealed_counted_opened_measured"),
        UniqueConstraint("inventory_id", "container_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("stock_inventories.id"))
    container_id: Mapped[int] = mapped_column(ForeignKey("stock_containers.id"))
    sealed: Mapped[bool] = mapped_column(Boolean)
    count_of_sealed: Mapped[int | None] = mapped_column(Integer)
    measured_volume_ml: Mapped[Decimal | None]
