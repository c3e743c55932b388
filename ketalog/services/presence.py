"""Who else has this session open: a soft "being edited by" indicator.

Soft because it never blocks anyone: two nurses may work on one session
(their readings are independent appends, and edits of one field are guarded
by version counters). It only tells each of them the other is there, so they
talk before both writing the escort's name.

Each workstation's session page sends a heartbeat (:func:`announce_presence`)
while it is shown; a heartbeat older than :data:`PRESENCE_FRESH` means that
workstation went away without saying so (crash, network cut) and is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ketalog.domain.values import printed_name
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.store.models import SessionPresence, User

#: How often an open session page says it is still there.
HEARTBEAT = timedelta(seconds=15)
#: A presence older than this is a workstation that went away.
PRESENCE_FRESH = timedelta(seconds=60)


@dataclass(frozen=True)
class Presence:
    """Someone else with the session open."""

    display_name: str
    workstation: str
    since_utc: datetime


def announce_presence(db: Session, actor: Actor, session_id: int, *,
                      clock: Clock = system_clock) -> None:
    """Say that ``actor`` has the session open on their workstation (one row per both).

    Opening another session moves the row; nobody signed in announces nothing.
    """
    if actor.user_id is None:
        return
    user = db.get(User, actor.user_id)
    if user is None:
        return
    name = printed_name(user.full_name, user.credentials)  # the account's, not the claim's
    now = clock()
    row = db.scalar(select(SessionPresence).where(
        SessionPresence.user_id == actor.user_id,
        SessionPresence.workstation == actor.workstation))
    if row is None:
        db.add(SessionPresence(session_id=session_id, user_id=actor.user_id,
                               display_name=name,
                               workstation=actor.workstation, opened_at_utc=now,
                               seen_at_utc=now))
    else:
        if row.session_id != session_id:
            row.session_id = session_id
            row.opened_at_utc = now
        row.display_name = name
        row.seen_at_utc = now
    db.commit()


def leave_session(db: Session, actor: Actor) -> None:
    """The actor closed their session page (back to the board, locked, signed out)."""
    if actor.user_id is None:
        return
    db.execute(delete(SessionPresence).where(
        SessionPresence.user_id == actor.user_id,
        SessionPresence.workstation == actor.workstation))
    db.commit()


def others_present(db: Session, actor: Actor, session_id: int,
                   now: datetime) -> tuple[Presence, ...]:
    """Everyone else with the session open now, longest there first.

    The same user on another workstation counts (they may have left a form
    half typed there); the actor's own workstation does not.
    """
    rows = db.scalars(select(SessionPresence).where(
        SessionPresence.session_id == session_id,
        SessionPresence.seen_at_utc >= now - PRESENCE_FRESH,
    ).order_by(SessionPresence.opened_at_utc)).all()
    return tuple(Presence(r.display_name, r.workstation, r.opened_at_utc) for r in rows
                 if not (r.user_id == actor.user_id and r.workstation == actor.workstation))
