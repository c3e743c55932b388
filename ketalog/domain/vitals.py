"""Vital signs: what a possible reading is, when one is alarming, and when the next is due.

Impossible values (typing slips such as SpO2 101 or a diastolic above the
systolic) are refused with a message; possible but alarming values are
accepted and flagged so the nurse records what was done about them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Final

from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.protocols import (
    VitalsSchedule,
    VitalThresholds,
)
from ketalog.domain.values import describe_value, format_decimal, key_name, number_problem
from ketalog.domain.vital_limits import HARD_LIMITS as HARD_LIMITS
from ketalog.domain.vital_limits import VitalRange as VitalRange


@dataclass(frozen=True)
class VitalReading:
    """One set of vital signs; ``None`` means that sign was not measured this time."""

    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    heart_rate_bpm: int | None
    spo2_percent: int | None
    resp_rate_per_min: int | None
    temperature_c: Decimal | None
    etco2_mmhg: int | None
    pain_score: int | None

    @property
    def blood_pressure(self) -> str | None:
        """Blood pressure as nurses write it ("120/80"), or None when not measured."""
        if self.systolic_mmhg is None and self.diastolic_mmhg is None:
            return None
        return f"{_or_dash(self.systolic_mmhg)}/{_or_dash(self.diastolic_mmhg)}"

    def to_dict(self) -> dict[str, int | Decimal | None]:
        """Field name to value, for storage and for ``validate_vitals`` round trips."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)


_TENTH: Final = Decimal("0.1")


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _fahrenheit_hint(value: Decimal) -> str:
    """Point out a temperature typed in °F, the commonest slip on that field."""
    if Decimal(86) <= value <= Decimal("109.4"):
        celsius = (value - 32) * 5 / 9
        return f" ({value:f} looks like °F, which is {format_decimal(celsius, 1)} °C)"
    return ""


def validate_vitals(values: Mapping[str, object]) -> VitalReading:  # noqa: C901 - a check a sign
    """Turn what the nurse typed into a reading, or refuse it with every problem at once.

    Keys are :class:`VitalReading` field names; a missing key, ``None`` or a
    blank string means "not measured". At least one sign must be measured,
    systolic and diastolic go together, and the diastolic must be lower.
    """
    if not isinstance(values, Mapping):
        raise ValidationError.single("reading", "No measurement entered; enter at least one.")
    problems: list[Problem] = []
    for key in values:
        if key not in HARD_LIMITS:
            problems.append(
                Problem(key_name(key),
                        f"{describe_value(key)} is not a vital sign this form records.")
            )
    parsed: dict[str, int | Decimal | None] = {}
    in_range: dict[str, int | Decimal] = {}
    entered = 0
    for name, limit in HARD_LIMITS.items():
        raw = values.get(name)
        parsed[name] = None
        if _is_blank(raw):
            continue
        entered += 1
        number, problem = number_problem(raw, limit.label, name, whole=limit.whole)
        if problem is not None:
            problems.append(problem)
            continue
        assert number is not None
        if not limit.low <= number <= limit.high:
            hint = _fahrenheit_hint(Decimal(number)) if name == "temperature_c" else ""
            problems.append(
                Problem(
                    name,
                    f"{limit.label} {limit.show(number)} is impossible; "
                    f"enter {limit.span()}{hint}.",
                )
            )
            continue
        value: int | Decimal
        if limit.whole:
            value = int(number)
        elif number != number.quantize(_TENTH):
            problems.append(
                Problem(
                    name,
                    f"{limit.label} {limit.show(number)} has too many decimals; "
                    "enter one decimal at most, e.g. 36.6.",
                )
            )
            continue
        else:
            value = number.quantize(_TENTH)
        parsed[name] = value
        in_range[name] = value
    if entered == 0 and not problems:
        problems.append(
            Problem("reading", "No measurement entered; enter at least one vital sign.")
        )
    sbp_raw, dbp_raw = values.get("systolic_mmhg"), values.get("diastolic_mmhg")
    if not _is_blank(sbp_raw) and _is_blank(dbp_raw):
        problems.append(
            Problem(
                "diastolic_mmhg",
                "Diastolic is missing; blood pressure needs both numbers, e.g. 120/80.",
            )
        )
    if _is_blank(sbp_raw) and not _is_blank(dbp_raw):
        problems.append(
            Problem(
                "systolic_mmhg",
                "Systolic is missing; blood pressure needs both numbers, e.g. 120/80.",
            )
        )
    sbp, dbp = in_range.get("systolic_mmhg"), in_range.get("diastolic_mmhg")
    if sbp is not None and dbp is not None and dbp >= sbp:
        problems.append(
            Problem("diastolic_mmhg", f"Diastolic {dbp} must be lower than systolic {sbp}.")
        )
    if problems:
        raise ValidationError(problems)

    def whole(name: str) -> int | None:
        value = parsed[name]
        return None if value is None else int(value)

    temperature = parsed["temperature_c"]
    return VitalReading(
        systolic_mmhg=whole("systolic_mmhg"),
        diastolic_mmhg=whole("diastolic_mmhg"),
        heart_rate_bpm=whole("heart_rate_bpm"),
        spo2_percent=whole("spo2_percent"),
        resp_rate_per_min=whole("resp_rate_per_min"),
        temperature_c=None if temperature is None else Decimal(temperature),
        etco2_mmhg=whole("etco2_mmhg"),
        pain_score=whole("pain_score"),
    )


