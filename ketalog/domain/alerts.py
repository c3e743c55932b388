"""Alerts that follow through: what raises one from a score, and when one is still open.

A vital-sign alert (:func:`ketalog.domain.vitals.vital_alerts`) or a scale alert
(:func:`scale_alerts`: MOAA/S at or below, CADSS-6 above, the protocol's
thresholds) is accepted and flagged; the nurse writes what was done. It then
stays *open*, on the board, the waiting list and the lock page, until

- a physician acknowledges it, or
- a later reading of the same measure is back in range, or
- a later alert of the same kind stands for it (only the newest is shown and
  acknowledged; the older one is part of the same episode).

The rules are pure: the services hand in plain alerts, observations and
acknowledgments and get back each alert's state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from ketalog.domain.protocols import VitalThresholds
from ketalog.domain.scales import CADSS6_ITEM_NUMBERS


class ScaleAlertCode(StrEnum):
    """Why a score needs attention."""

    MOAAS_LOW = "moaas_low"
    CADSS_HIGH = "cadss_high"


class AlertSource(StrEnum):
    """Where an alert was raised: a vitals reading or a scale score."""

    VITALS = "vital_signs"
    SCALE = "scale_scores"


#: The measure each alert code is about; a later observation of that measure
#: without the code is "back in range".
ALERT_MEASURE: Final = {
    "predose_bp_high": "systolic_mmhg",
    "sbp_high": "systolic_mmhg",
    "dbp_high": "diastolic_mmhg",
    "hr_low": "heart_rate_bpm",
    "hr_high": "heart_rate_bpm",
    "spo2_low": "spo2_percent",
    "rr_low": "resp_rate_per_min",
    ScaleAlertCode.MOAAS_LOW.value: "moaas",
    ScaleAlertCode.CADSS_HIGH.value: "cadss",
}

#: Short words for an alert, as the board, the waiting list and the strip show it.
ALERT_WORDS: Final = {
    "predose_bp_high": "pre-dose BP high",
    "sbp_high": "systolic high",
    "dbp_high": "diastolic high",
    "hr_low": "heart rate low",
    "hr_high": "heart rate high",
    "spo2_low": "SpO2 low",
    "rr_low": "respiratory rate low",
    ScaleAlertCode.MOAAS_LOW.value: "sedation deep",
    ScaleAlertCode.CADSS_HIGH.value: "dissociation marked",
}

#: Scale codes (domain.scales) and the measure their scores observe.
SCALE_MEASURE: Final = {"moaas": "moaas", "cadss6": "cadss", "cadss23": "cadss"}


def alert_words(code: str) -> str:
    """Short words for an alert code ("systolic high"); the code itself when unknown."""
    return ALERT_WORDS.get(code, code.replace("_", " "))


@dataclass(frozen=True)
class ScaleAlert:
    """A score beyond a clinic threshold: accepted, flagged, followed up."""

    code: ScaleAlertCode
    message: str


def cadss6_total(scale: str, item_scores: Sequence[int]) -> int | None:
    """The CADSS-6 total of a CADSS score: the whole of a CADSS-6, the six items of a CADSS-23."""
    if scale == "cadss6":
        return sum(item_scores)
    if scale == "cadss23" and len(item_scores) >= max(CADSS6_ITEM_NUMBERS):
        return sum(item_scores[n - 1] for n in CADSS6_ITEM_NUMBERS)
    return None


def scale_alerts(
    scale: str, item_scores: Sequence[int], total: int, thresholds: VitalThresholds
) -> list[ScaleAlert]:
    """The alerts a score raises: MOAA/S at or below, CADSS-6 above the protocol's threshold.

    A CADSS-23 is judged on its six CADSS-6 items so one threshold serves both forms.
    """
    if scale == "moaas" and total <= thresholds.moaas_alert_at_or_below:
        return [ScaleAlert(
            ScaleAlertCode.MOAAS_LOW,
            f"MOAA/S {total} is at or below the alert threshold of "
            f"{thresholds.moaas_alert_at_or_below}; check airway and breathing, record the "
            "action taken.")]
    cadss = cadss6_total(scale, item_scores)
    if cadss is not None and cadss > thresholds.cadss6_alert_above:
        return [ScaleAlert(
            ScaleAlertCode.CADSS_HIGH,
            f"CADSS-6 {cadss} of 24 is above the alert threshold of "
            f"{thresholds.cadss6_alert_above}; reassure, consider pausing, record the action "
            "taken.")]
    return []


@dataclass(frozen=True)
class RaisedAlert:
    """One alert as stored: which row raised it, what and when, and the nurse's action note."""

    source: AlertSource
    source_id: int
    code: str
    raised_at_utc: datetime
    message: str
    action_note: str | None = None

    @property
    def key(self) -> tuple[str, int, str]:
        """What an acknowledgment names: (source, row id, code)."""
        return (self.source.value, self.source_id, self.code)

    @property
    def words(self) -> str:
        """Short words for the alert ("systolic high")."""
        return alert_words(self.code)


