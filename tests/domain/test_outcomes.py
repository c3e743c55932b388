from decimal import Decimal

import pytest

from ketalog.domain.errors import ValidationError
from ketalog.domain.outcomes import course_outcome


def test_phq9_22_to_10_is_response_not_remission() -> None:
    outcome = course_outcome("phq9", [22, 16, 10])
    assert (outcome.response, outcome.remission, outcome.change) == (True, False, -12)
    assert outcome.percent_change == Decimal("-54.5")


def test_phq9_22_to_4_is_remission() -> None:
    outcome = course_outcome("phq9", [22, 12, 4])
    assert outcome.response and outcome.remission


def test_exactly_half_is_a_response_and_just_above_is_not() -> None:
    assert course_outcome("phq9", [20, 10]).response
    assert not course_outcome("phq9", [20, 11]).response


def test_no_response_after_three_infusions_is_flagged() -> None:
    assert course_outcome("phq9", [20, 19, 18, 17]).no_response_flag
    assert not course_outcome("phq9", [20, 19, 18]).no_response_flag
    assert not course_outcome("phq9", [20, 9, 18, 17]).no_response_flag


def test_scales_without_a_remission_rule_and_empty_series() -> None:
    assert course_outcome("pcl5", [50, 20]).remission is None
    assert course_outcome("madrs", [30, 9]).remission is True
    assert course_outcome("phq9", [0, 0]).response is False
    with pytest.raises(ValidationError):
        course_outcome("phq9", [])