class AlertCode(StrEnum):
    """Why a possible reading still needs attention."""

    PREDOSE_BP_HIGH = "predose_bp_high"
    SBP_HIGH = "sbp_high"
    DBP_HIGH = "dbp_high"
    HR_LOW = "hr_low"
    HR_HIGH = "hr_high"
    SPO2_LOW = "spo2_low"
    RR_LOW = "rr_low"


@dataclass(frozen=True)
class VitalAlert:
    """A reading beyond a clinic threshold: accepted, but someone must act and say so."""

    code: AlertCode
    field: str  #: the VitalReading field to highlight
    message: str

    @property
    def needs_physician_acknowledgment(self) -> bool:
        """Pre-dose high blood pressure blocks the start until a physician acknowledges it."""
        return self.code is AlertCode.PREDOSE_BP_HIGH


def vital_alerts(
    reading: VitalReading, thresholds: VitalThresholds, *, pre_dose: bool
) -> list[VitalAlert]:
    """List the alerts a reading raises, in field order.

    Thresholds are exclusive (SBP 180 with a threshold of 180 is no alert).
    With ``pre_dose`` a blood pressure above the pre-dose limits also raises
    PREDOSE_BP_HIGH; the in-session alerts apply in every phase.
    """
    alerts: list[VitalAlert] = []
    sbp, dbp = reading.systolic_mmhg, reading.diastolic_mmhg
    if pre_dose:
        sbp_high = sbp is not None and sbp > thresholds.predose_sbp_max
        dbp_high = dbp is not None and dbp > thresholds.predose_dbp_max
        if sbp_high or dbp_high:
            alerts.append(
                VitalAlert(
                    AlertCode.PREDOSE_BP_HIGH,
                    "systolic_mmhg" if sbp_high else "diastolic_mmhg",
                    f"Pre-dose blood pressure {reading.blood_pressure} is above "
                    f"{thresholds.predose_sbp_max}/{thresholds.predose_dbp_max}; a physician "
                    "must acknowledge it before the dose starts.",
                )
            )
    act = "record the action taken."
    checks: tuple[tuple[AlertCode, str, int | None, int, bool], ...] = (
        (AlertCode.SBP_HIGH, "systolic_mmhg", sbp, thresholds.sbp_max, True),
        (AlertCode.DBP_HIGH, "diastolic_mmhg", dbp, thresholds.dbp_max, True),
        (AlertCode.HR_LOW, "heart_rate_bpm", reading.heart_rate_bpm, thresholds.hr_min, False),
        (AlertCode.HR_HIGH, "heart_rate_bpm", reading.heart_rate_bpm, thresholds.hr_max, True),
        (AlertCode.SPO2_LOW, "spo2_percent", reading.spo2_percent, thresholds.spo2_min, False),
        (
            AlertCode.RR_LOW,
            "resp_rate_per_min",
            reading.resp_rate_per_min,
            thresholds.rr_min,
            False,
        ),
    )
    for code, name, value, threshold, above in checks:
        if value is None:
            continue
        if (value > threshold) if above else (value < threshold):
            limit = HARD_LIMITS[name]
            side = "above" if above else "below"
            alerts.append(
                VitalAlert(
                    code,
                    name,
                    f"{limit.label} {limit.show(value)} is {side} the alert threshold of "
                    f"{limit.show(threshold)}; {act}",
                )
            )
    return alerts


class VitalsPhase(StrEnum):
    """Where the session is, as far as the vitals schedule is concerned."""

    BEFORE_DOSE = "before_dose"
    DURING_DOSE = "during_dose"
    RECOVERY = "recovery"
    NOT_MONITORED = "not_monitored"


