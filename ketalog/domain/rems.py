"""The Spravato (esketamine) REMS patient monitoring form, and its 7-day filing deadline.

The form (DESIGN.md section 2) is filled from what the nurses already
recorded during the session, never typed twice: the screening's medication
answers, the dose order, the blood pressures before dosing, at about 40 minutes
and before the patient left, the event flags, and the discharge times. This
module decides which reading answers which question and whether the vitals
were in an acceptable range; the services gather the inputs.

A yes/no answer is ``True``/``False``; ``None`` means "not recorded", which is
printed as such and listed by :func:`missing_fields`, never read as "no".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Final

from ketalog.domain.protocols import VitalThresholds
from ketalog.domain.vitals import VitalReading, vital_alerts

#: The form must reach the REMS within this many days of the treatment.
FILING_DEADLINE_DAYS: Final = 7
#: The "about 40 minutes" blood pressure: the reading nearest to 40 minutes after
#: the first device, taken between 30 and 60 minutes after it. Earlier is still
#: the absorption phase; later no longer shows the peak the label asks about.
BP_CHECK_TARGET_MIN: Final = 40
BP_CHECK_EARLIEST_MIN: Final = 30
BP_CHECK_LATEST_MIN: Final = 60
#: The doses the form names; anything else is "other".
LABELLED_DOSES_MG: Final = (Decimal(56), Decimal(84))

NOT_RECORDED: Final = "not recorded"


class DoseChoice(StrEnum):
    """The dose boxes on the form."""

    MG_56 = "56 mg"
    MG_84 = "84 mg"
    OTHER = "other"


def dose_choice(total_mg: Decimal | None) -> DoseChoice | None:
    """Which dose box to tick for the milligrams given (None when no dose was ordered)."""
    if total_mg is None:
        return None
    if total_mg == LABELLED_DOSES_MG[0]:
        return DoseChoice.MG_56
    if total_mg == LABELLED_DOSES_MG[1]:
        return DoseChoice.MG_84
    return DoseChoice.OTHER


def yes_no(value: bool | None) -> str:
    """A form answer in words: "Yes", "No" or "not recorded"."""
    if value is None:
        return NOT_RECORDED
    return "Yes" if value else "No"


@dataclass(frozen=True)
class RemsVitals:
    """One stored (not voided) reading, as the form needs it."""

    taken_at_utc: datetime
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    heart_rate_bpm: int | None = None
    spo2_percent: int | None = None
    resp_rate_per_min: int | None = None

    @property
    def has_blood_pressure(self) -> bool:
        """Both numbers of a blood pressure were measured."""
        return self.systolic_mmhg is not None and self.diastolic_mmhg is not None


@dataclass(frozen=True)
class BloodPressureAt:
    """A blood pressure on the form, with when it was taken."""

    systolic_mmhg: int
    diastolic_mmhg: int
    taken_at_utc: datetime
    #: minutes after the first device (negative before dosing)
    minutes_after_first_device: int | None

    @property
    def text(self) -> str:
        """As nurses write it: "124/78"."""
        return f"{self.systolic_mmhg}/{self.diastolic_mmhg}"


@dataclass(frozen=True)
class RemsForm:
    """Every field of the Spravato REMS patient monitoring form for one session."""

    session_id: int
    patient_name: str
    mrn: str
    birth_date: date
    #: the patient's first esketamine treatment (no earlier dosed esketamine session)
    first_treatment: bool | None
    # concomitant medications (from the course's eligibility screening)
    takes_benzodiazepine: bool | None
    takes_sedative_hypnotic: bool | None  #: non-benzodiazepine sedative hypnotics
    takes_psychostimulant: bool | None
    takes_maoi: bool | None
    takes_opioid: bool | None
    #: clinic-local date of the first device
    treatment_date: date | None
    dose_mg: Decimal | None
    device_count: int | None
    lot_number: str | None
    first_device_at_utc: datetime | None
    monitoring_ended_at_utc: datetime | None
    #: whole minutes from the first device to the end of monitoring (discharge)
    monitoring_minutes: int | None
    #: when the patient would have been ready to leave
    ready_to_leave_at_utc: datetime | None
    vitals_acceptable_before_dosing: bool | None
    vitals_acceptable_before_completion: bool | None
    bp_before_dosing: BloodPressureAt | None
    bp_at_40_min: BloodPressureAt | None
    bp_before_completion: BloodPressureAt | None
    sedation_observed: bool | None
    dissociation_observed: bool | None
    respiratory_depression_observed: bool | None
    monitoring_provider: str | None
    setting: str | None

    @property
    def dose_choice(self) -> DoseChoice | None:
        """56 mg, 84 mg or other."""
        return dose_choice(self.dose_mg)

    @property
    def due_on(self) -> date | None:
        """The last day the form may be filed (None before the first device)."""
        if self.treatment_date is None:
            return None
        return self.treatment_date + timedelta(days=FILING_DEADLINE_DAYS)


#: What each field is called on the form, in form order (for missing_fields).
FIELD_LABELS: Final = {
    "first_treatment": "First treatment",
    "takes_benzodiazepine": "Concomitant benzodiazepines",
    "takes_sedative_hypnotic": "Concomitant non-benzodiazepine sedative hypnotics",
    "takes_psychostimulant": "Concomitant psychostimulants",
    "takes_maoi": "Concomitant MAOIs",
    "takes_opioid": "Concomitant opioids",
    "treatment_date": "Treatment date",
    "dose_mg": "Dose",
    "lot_number": "Lot number",
    "monitoring_minutes": "Total minutes from first device to end of monitoring",
    "ready_to_leave_at_utc": "Time the patient was ready to leave",
    "vitals_acceptable_before_dosing": "Vital signs acceptable before dosing",
    "vitals_acceptable_before_completion": "Vital signs acceptable before completion",
    "bp_before_dosing": "Blood pressure before dosing",
    "bp_at_40_min": "Blood pressure at about 40 minutes",
    "bp_before_completion": "Blood pressure before completion",
    "sedation_observed": "Sedation observed",
    "dissociation_observed": "Dissociation observed",
    "respiratory_depression_observed": "Respiratory depression observed",
    "monitoring_provider": "Monitoring provider",
    "setting": "Healthcare setting",
}


def missing_fields(form: RemsForm) -> list[str]:
    """The form's fields not yet known, by their names on the form, in form order."""
    present = {f.name for f in fields(form)}
    return [label for name, label in FIELD_LABELS.items()
            if name in present and getattr(form, name) is None]


