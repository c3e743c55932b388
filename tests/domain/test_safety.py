"""PHQ-9 item 9 above 0 stops the start until a C-SSRS screen (and, at moderate or high
risk, a physician's review) is recorded."""

from __future__ import annotations

import pytest

from ketalog.domain.safety import SuicideRiskScreen, safety_alert, safety_start_problems
from ketalog.domain.session_state import SessionFacts, start_problems

READY = {"dose_verified": True, "has_baseline_vitals": True}


def test_item9_zero_needs_nothing() -> None:
    screen = SuicideRiskScreen(phq9_item9=0)
    assert safety_start_problems(screen) == []
    assert safety_alert(screen) is None
    assert start_problems(SessionFacts(**READY, suicide_risk=screen)) == []


def test_item9_positive_without_screen_blocks_start_and_tells_the_physician() -> None:
    screen = SuicideRiskScreen(phq9_item9=2)
    [problem] = start_problems(SessionFacts(**READY, suicide_risk=screen))
    assert "PHQ-9 item 9" in problem and "C-SSRS" in problem
    assert safety_alert(screen) == "C-SSRS screen needed: PHQ-9 item 9 = 2"


def test_low_risk_screen_clears_the_start() -> None:
    screen = SuicideRiskScreen(phq9_item9=1, cssrs_risk="low risk")
    assert start_problems(SessionFacts(**READY, suicide_risk=screen)) == []
    assert safety_alert(screen) == "C-SSRS low risk (PHQ-9 item 9 = 1)"


@pytest.mark.parametrize("risk", ["moderate risk", "high risk"])
def test_moderate_or_high_risk_needs_a_physician_review(risk: str) -> None:
    screen = SuicideRiskScreen(phq9_item9=3, cssrs_risk=risk)
    [problem] = start_problems(SessionFacts(**READY, suicide_risk=screen))
    assert risk in problem and "physician must review" in problem
    assert safety_alert(screen) == f"Physician review needed: C-SSRS {risk}"
    reviewed = SuicideRiskScreen(phq9_item9=3, cssrs_risk=risk, reviewed_by="Ada Lovel, MD")
    assert start_problems(SessionFacts(**READY, suicide_risk=reviewed)) == []
    assert safety_alert(reviewed) == f"C-SSRS {risk}; reviewed by Ada Lovel, MD"


def test_course_problems_come_first() -> None:
    facts = SessionFacts(**READY, course_problems=("The screening is not approved.",))
    assert start_problems(facts) == ["The screening is not approved."]


def test_facts_refuse_a_course_problem_given_as_one_string() -> None:
    from ketalog.domain.errors import ValidationError

    with pytest.raises(ValidationError, match="Course problems"):
        SessionFacts(course_problems="not approved")  # type: ignore[arg-type]
