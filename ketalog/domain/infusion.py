"""Infusion progress from its events: running time, mg actually delivered, time left.

The pump log is the truth: the drug delivered is the integral of the rate over
the minutes the infusion was running, so pauses and rate changes are counted
exactly, not estimated from the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from ketalog.domain.values import format_decimal

#: Event kinds as stored: start, pause, resume, rate_change, stop, stop_early.
RUNNING_AFTER = {"start": True, "resume": True, "rate_change": None, "pause": False,
                 "stop": False, "stop_early": False}


def duration_text(minutes: Decimal) -> str:
    """A duration to the nearest second: "07:05", or "3:28:54" past an hour."""
    seconds = int(max(Decimal(0), minutes * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    hours, rest = divmod(seconds, 3600)
    text = f"{rest // 60:02d}:{rest % 60:02d}"
    return f"{hours}:{text}" if hours else text


@dataclass(frozen=True)
class PumpEvent:
    """One infusion event as the progress calculation needs it."""

    kind: str
    at: datetime
    rate_ml_per_h: Decimal | None = None


@dataclass(frozen=True)
class InfusionProgress:
    """Where the infusion stands at ``now``."""

    running: bool
    running_min: Decimal
    delivered_ml: Decimal
    delivered_mg: Decimal
    remaining_min: Decimal | None
    current_rate_ml_per_h: Decimal | None

    @property
    def delivered_mg_display(self) -> str:
        """Delivered dose to 0.1 mg."""
        return f"{format_decimal(self.delivered_mg, 1)} mg"

    @property
    def elapsed_display(self) -> str:
        """Running time, e.g. "31:06"."""
        return duration_text(self.running_min)

    @property
    def remaining_display(self) -> str | None:
        """Time left at the current rate, or None when unknown."""
        return None if self.remaining_min is None else duration_text(self.remaining_min)


def infusion_progress(
    events: Sequence[PumpEvent],
    *,
    total_mg: Decimal,
    bag_volume_ml: Decimal | None,
    planned_rate_ml_per_h: Decimal | None,
    now: datetime,
) -> InfusionProgress:
    """Integrate rate over running time; the bag's concentration turns mL into mg.

    Without a bag (IM, nasal devices) the dose is given at the start and
    counts as delivered then.
    """
    ordered = sorted(events, key=lambda e: e.at)
    if bag_volume_ml is None or bag_volume_ml <= 0:
        given = any(e.kind == "start" for e in ordered)
        return InfusionProgress(False, Decimal(0), Decimal(0),
                                total_mg if given else Decimal(0), None, None)
    mg_per_ml = total_mg / bag_volume_ml
    rate = planned_rate_ml_per_h
    running = False
    since: datetime | None = None
    minutes = Decimal(0)
    volume = Decimal(0)

    def close(until: datetime) -> None:
        nonlocal minutes, volume
        if running and since is not None and rate is not None and until > since:
            span = Decimal((until - since).total_seconds()) / 60
            minutes += span
            volume += rate * span / 60

    for event in ordered:
        close(event.at)
        if event.rate_ml_per_h is not None:
            rate = event.rate_ml_per_h
        after = RUNNING_AFTER.get(event.kind)
        if after is not None:
            running = after
        since = event.at
    close(now)
    since = now
    volume = min(volume, bag_volume_ml)
    remaining = None
    if rate is not None and rate > 0 and any(e.kind == "start" for e in ordered):
        remaining = (bag_volume_ml - volume) / rate * 60
        if not running and ordered and ordered[-1].kind in ("stop", "stop_early"):
            remaining = Decimal(0)
    return InfusionProgress(running, minutes, volume, volume * mg_per_ml, remaining, rate)
