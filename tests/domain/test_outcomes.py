"""Course outcome rules worked by hand, and the clinic's tally that never hides the excluded."""

from decimal import Decimal

import pytest

from ketalog.domain.errors import ValidationError
from ketalog.domain.outcomes import (
    EVALUABLE_MEANING,
    CourseOutcome,
    CourseResult,
    CourseVisit,
    clinic_outcomes,
    course_outcome,
    course_outcomes,
    percent_of,
    primary_scale,
    scale_outcome,
)


def phq9(*scores: int, infusions: int = 0) -> CourseOutcome:
    return course_outcome("phq9", list(scores), infusions_since_baseline=infusions)


# --- hand-worked cases (issue 6) ---------------------------------------------------


def test_phq9_22_to_10_is_response_not_remission() -> None:
    # 10 <= 22 / 2 = 11: a fall of 12 points, 54.5 %; 10 is not below 5
    outcome = phq9(22, 16, 10)
    assert (outcome.response, outcome.remission, outcome.change) == (True, False, -12)
    assert outcome.percent_change == Decimal("-54.5")
    assert outcome.response_threshold == Decimal("11")


def test_phq9_22_to_4_is_remission() -> None:
    # 4 < 5: remission; 4 <= 11: response; -18 points is -81.8 %
    outcome = phq9(22, 12, 4)
    assert outcome.response and outcome.remission
    assert outcome.percent_change == Decimal("-81.8")


def test_phq9_22_to_12_is_not_response() -> None:
    # 12 > 11: a fall of 10 points, 45.5 %, short of half
    outcome = phq9(22, 12)
    assert not outcome.response and outcome.remission is False
    assert outcome.percent_change == Decimal("-45.5")


def test_baseline_zero_has_no_response() -> None:
    outcome = phq9(0, 0)
    assert outcome.response is False
    assert outcome.percent_change == Decimal(0)
    assert not phq9(0, 0, 0, 0, infusions=5).no_response_flag  # nothing to fall from


def test_exactly_half_is_a_response_and_just_above_is_not() -> None:
    assert phq9(20, 10).response
    assert not phq9(20, 11).response
    assert phq9(21, 10).response  # 10 <= 10.5
    assert not phq9(21, 11).response


def test_response_is_judged_on_the_latest_score() -> None:
    # responded at visit 2, relapsed to 15: not a responder now
    assert not phq9(22, 9, 15).response


# --- the no-response flag counts infusions ---------------------------------------------


def test_no_response_flag_after_three_infusions_without_a_responding_score() -> None:
    assert phq9(20, 19, 18, infusions=3).no_response_flag
    assert not phq9(20, 19, 18, infusions=2).no_response_flag
    # many scores but only two infusions (questionnaires repeated): not yet
    assert not phq9(20, 19, 18, 17, 17, infusions=2).no_response_flag
    # one score since the baseline reached half: no flag, even if it slipped back
    assert not phq9(20, 9, 18, 17, infusions=4).no_response_flag
    # three infusions and no follow-up score at all: nothing shows a response
    assert phq9(20, infusions=3).no_response_flag


def test_visits_count_infusions_from_the_baseline_visit() -> None:
    def visit(infused: bool, **scores: int) -> CourseVisit:
        return CourseVisit(infused, scores)

    # visit 1 scored nothing (no baseline yet); baseline at visit 2 before its dose
    visits = [visit(True), visit(True, phq9=22), visit(True, phq9=20), visit(False, phq9=19)]
    outcome = scale_outcome("phq9", visits)
    assert outcome is not None
    assert (outcome.infusions_since_baseline, outcome.follow_ups) == (2, 2)
    assert not outcome.no_response_flag
    # the third infusion since the baseline is given: flagged
    visits.append(visit(True, phq9=18))
    outcome = scale_outcome("phq9", visits)
    assert outcome is not None and outcome.infusions_since_baseline == 3
    assert outcome.no_response_flag
    # the next check-in's score is a response: the flag clears
    visits.append(visit(False, phq9=11))
    outcome = scale_outcome("phq9", visits)
    assert outcome is not None and outcome.response and not outcome.no_response_flag
    # a cancelled visit (not infused) does not count
    cancelled = [visit(True, phq9=22), visit(False), visit(False), visit(True, phq9=21),
                 visit(True, phq9=20)]
    outcome = scale_outcome("phq9", cancelled)
    assert outcome is not None and outcome.infusions_since_baseline == 3


def test_course_outcomes_per_scale_and_missing_scale() -> None:
    visits = [CourseVisit(True, {"phq9": 22, "gad7": 15}), CourseVisit(True, {"phq9": 10})]
    outcomes = course_outcomes(visits)
    assert list(outcomes) == ["phq9", "gad7"]
    assert outcomes["gad7"].follow_ups == 0 and not outcomes["gad7"].evaluable
    assert outcomes["phq9"].evaluable
    assert scale_outcome("pcl5", visits) is None
    assert list(course_outcomes(visits, ["gad7", "pcl5", "phq9"])) == ["gad7", "phq9"]


def test_scales_without_a_remission_rule_and_empty_series() -> None:
    assert course_outcome("pcl5", [50, 20], infusions_since_baseline=1).remission is None
    assert course_outcome("pain", [8, 3], infusions_since_baseline=1).remission is None
    assert course_outcome("madrs", [30, 9], infusions_since_baseline=1).remission is True
    assert course_outcome("madrs", [30, 10], infusions_since_baseline=1).remission is False
    assert course_outcome("gad7", [15, 4], infusions_since_baseline=1).remission is True
    with pytest.raises(ValidationError):
        course_outcome("phq9", [], infusions_since_baseline=0)
    with pytest.raises(ValidationError):
        course_outcome("phq9", [3], infusions_since_baseline=-1)