# --------------------------------------------------------------------------
# Which reading answers which question
# --------------------------------------------------------------------------


def _minutes_after(at: datetime, first_device: datetime | None) -> int | None:
    if first_device is None:
        return None
    return int((at - first_device).total_seconds() // 60)


def _bp(reading: RemsVitals | None, first_device: datetime | None) -> BloodPressureAt | None:
    if reading is None or reading.systolic_mmhg is None or reading.diastolic_mmhg is None:
        return None
    return BloodPressureAt(reading.systolic_mmhg, reading.diastolic_mmhg, reading.taken_at_utc,
                           _minutes_after(reading.taken_at_utc, first_device))


def reading_before_dosing(
    readings: Sequence[RemsVitals], first_device_at: datetime | None
) -> RemsVitals | None:
    """The last reading with a blood pressure taken at or before the first device.

    Before any device (the session is still checked in) it is simply the last one.
    """
    before = [r for r in readings if r.has_blood_pressure
              and (first_device_at is None or r.taken_at_utc <= first_device_at)]
    return max(before, key=lambda r: r.taken_at_utc) if before else None


def reading_at_40_min(
    readings: Sequence[RemsVitals], first_device_at: datetime | None
) -> RemsVitals | None:
    """The blood pressure nearest to 40 minutes after the first device, within 30-60 minutes.

    On a tie (say 35 and 45 minutes) the earlier reading is taken: it is the
    one nearer the expected peak of the rise.
    """
    if first_device_at is None:
        return None
    earliest = first_device_at + timedelta(minutes=BP_CHECK_EARLIEST_MIN)
    latest = first_device_at + timedelta(minutes=BP_CHECK_LATEST_MIN)
    target = first_device_at + timedelta(minutes=BP_CHECK_TARGET_MIN)
    window = [r for r in readings
              if r.has_blood_pressure and earliest <= r.taken_at_utc <= latest]
    if not window:
        return None
    return min(window, key=lambda r: (abs((r.taken_at_utc - target).total_seconds()),
                                      r.taken_at_utc))


def reading_before_completion(
    readings: Sequence[RemsVitals], first_device_at: datetime | None,
    monitoring_ended_at: datetime | None, at_40_min: RemsVitals | None,
) -> RemsVitals | None:
    """The last blood pressure after the first device and at or before the end of monitoring.

    Unknown until monitoring has ended (the patient may still be checked
    again). It must be a reading of its own, later than the 40-minute one: the
    form asks for both, and one reading cannot answer both questions.
    """
    if first_device_at is None or monitoring_ended_at is None:
        return None
    after = [r for r in readings if r.has_blood_pressure
             and first_device_at < r.taken_at_utc <= monitoring_ended_at
             and (at_40_min is None or r.taken_at_utc > at_40_min.taken_at_utc)]
    return max(after, key=lambda r: r.taken_at_utc) if after else None


def vitals_acceptable(
    reading: RemsVitals | None, thresholds: VitalThresholds, *, before_dosing: bool
) -> bool | None:
    """Whether a reading is in the clinic's acceptable range: no alert threshold crossed.

    Before dosing the pre-dose blood pressure limit (140/90 by default) also
    applies; a physician's acknowledgment lets the dose start but does not make
    the reading acceptable. A reading without a blood pressure cannot answer
    (None), because the form asks about the blood pressure first of all.
    """
    if reading is None or not reading.has_blood_pressure:
        return None
    as_reading = VitalReading(
        systolic_mmhg=reading.systolic_mmhg, diastolic_mmhg=reading.diastolic_mmhg,
        heart_rate_bpm=reading.heart_rate_bpm, spo2_percent=reading.spo2_percent,
        resp_rate_per_min=reading.resp_rate_per_min, temperature_c=None, etco2_mmhg=None,
        pain_score=None,
    )
    return not vital_alerts(as_reading, thresholds, pre_dose=before_dosing)


def _observed(kind: str, flag_kinds: Sequence[str], monitoring_ended: bool) -> bool | None:
    """A flag of this kind was raised: yes; none by the end of monitoring: no; else unknown."""
    if kind in flag_kinds:
        return True
    return False if monitoring_ended else None


@dataclass(frozen=True)
class RemsInputs:
    """Everything the form is built from, as plain values (the services gather them)."""

    session_id: int
    patient_name: str
    mrn: str
    birth_date: date
    earlier_esketamine_treatments: int
    #: the screening's answers; None where not recorded or no screening exists
    takes_benzodiazepine: bool | None
    takes_other_sedative: bool | None
    takes_stimulant: bool | None
    takes_maoi: bool | None
    takes_opioid: bool | None
    first_device_at_utc: datetime | None
    #: the first device's date in the clinic's time zone
    treatment_date: date | None
    discharged_at_utc: datetime | None
    ready_to_leave_at_utc: datetime | None
    dose_mg: Decimal | None
    device_count: int | None
    lot_number: str | None
    readings: Sequence[RemsVitals]
    thresholds: VitalThresholds
    #: kinds of the session's event flags ("sedation", "dissociation", "respiratory_depression")
    event_flag_kinds: Sequence[str]
    monitoring_provider: str | None
    setting: str | None


def build_rems_form(inputs: RemsInputs) -> RemsForm:
    """Fill the monitoring form from what was recorded."""
    first = inputs.first_device_at_utc
    ended = inputs.discharged_at_utc if first is not None else None
    before = reading_before_dosing(inputs.readings, first)
    at_40 = reading_at_40_min(inputs.readings, first)
    completion = reading_before_completion(inputs.readings, first, ended, at_40)
    minutes = None
    if first is not None and ended is not None:
        minutes = max(0, int((ended - first).total_seconds() // 60))
    dosed = first is not None
    flags = tuple(inputs.event_flag_kinds)
    return RemsForm(
        session_id=inputs.session_id,
        patient_name=inputs.patient_name,
        mrn=inputs.mrn,
        birth_date=inputs.birth_date,
        first_treatment=inputs.earlier_esketamine_treatments == 0,
        takes_benzodiazepine=inputs.takes_benzodiazepine,
        takes_sedative_hypnotic=inputs.takes_other_sedative,
        takes_psychostimulant=inputs.takes_stimulant,
        takes_maoi=inputs.takes_maoi,
        takes_opioid=inputs.takes_opioid,
        treatment_date=inputs.treatment_date if dosed else None,
        dose_mg=inputs.dose_mg,
        device_count=inputs.device_count,
        lot_number=(inputs.lot_number or "").strip() or None,
        first_device_at_utc=first,
        monitoring_ended_at_utc=ended,
        monitoring_minutes=minutes,
        ready_to_leave_at_utc=inputs.ready_to_leave_at_utc if dosed else None,
        vitals_acceptable_before_dosing=vitals_acceptable(before, inputs.thresholds,
                                                          before_dosing=True),
        vitals_acceptable_before_completion=vitals_acceptable(completion, inputs.thresholds,
                                                              before_dosing=False),
        bp_before_dosing=_bp(before, first),
        bp_at_40_min=_bp(at_40, first),
        bp_before_completion=_bp(completion, first),
        sedation_observed=_observed("sedation", flags, ended is not None) if dosed else None,
        dissociation_observed=(_observed("dissociation", flags, ended is not None)
                               if dosed else None),
        respiratory_depression_observed=(
            _observed("respiratory_depression", flags, ended is not None) if dosed else None),
        monitoring_provider=(inputs.monitoring_provider or "").strip() or None,
        setting=(inputs.setting or "").strip() or None,
    )


# --------------------------------------------------------------------------
# The 7-day filing deadline
# --------------------------------------------------------------------------


class FilingState(StrEnum):
    """Where a form stands against its deadline."""

    OVERDUE = "overdue"
    DUE = "due"
    FILED = "filed"


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


@dataclass(frozen=True)
class FilingStatus:
    """A form's filing status in words, with the numbers behind them."""

    state: FilingState
    due_on: date
    #: days until the deadline (0 on the last day, negative once overdue)
    days_left: int
    filed_on: date | None
    text: str

    @property
    def overdue(self) -> bool:
        """Not filed and past the deadline."""
        return self.state is FilingState.OVERDUE

    @property
    def sort_key(self) -> tuple[int, int]:
        """Overdue first (the longest overdue first), then the soonest due, then filed."""
        rank = {FilingState.OVERDUE: 0, FilingState.DUE: 1, FilingState.FILED: 2}[self.state]
        if self.state is FilingState.FILED:
            assert self.filed_on is not None
            return rank, -self.filed_on.toordinal()
        return rank, self.days_left


def filing_status(treatment_date: date, filed_on: date | None, today: date) -> FilingStatus:
    """Filed, due in n days, due today, or overdue by n days (deadline: treatment + 7 days).

    ``filed_on`` and ``today`` are clinic-local dates. A form filed after its
    deadline says so ("filed on 30 Nov 2026, 2 days late") so the list keeps
    the late filing visible.
    """
    due = treatment_date + timedelta(days=FILING_DEADLINE_DAYS)
    if filed_on is not None:
        late = (filed_on - due).days
        text = f"filed on {_day(filed_on)}"
        if late > 0:
            text += f", {_days(late)} late"
        return FilingStatus(FilingState.FILED, due, (due - filed_on).days, filed_on, text)
    left = (due - today).days
    if left < 0:
        return FilingStatus(FilingState.OVERDUE, due, left, None, f"overdue by {_days(-left)}")
    text = "due today" if left == 0 else f"due in {_days(left)}"
    return FilingStatus(FilingState.DUE, due, left, None, text)