#: A reading taken up to this long before a fixed checkpoint (e.g. esketamine's
#: 40 min) counts for it; a later reading counts too, only late.
CHECKPOINT_EARLY_TOLERANCE: Final = timedelta(minutes=5)


def _utc(value: datetime | None, name: str) -> datetime | None:
    """Normalise to UTC, refusing naive datetimes: their meaning depends on the machine."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got the naive {value!r}")
    return value.astimezone(UTC)


def next_vitals_due(
    schedule: VitalsSchedule,
    phase: VitalsPhase,
    *,
    last_reading_at: datetime | None,
    dose_started_at: datetime | None,
    recovery_started_at: datetime | None,
    readings_since_dose_start: Sequence[datetime] = (),
    now: datetime | None = None,
    open_alert_at: datetime | None = None,
) -> datetime | None:
    """When the next set of vitals is due (UTC), or None when nothing is scheduled.

    - BEFORE_DOSE: a missing baseline is due *now* (``now``, or the clock if
      not given; pass the same ``now`` to :func:`is_overdue`, so a baseline is
      due but never overdue: dosing cannot start without it anyway). Once any
      reading exists, or if the protocol needs no baseline: None.
    - DURING_DOSE: with an interval, the latest reading since the dose started
      (or the dose start itself; a pre-dose baseline does not count) plus the
      interval. With checkpoints (esketamine), the first checkpoint after the
      first device for which no reading has been taken from
      :data:`CHECKPOINT_EARLY_TOLERANCE` before it onwards. Both configured:
      whichever comes first.
    - RECOVERY: with a recovery interval, the latest reading taken since the
      dose started (or the recovery start, if there is none) plus the interval.
      Unmet checkpoints still apply: esketamine's 40-minute check usually falls
      after the last device, whichever phase the session is in by then.
    - NOT_MONITORED: None.
    - After the dose has started, an open alert (``open_alert_at``: when the
      newest open one was raised) brings the next reading forward to
      ``schedule.alert_recheck_min`` after that alert or the latest reading,
      whichever is later, if the routine schedule is not sooner anyway.

    The reading before discharge is a discharge condition
    (``schedule.before_discharge_required``), not a time, so it is not here.

    Raises:
        ValueError: a naive datetime, or a phase without its start time
            (DURING_DOSE without ``dose_started_at``, RECOVERY without
            ``recovery_started_at``): programming errors, not user input.
    """
    phase = VitalsPhase(phase)
    last = _utc(last_reading_at, "last_reading_at")
    dose = _utc(dose_started_at, "dose_started_at")
    recovery = _utc(recovery_started_at, "recovery_started_at")
    taken = [_utc(r, "readings_since_dose_start") for r in readings_since_dose_start]
    now_utc = _utc(now, "now")
    alert_at = _utc(open_alert_at, "open_alert_at")
    times = [t for t in (last, *taken) if t is not None]
    latest = max(times) if times else None

    if phase is VitalsPhase.NOT_MONITORED:
        return None
    if phase is VitalsPhase.BEFORE_DOSE:
        if not schedule.baseline_required or latest is not None:
            return None
        return now_utc if now_utc is not None else datetime.now(UTC)

    candidates: list[datetime] = []
    if phase is VitalsPhase.DURING_DOSE:
        if dose is None:
            raise ValueError("dose_started_at is required while the dose is being given")
        if schedule.during_dose_interval_min is not None:
            anchor = latest if latest is not None and latest >= dose else dose
            candidates.append(anchor + timedelta(minutes=schedule.during_dose_interval_min))
    else:  # RECOVERY
        if recovery is None:
            raise ValueError("recovery_started_at is required in recovery")
        if schedule.recovery_interval_min is not None:
            since = dose if dose is not None else recovery
            anchor = latest if latest is not None and latest >= since else recovery
            candidates.append(anchor + timedelta(minutes=schedule.recovery_interval_min))
    if dose is not None:
        for minutes in sorted(schedule.post_dose_checkpoints_min):
            checkpoint = dose + timedelta(minutes=minutes)
            if latest is None or latest < checkpoint - CHECKPOINT_EARLY_TOLERANCE:
                candidates.append(checkpoint)
                break
    if alert_at is not None:
        anchor = max(alert_at, latest) if latest is not None else alert_at
        candidates.append(anchor + timedelta(minutes=schedule.alert_recheck_min))
    return min(candidates) if candidates else None


def is_overdue(due_at: datetime | None, now: datetime) -> bool:
    """True once ``now`` is past the due time; nothing due is never overdue."""
    current = _utc(now, "now")
    if current is None:
        raise TypeError("now is required")
    due = _utc(due_at, "due_at")
    return due is not None and current > due
