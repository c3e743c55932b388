"""The lock page's read model: what each chair needs now, with no patient identity in it.

Built on the day board (so "overdue" means exactly what the board says) plus
the pump log of running infusions; what leaves this module is chairs, states
and times only (:class:`ketalog.domain.chair_status.ChairFacts` has no field
for a name, an MRN or a birth date). It reads and writes nothing else and
needs no signed-in user: it is what a locked screen may show to anyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.chair_status import (
    ChairFacts,
    ChairLine,
    Urgency,
    chair_lines,
    infusion_end_at,
)
from ketalog.domain.infusion import PumpEvent
from ketalog.domain.session_state import SessionState
from ketalog.domain.vitals import VitalsPhase
from ketalog.services.board import BoardRow, day_board, vitals_phase
from ketalog.store.models import DoseOrder, InfusionEvent, TreatmentSession

_RUNNING_STATES = (SessionState.INFUSING, SessionState.PAUSED)


@dataclass(frozen=True)
class ChairStatus:
    """Every occupied chair's line, most urgent first, as read at ``read_at_utc``."""

    lines: tuple[ChairLine, ...]
    read_at_utc: datetime

    @property
    def needs_someone(self) -> bool:
        """Whether any chair needs someone now (the lock page flashes or sounds)."""
        return any(line.urgency is Urgency.NOW for line in self.lines)

    @property
    def urgent_texts(self) -> frozenset[str]:
        """The lines that need someone now (a new one is announced again)."""
        return frozenset(line.text for line in self.lines if line.urgency is Urgency.NOW)


def unacknowledged_alerts(row: BoardRow) -> int:
    """How many of the session's alerts still wait for a physician's acknowledgment.

    Open alerts (:mod:`ketalog.services.alerts`): neither acknowledged nor back
    in range. Only the count leaves here: the lock page shows no alert's values.
    """
    return len(row.open_alerts)


def chair_facts(rows: Iterable[BoardRow], *, infusion_ends: dict[int, datetime | None],
                paused_since: dict[int, datetime | None]) -> list[ChairFacts]:
    """The identity-free facts of every monitored session among ``rows``."""
    return [
        ChairFacts(
            chair=row.chair, state=row.state,
            next_vitals_due_at_utc=row.next_vitals_due_at_utc,
            unacknowledged_alerts=unacknowledged_alerts(row),
            infusion_ends_at_utc=infusion_ends.get(row.session_id),
            paused_since_utc=paused_since.get(row.session_id),
        )
        for row in rows
        if vitals_phase(row.state) is not VitalsPhase.NOT_MONITORED
    ]


def chair_status(db: Session, *, tz: ZoneInfo, now: datetime) -> ChairStatus:
    """What each chair of today's board needs at ``now`` (clinic time zone ``tz``)."""
    rows = day_board(db, now.astimezone(tz).date(), tz, now=now)
    running = [r.session_id for r in rows if r.state in _RUNNING_STATES]
    ends: dict[int, datetime | None] = {}
    paused: dict[int, datetime | None] = {}
    if running:
        events: dict[int, list[PumpEvent]] = defaultdict(list)
        for session_id, kind, at, rate in db.execute(
            select(InfusionEvent.session_id, InfusionEvent.kind, InfusionEvent.occurred_at_utc,
                   InfusionEvent.rate_ml_per_h)
            .where(InfusionEvent.session_id.in_(running))
            .order_by(InfusionEvent.occurred_at_utc, InfusionEvent.id)
        ):
            events[session_id].append(PumpEvent(kind, at, rate))
        bags: dict[int, tuple[Decimal | None, Decimal | None]] = {}
        for session_id, bag, rate in db.execute(
            select(DoseOrder.session_id, DoseOrder.bag_volume_ml, DoseOrder.rate_ml_per_h)
            .where(DoseOrder.session_id.in_(running), DoseOrder.superseded_at_utc.is_(None))
            .order_by(DoseOrder.id)
        ):
            bags[session_id] = (bag, rate)  # the newest current order wins
        for session_id in running:
            bag, rate = bags.get(session_id, (None, None))
            ends[session_id] = infusion_end_at(events[session_id], bag_volume_ml=bag,
                                               planned_rate_ml_per_h=rate)
            pauses = [e.at for e in events[session_id] if e.kind == "pause"]
            paused[session_id] = pauses[-1] if pauses else None
    facts = chair_facts(rows, infusion_ends=ends, paused_since=paused)
    return ChairStatus(chair_lines(facts, now, tz), now)


def running_infusion_chairs(db: Session) -> list[str]:
    """The chairs with an infusion running or paused now, any day (no patient identity).

    Asked before the app quits: the workstation that closes stops showing those
    chairs' readings due and alerts.
    """
    chairs = db.scalars(select(TreatmentSession.chair)
                        .where(TreatmentSession.state.in_(_RUNNING_STATES))
                        .order_by(TreatmentSession.chair)).all()
    return list(chairs)
