"""What every session action reads first: the session row, its protocol, its dose, the time.

Shared by :mod:`.state`, :mod:`.dose` and :mod:`.entries` (and by signing and
interventions), so each judges the row as stored now and refuses the same
impossible times in the same words.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.domain.protocols import Protocol
from ketalog.services.context import Actor
from ketalog.services.errors import NotFound
from ketalog.services.protocols import protocol_by_id, protocol_from_record
from ketalog.store.models import DoseOrder, DoseVerification, ProtocolRecord, TreatmentSession

#: A reading timed further ahead than this is a typing error, not a clock skew.
FUTURE_TOLERANCE = timedelta(minutes=5)


def load_session(db: Session, session_id: int, *, lock: bool = False) -> TreatmentSession:
    """The session row as stored now; ``lock`` for actions that update the row.

    populate_existing: judge the move on the row as stored now, not as this
    ORM session first saw it (another workstation may have changed it).
    lock: wait here for another workstation's change of the row to commit,
    then judge the row it left, so the second of two simultaneous moves is
    refused in words ("already paused", "changed by NAME") instead of failing
    at the UPDATE with a StaleDataError. FOR NO KEY UPDATE, as the UPDATE
    itself takes: readings inserted meanwhile (their foreign key takes KEY
    SHARE) are not held up.
    """
    found = db.get(TreatmentSession, session_id, populate_existing=True,
                   with_for_update={"key_share": True} if lock else None)
    if found is None:
        raise NotFound(f"No session with id {session_id}.")
    return found


def session_protocol(db: Session, session: TreatmentSession) -> Protocol:
    """The protocol (as stored for this session's version) a loaded session runs under."""
    return protocol_by_id(db, session.protocol_id)


def protocol_for_session(db: Session, session_id: int) -> Protocol:
    """The parsed protocol a session runs under."""
    record = db.scalar(
        select(ProtocolRecord).join(
            TreatmentSession, TreatmentSession.protocol_id == ProtocolRecord.id
        ).where(TreatmentSession.id == session_id)
    )
    if record is None:
        raise NotFound(f"No session with id {session_id}.")
    return protocol_from_record(record)


def entry_time(at: datetime | None, now: datetime, label: str = "time") -> datetime:
    """Default to now; refuse naive or far-future times with a message."""
    if at is None:
        return now
    if at.tzinfo is None:
        raise ValidationError.single(label, "The time has no time zone; this is a program error.")
    if at > now + FUTURE_TOLERANCE:
        raise ValidationError.single(
            label, f"The {label} is in the future; correct it to the time it happened."
        )
    return at


def current_dose_order(db: Session, session_id: int) -> DoseOrder | None:
    """The session's dose order in force (the latest not superseded), as stored now."""
    return db.scalar(
        select(DoseOrder)
        .where(DoseOrder.session_id == session_id, DoseOrder.superseded_at_utc.is_(None))
        .order_by(DoseOrder.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


def dose_verified(db: Session, dose_order_id: int) -> bool:
    """Whether a second nurse has verified this dose order.

    Asked of the database: a relationship loaded earlier in this ORM session
    would still say "not verified" after the verification was added.
    """
    return db.scalar(
        select(DoseVerification.id).where(DoseVerification.dose_order_id == dose_order_id)
    ) is not None


def signed_in_note(actor: Actor, person: Actor) -> str | None:
    """Who was signed in at the chair when another person acted there (audit ``old``)."""
    if actor.user_id == person.user_id:
        return None
    return f"signed in: {actor.username}"