def test_primary_scale_of_each_indication() -> None:
    assert primary_scale("treatment-resistant depression") == "phq9"
    assert primary_scale("major depressive disorder") == "phq9"
    assert primary_scale("bipolar depression") == "phq9"
    assert primary_scale("suicidal ideation") == "phq9"
    assert primary_scale("PTSD") == "pcl5"
    assert primary_scale("anxiety") == "gad7"
    assert primary_scale("chronic pain") == "pain"
    with pytest.raises(ValidationError, match="Unknown indication 'insomnia'"):
        primary_scale("insomnia")


# --- the clinic's tally ------------------------------------------------------------------


def result(course_id: int, indication: str, protocol: str, scores: dict[str, list[int]], *,
           patient_id: int | None = None, infusions: int = 6) -> CourseResult:
    outcomes = {scale: course_outcome(scale, series, infusions_since_baseline=infusions)
                for scale, series in scores.items()}
    return CourseResult(course_id, patient_id or course_id, indication, protocol, outcomes)


IV = "IV 0.5 mg/kg"
IV_HIGH = "IV 1.0 mg/kg"
TRD = "treatment-resistant depression"


def test_clinic_tally_by_hand() -> None:
    courses = [
        result(1, TRD, IV, {"phq9": [22, 10]}),  # responder, no remission
        result(2, TRD, IV, {"phq9": [22, 12, 4]}),  # responder and remitter
        result(3, TRD, IV_HIGH, {"phq9": [22, 12]}),  # evaluable, neither
        # a remission on MADRS does not count: PHQ-9 is the primary scale, and it has
        # only a baseline, so the course is excluded for a missing follow-up
        result(4, TRD, IV, {"phq9": [20], "madrs": [30, 8]}),
        result(5, TRD, IV, {"gad7": [15, 3]}),  # no PHQ-9 at all: missing baseline
        result(6, "PTSD", IV, {"pcl5": [60, 25]}),  # responder; PCL-5 has no remission rule
        result(7, "PTSD", IV_HIGH, {"pcl5": [60, 40]}, patient_id=1),  # patient 1 again
    ]
    outcomes = clinic_outcomes(courses)

    trd, ptsd = outcomes.by_indication
    assert trd.group == TRD and trd.scales == ("phq9",)
    assert (trd.courses, trd.patients, trd.evaluable) == (5, 5, 3)
    assert (trd.missing_baseline, trd.missing_follow_up, trd.excluded) == (1, 1, 2)
    assert (trd.responders, trd.remitters, trd.remission_evaluable) == (2, 1, 3)
    assert trd.response_percent == Decimal("66.7")  # 2 of 3 evaluable, not of 5
    assert trd.remission_percent == Decimal("33.3")

    assert ptsd.group == "PTSD" and ptsd.scales == ("pcl5",)
    assert (ptsd.courses, ptsd.evaluable, ptsd.responders, ptsd.excluded) == (2, 2, 1, 0)
    assert ptsd.remitters is None and ptsd.remission_percent is None
    assert ptsd.response_percent == Decimal("50.0")

    low, high = outcomes.by_protocol
    assert (low.group, low.courses, low.evaluable, low.responders) == (IV, 5, 3, 3)
    assert low.scales == ("phq9", "pcl5")
    # remission only among the evaluable courses with a rule (the two PHQ-9 ones)
    assert (low.remitters, low.remission_evaluable) == (1, 2)
    assert low.remission_percent == Decimal("50.0")
    assert (high.group, high.courses, high.evaluable, high.responders) == (IV_HIGH, 2, 2, 0)
    assert (high.remitters, high.remission_evaluable) == (0, 1)

    total = outcomes.total
    assert (total.courses, total.patients, total.evaluable, total.excluded) == (7, 6, 5, 2)
    assert (total.responders, total.remitters) == (3, 1)
    # every course is evaluable or excluded: none disappears
    for row in (*outcomes.by_indication, *outcomes.by_protocol, total):
        assert row.evaluable + row.excluded == row.courses


def test_indications_keep_the_screen_order_and_empty_groups_have_no_percent() -> None:
    courses = [result(1, "chronic pain", IV, {}), result(2, "anxiety", IV, {"gad7": [12, 4]}),
               result(3, "major depressive disorder", IV, {"phq9": [15, 7]})]
    outcomes = clinic_outcomes(courses)
    assert [r.group for r in outcomes.by_indication] == [
        "major depressive disorder", "anxiety", "chronic pain"]
    pain = outcomes.by_indication[2]
    assert (pain.evaluable, pain.missing_baseline, pain.response_percent) == (0, 1, None)
    assert pain.remitters is None
    assert outcomes.by_indication[1].remitters == 1


def test_nothing_in_range_and_unknown_indications() -> None:
    empty = clinic_outcomes([])
    assert empty.by_indication == () and empty.by_protocol == ()
    assert empty.total.courses == 0 and empty.total.response_percent is None
    with pytest.raises(ValidationError):
        clinic_outcomes([result(1, "insomnia", IV, {})])
    assert percent_of(1, 3) == Decimal("33.3") and percent_of(2, 3) == Decimal("66.7")
    assert percent_of(0, 0) is None
    assert "evaluable" in EVALUABLE_MEANING and "excluded" in EVALUABLE_MEANING
