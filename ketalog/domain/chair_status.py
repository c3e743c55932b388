"""What each chair needs now, in a few words and without patient identity: the lock page's lines.

While a workstation is locked the nurse may be at another chair or away; the
lock page must still say which chair needs someone, and nothing about who sits
in it. The facts in here carry a chair, a state and times, never a name, MRN
or birth date, so nothing built from them can show one.

What is worth waking a nurse for (:attr:`Urgency.NOW`, the page flashes or
sounds): vitals overdue, an alert nobody has acknowledged, an infusion past its
planned end with no stop recorded. Shown but quiet (:attr:`Urgency.SOON`):
vitals or the end of an infusion due within :data:`SOON_WINDOW`, a paused
infusion (a decision is pending). Otherwise one routine line per occupied
chair says when the next reading is due, so an empty list cannot be mistaken
for a working one. A patient ready for discharge is not listed: nothing is
unsafe about waiting, and recovery vitals still come due on their own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import IntEnum
from zoneinfo import ZoneInfo

from ketalog.domain.clinic_time import clock_text
from ketalog.domain.infusion import RUNNING_AFTER, PumpEvent
from ketalog.domain.session_state import STATE_LABELS, SessionState

#: A reading or an infusion end this close counts as "soon".
SOON_WINDOW = timedelta(minutes=5)


class Urgency(IntEnum):
    """How much a need calls for someone; lower is more urgent (sorts first)."""

    NOW = 0  #: someone must go to the chair: the lock page draws attention
    SOON = 1  #: coming up within minutes, or a decision is pending
    ROUTINE = 2  #: nothing due yet: when the next reading is


@dataclass(frozen=True)
class ChairFacts:
    """One monitored session as the lock page may know it: a chair, never a patient.

    Attributes:
        chair: the chair's name ("Chair 2").
        state: the session state.
        next_vitals_due_at_utc: when the next reading is due (None: none is).
        unacknowledged_alerts: alerts no physician has acknowledged yet.
        infusion_ends_at_utc: for a running infusion, when the bag's planned
            volume is (or was) given at the pump log's rates.
        paused_since_utc: for a paused infusion, when it was paused.
    """

    chair: str
    state: SessionState
    next_vitals_due_at_utc: datetime | None = None
    unacknowledged_alerts: int = 0
    infusion_ends_at_utc: datetime | None = None
    paused_since_utc: datetime | None = None


@dataclass(frozen=True)
class ChairNeed:
    """One thing a chair needs, e.g. "vitals overdue since 16:45"."""

    urgency: Urgency
    text: str
    #: when it began or falls due: among equally urgent needs the older comes first
    at_utc: datetime | None = None


@dataclass(frozen=True)
class ChairLine:
    """A chair and what it needs, most urgent first: "Chair 2: vitals overdue since 16:45"."""

    chair: str
    needs: tuple[ChairNeed, ...]

    @property
    def urgency(self) -> Urgency:
        """The most urgent of the chair's needs."""
        return min((need.urgency for need in self.needs), default=Urgency.ROUTINE)

    @property
    def text(self) -> str:
        """The line as shown."""
        return f"{self.chair}: " + "; ".join(need.text for need in self.needs)


def infusion_end_at(
    events: Sequence[PumpEvent], *, bag_volume_ml: Decimal | None,
    planned_rate_ml_per_h: Decimal | None,
) -> datetime | None:
    """When the bag's volume is given, from the pump log (past or projected).

    The running spans are integrated at each span's rate; the instant the
    volume reaches the bag is returned, even if that is still ahead (running
    at the last rate). None for an infusion paused or stopped before its bag
    was given, a dose without a bag (IM, nasal) or an unknown rate.
    """
    if bag_volume_ml is None or bag_volume_ml <= 0:
        return None
    rate = planned_rate_ml_per_h
    running = False
    since: datetime | None = None
    given = Decimal(0)
    for event in sorted(events, key=lambda e: e.at):
        if running and since is not None and rate is not None and rate > 0:
            span_h = Decimal((event.at - since).total_seconds()) / 3600
            if given + rate * span_h >= bag_volume_ml:
                return since + timedelta(hours=float((bag_volume_ml - given) / rate))
            given += rate * span_h
        if event.rate_ml_per_h is not None:
            rate = event.rate_ml_per_h
        after = RUNNING_AFTER.get(event.kind)
        if after is not None:
            running = after
        since = event.at
    if not running or since is None or rate is None or rate <= 0:
        return None
    return since + timedelta(hours=float((bag_volume_ml - given) / rate))