@dataclass(frozen=True)
class Observation:
    """A later reading or score: when, which measures it took, which alerts it raised."""

    at_utc: datetime
    measures: frozenset[str]
    codes: frozenset[str]


@dataclass(frozen=True)
class Acknowledgment:
    """A physician's acknowledgment of one alert."""

    source: AlertSource
    source_id: int
    code: str
    at_utc: datetime
    by_name: str
    comment: str | None = None

    @property
    def key(self) -> tuple[str, int, str]:
        """The alert it acknowledges."""
        return (self.source.value, self.source_id, self.code)


class AlertStatus(StrEnum):
    """Where an alert stands."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    BACK_IN_RANGE = "back_in_range"
    SUPERSEDED = "superseded"  #: a later alert of the same kind stands for it


@dataclass(frozen=True)
class AlertState:
    """An alert and where it stands now."""

    alert: RaisedAlert
    status: AlertStatus
    acknowledgment: Acknowledgment | None = None
    closed_at_utc: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Still waiting for a physician or a reading back in range."""
        return self.status is AlertStatus.OPEN


def alert_states(
    alerts: Iterable[RaisedAlert],
    observations: Iterable[Observation],
    acknowledgments: Iterable[Acknowledgment] = (),
) -> list[AlertState]:
    """Judge every alert, oldest first.

    An acknowledgment closes its own alert; a later observation of the same
    measure that does not carry the code closes it as back in range; a later
    alert with the same code supersedes it (the newest is the one to follow).
    """
    ordered = sorted(alerts, key=lambda a: (a.raised_at_utc, a.source_id, a.code))
    seen = list(observations)
    acks = {ack.key: ack for ack in acknowledgments}
    states: list[AlertState] = []
    for index, alert in enumerate(ordered):
        ack = acks.get(alert.key)
        if ack is not None:
            states.append(AlertState(alert, AlertStatus.ACKNOWLEDGED, ack, ack.at_utc))
            continue
        measure = ALERT_MEASURE.get(alert.code)
        back = sorted(
            o.at_utc for o in seen
            if o.at_utc > alert.raised_at_utc and measure in o.measures
            and alert.code not in o.codes
        )
        later = [a for a in ordered[index + 1:]
                 if a.code == alert.code and a.raised_at_utc >= alert.raised_at_utc]
        if back and (not later or back[0] <= later[0].raised_at_utc):
            states.append(AlertState(alert, AlertStatus.BACK_IN_RANGE, closed_at_utc=back[0]))
        elif later:
            states.append(AlertState(alert, AlertStatus.SUPERSEDED,
                                     closed_at_utc=later[0].raised_at_utc))
        else:
            states.append(AlertState(alert, AlertStatus.OPEN))
    return states


def open_alerts(states: Iterable[AlertState]) -> tuple[RaisedAlert, ...]:
    """The alerts still open, oldest first."""
    return tuple(s.alert for s in states if s.is_open)
