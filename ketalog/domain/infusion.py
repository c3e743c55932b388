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


def delivered_as_of(
    events: Sequence[PumpEvent],
    *,
    total_mg: Decimal,
    bag_volume_ml: Decimal | None,
    planned_rate_ml_per_h: Decimal | None,
    as_of: datetime,
) -> InfusionProgress | None:
    """The drug the pump log had delivered by ``as_of`` (a printing moment); None if never started.

    Only events that had happened by then count, and a running infusion is
    integrated up to that moment, never to a planned or scheduled end. Every
    document that states what was given (the chart copy, the visit report, the
    day log) asks this one function, so they cannot disagree.
    """
    happened = [e for e in events if e.at <= as_of]
    if not any(e.kind == "start" for e in happened):
        return None
    return infusion_progress(happened, total_mg=total_mg, bag_volume_ml=bag_volume_ml,
                             planned_rate_ml_per_h=planned_rate_ml_per_h, now=as_of)


@dataclass(frozen=True)
class Interval:
    """A stretch of time; ``end`` is None while it is still open."""

    start: datetime
    end: datetime | None

    def until(self, as_of: datetime) -> Interval | None:
        """The part of the stretch that had happened by ``as_of`` (None: none of it)."""
        if self.start >= as_of:
            return None
        end = as_of if self.end is None or self.end > as_of else self.end
        return Interval(self.start, end)


@dataclass(frozen=True)
class InfusionIntervals:
    """When the pump ran and when it was paused, from the pump events."""

    running: tuple[Interval, ...]
    paused: tuple[Interval, ...]

    def until(self, as_of: datetime) -> InfusionIntervals:
        """The stretches as they stood at ``as_of``: open ones end there, later ones go."""
        def cut(spans: tuple[Interval, ...]) -> tuple[Interval, ...]:
            return tuple(s for s in (span.until(as_of) for span in spans) if s is not None)

        return InfusionIntervals(cut(self.running), cut(self.paused))

    def phase_at(self, at: datetime, started: datetime | None) -> str:
        """Where a reading falls: "pre-dose", "infusing", "paused" or "recovery"."""
        if started is None or at < started:
            return "pre-dose"
        for span in self.running:
            if span.start <= at and (span.end is None or at <= span.end):
                return "infusing"
        for span in self.paused:
            if span.start <= at and (span.end is None or at < span.end):
                return "paused"
        return "recovery"


def infusion_intervals(events: Sequence[PumpEvent]) -> InfusionIntervals:
    """Running and paused stretches from start/pause/resume/stop events (rate changes kept)."""
    running: list[Interval] = []
    paused: list[Interval] = []
    run_from: datetime | None = None
    pause_from: datetime | None = None
    for event in sorted(events, key=lambda e: e.at):
        after = RUNNING_AFTER.get(event.kind)
        if after is None:
            continue
        if after and run_from is None:
            if pause_from is not None:
                paused.append(Interval(pause_from, event.at))
                pause_from = None
            run_from = event.at
        elif not after:
            if run_from is not None:
                running.append(Interval(run_from, event.at))
                run_from = None
                if event.kind == "pause":
                    pause_from = event.at
            elif pause_from is not None and event.kind != "pause":
                paused.append(Interval(pause_from, event.at))  # stopped while paused
                pause_from = None
    if run_from is not None:
        running.append(Interval(run_from, None))
    if pause_from is not None:
        paused.append(Interval(pause_from, None))
    return InfusionIntervals(tuple(running), tuple(paused))


def running_minutes(events: Sequence[PumpEvent], now: datetime) -> Decimal:
    """Minutes the pump actually ran up to ``now``: pauses do not count, the clock does not.

    The board's "Dose time" and the session's running time are both this figure,
    so a paused infusion's timer stands still everywhere.
    """
    seconds = sum(((span.end or now) - span.start).total_seconds()
                  for span in infusion_intervals(events).until(now).running)
    return Decimal(seconds) / 60


def pause_count(events: Sequence[PumpEvent]) -> int:
    """How many times the infusion was paused: one per pause event, nothing inferred."""
    return sum(1 for e in events if e.kind == "pause")