def alert_need(count: int) -> ChairNeed | None:
    """The "alert not acknowledged" need for ``count`` open alerts (None for none)."""
    if count <= 0:
        return None
    text = ("alert not acknowledged" if count == 1
            else f"{count} alerts not acknowledged")
    return ChairNeed(Urgency.NOW, text)


def chair_needs(facts: ChairFacts, now: datetime, tz: ZoneInfo) -> list[ChairNeed]:
    """What one session needs at ``now``, most urgent first (a routine line if nothing)."""
    needs: list[ChairNeed] = []
    due = facts.next_vitals_due_at_utc
    if due is not None and due < now:
        needs.append(ChairNeed(Urgency.NOW, f"vitals overdue since {clock_text(due, tz)}", due))
    alert = alert_need(facts.unacknowledged_alerts)
    if alert is not None:
        needs.append(alert)
    ends = facts.infusion_ends_at_utc
    if facts.state == SessionState.INFUSING and ends is not None:
        if ends <= now:
            needs.append(ChairNeed(Urgency.NOW, f"infusion reached its planned end at "
                                   f"{clock_text(ends, tz)}; stop not recorded", ends))
        elif ends - now <= SOON_WINDOW:
            needs.append(ChairNeed(Urgency.SOON, f"infusion ends at {clock_text(ends, tz)}",
                                   ends))
    if facts.state == SessionState.PAUSED:
        since = facts.paused_since_utc
        needs.append(ChairNeed(Urgency.SOON, "infusion paused" + (
            f" since {clock_text(since, tz)}" if since is not None else ""), since))
    if due is not None and now <= due <= now + SOON_WINDOW:
        needs.append(ChairNeed(Urgency.SOON, f"vitals due at {clock_text(due, tz)}", due))
    if not needs:
        state = STATE_LABELS.get(facts.state, facts.state).lower()
        needs.append(ChairNeed(Urgency.ROUTINE, state if due is None else
                               f"{state}, next vitals {clock_text(due, tz)}", due))
    return sorted(needs, key=_need_order)


def chair_lines(facts: Iterable[ChairFacts], now: datetime, tz: ZoneInfo) -> tuple[ChairLine, ...]:
    """One line per occupied chair, the chair needing someone most urgently first.

    A chair with several monitored sessions (one recovering, the next checked
    in) gets one line with all their needs; only its routine lines are
    dropped when something more pressing is listed.
    """
    by_chair: dict[str, list[ChairNeed]] = {}
    for fact in facts:
        by_chair.setdefault(fact.chair, []).extend(chair_needs(fact, now, tz))
    lines = []
    for chair, needs in by_chair.items():
        pressing = [n for n in needs if n.urgency is not Urgency.ROUTINE]
        kept = sorted(pressing or needs, key=_need_order)
        unique = tuple(dict.fromkeys(kept))
        lines.append(ChairLine(chair, unique))
    return tuple(sorted(lines, key=_line_order))


def _need_order(need: ChairNeed) -> tuple[int, float]:
    return (need.urgency, need.at_utc.timestamp() if need.at_utc is not None else math.inf)


def _line_order(line: ChairLine) -> tuple[int, float, list[int | str]]:
    urgency, at = _need_order(line.needs[0])
    return (urgency, at, natural_key(line.chair))


def natural_key(name: str) -> list[int | str]:
    """Sort "Chair 2" before "Chair 10"."""
    return [int(part) if part.isascii() and part.isdigit() else part.lower()
            for part in re.split(r"([0-9]+)", name)]
