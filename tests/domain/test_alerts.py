"""Alert rules: scale alerts, when an alert is open, the sooner recheck, discharge minimums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ketalog.domain.alerts import (
    Acknowledgment,
    AlertSource,
    AlertStatus,
    Observation,
    RaisedAlert,
    ScaleAlertCode,
    alert_states,
    open_alerts,
    scale_alerts,
)
from ketalog.domain.errors import ValidationError
from ketalog.domain.protocols import VitalsSchedule, VitalThresholds
from ketalog.domain.session_state import SessionFacts, discharge_problems
from ketalog.domain.vitals import VitalsPhase, next_vitals_due

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def sbp_alert(vital_id: int, minutes: float) -> RaisedAlert:
    return RaisedAlert(AlertSource.VITALS, vital_id, "sbp_high", at(minutes), "SBP 185")


def bp_reading(minutes: float, *codes: str) -> Observation:
    return Observation(at(minutes), frozenset({"systolic_mmhg", "diastolic_mmhg"}),
                       frozenset(codes))


@pytest.mark.parametrize(("total", "alerts"), [(5, []), (4, []), (3, ["moaas_low"]),
                                               (0, ["moaas_low"])])
def test_moaas_at_or_below_three_raises_an_alert(total: int, alerts: list[str]) -> None:
    raised = scale_alerts("moaas", [total], total, VitalThresholds())
    assert [a.code.value for a in raised] == alerts


def test_cadss6_above_the_threshold_raises_an_alert_and_cadss23_is_judged_on_its_six_items(
) -> None:
    thresholds = VitalThresholds()
    assert scale_alerts("cadss6", [2] * 6, 12, thresholds) == []
    [alert] = scale_alerts("cadss6", [3, 2, 2, 2, 2, 2], 13, thresholds)
    assert alert.code is ScaleAlertCode.CADSS_HIGH and "13 of 24" in alert.message
    # CADSS-23: 4 on items outside the CADSS-6 does not count
    items = [0] * 23
    for n in (3, 4, 5, 8, 9):
        items[n - 1] = 4
    assert scale_alerts("cadss23", items, sum(items), thresholds) == []
    for n in (1, 2, 6, 7, 15, 22):
        items[n - 1] = 3
    assert [a.code for a in scale_alerts("cadss23", items, sum(items), thresholds)] == [
        ScaleAlertCode.CADSS_HIGH]


def test_scale_thresholds_are_validated_with_a_message() -> None:
    with pytest.raises(ValidationError) as error:
        VitalThresholds(moaas_alert_at_or_below=5, cadss6_alert_above=24)
    fields = {p.field for p in error.value.problems}
    assert fields == {"moaas_alert_at_or_below", "cadss6_alert_above"}


def test_an_alert_stays_open_until_acknowledged() -> None:
    alert = sbp_alert(1, 0)
    [state] = alert_states([alert], [bp_reading(0, "sbp_high")])
    assert state.status is AlertStatus.OPEN
    ack = Acknowledgment(AlertSource.VITALS, 1, "sbp_high", at(3), "Dr Kim", "labetalol given")
    [state] = alert_states([alert], [bp_reading(0, "sbp_high")], [ack])
    assert state.status is AlertStatus.ACKNOWLEDGED and state.acknowledgment == ack


def test_a_later_reading_back_in_range_closes_the_alert_but_another_measure_does_not() -> None:
    alert = sbp_alert(1, 0)
    heart_rate_only = Observation(at(4), frozenset({"heart_rate_bpm"}), frozenset())
    assert open_alerts(alert_states([alert], [heart_rate_only])) == (alert,)
    [state] = alert_states([alert], [heart_rate_only, bp_reading(6)])
    assert state.status is AlertStatus.BACK_IN_RANGE and state.closed_at_utc == at(6)


def test_a_repeated_alert_supersedes_the_older_one_so_only_the_newest_is_open() -> None:
    first, second = sbp_alert(1, 0), sbp_alert(2, 5)
    states = alert_states([first, second], [bp_reading(0, "sbp_high"), bp_reading(5, "sbp_high")])
    assert [s.status for s in states] == [AlertStatus.SUPERSEDED, AlertStatus.OPEN]


def test_after_an_open_alert_the_next_reading_is_due_sooner() -> None:
    schedule = VitalsSchedule()
    routine = next_vitals_due(schedule, VitalsPhase.DURING_DOSE, last_reading_at=at(12),
                              dose_started_at=at(0), recovery_started_at=None)
    assert routine == at(22)
    sooner = next_vitals_due(schedule, VitalsPhase.DURING_DOSE, last_reading_at=at(12),
                             dose_started_at=at(0), recovery_started_at=None,
                             open_alert_at=at(12))
    assert sooner == at(17)
    custom = next_vitals_due(VitalsSchedule(alert_recheck_min=2), VitalsPhase.RECOVERY,
                             last_reading_at=at(50), dose_started_at=at(0),
                             recovery_started_at=at(40), open_alert_at=at(50))
    assert custom == at(52)


def _ready(**changes: object) -> SessionFacts:
    values: dict[str, object] = dict(
        aldrete_total=10, escort_named=True, instructions_given=True,
        minutes_since_dose_end=31, min_recovery_min=30,
        reading_before_discharge_required=True, minutes_since_last_reading=5,
        discharge_reading_within_min=15)
    values.update(changes)
    return SessionFacts(**values)  # type: ignore[arg-type]


def test_discharge_one_minute_after_the_infusion_with_an_old_reading_lists_each_problem(
) -> None:
    assert discharge_problems(_ready()) == []
    problems = discharge_problems(_ready(minutes_since_dose_end=1, minutes_since_last_reading=25,
                                         open_alerts=("Systolic high: BP 185/100",)))
    assert problems == [
        "Recovery must last at least 30 minutes after the dose ended (now 1, 29 more to go).",
        "The last vitals reading is 25 minutes old; take a new one (discharge needs one within "
        "the last 15 minutes).",
        "Alert not followed up (Systolic high: BP 185/100); a physician must acknowledge it, or a "
        "new reading must be back in range.",
    ]


def test_discharge_without_any_reading_or_before_the_dose_ended_is_refused_in_words() -> None:
    problems = discharge_problems(_ready(minutes_since_dose_end=None,
                                         minutes_since_last_reading=None))
    assert any("The dose has not ended" in p for p in problems)
    assert any("No vitals recorded" in p for p in problems)
    # the protocol not asking for a reading before discharge: no such problem
    assert discharge_problems(_ready(reading_before_discharge_required=False,
                                     minutes_since_last_reading=None)) == []
