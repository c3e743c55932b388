"""Suicide-risk safety rule at check-in: PHQ-9 item 9 above 0 stops the infusion start.

PHQ-9 item 9 asks about thoughts of death or self-harm. A positive answer
(DESIGN.md section 2) needs a recorded suicide-risk screen (the C-SSRS
screener) taken after that PHQ-9, and the physician is told on the day board.
A screen at moderate or high risk also needs a physician's recorded review
before any drug runs: a nurse cannot clear it alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketalog.domain.scales import CSSRS_RISK_LEVELS

#: C-SSRS levels that need a physician's review before the infusion starts.
REVIEW_LEVELS = frozenset(CSSRS_RISK_LEVELS[2:])


@dataclass(frozen=True)
class SuicideRiskScreen:
    """What the session holds: the latest PHQ-9 item 9, the screen after it, the review.

    ``cssrs_risk`` is None when no C-SSRS was recorded after the latest PHQ-9;
    ``reviewed_by`` names the physician whose review came after that screen.
    """

    phq9_item9: int | None = None
    cssrs_risk: str | None = None
    reviewed_by: str | None = None

    @property
    def positive(self) -> bool:
        """PHQ-9 item 9 answered above 0 on the latest PHQ-9 of the session."""
        return bool(self.phq9_item9)

    @property
    def needs_review(self) -> bool:
        """A screen at moderate or high risk that no physician has reviewed yet."""
        return self.cssrs_risk in REVIEW_LEVELS and self.reviewed_by is None


NO_SCREEN = SuicideRiskScreen()


def safety_start_problems(screen: SuicideRiskScreen) -> list[str]:
    """What stops the infusion start, in words the nurse can act on."""
    if not screen.positive:
        return []
    if screen.cssrs_risk is None:
        return [f"PHQ-9 item 9 (thoughts of death or self-harm) is {screen.phq9_item9}: "
                "record the C-SSRS suicide-risk screen before starting; the physician has "
                "been told on the day board."]
    if screen.needs_review:
        return [f"C-SSRS screen shows {screen.cssrs_risk}: a physician must review the "
                "patient and record the review before the infusion starts."]
    return []


def safety_alert(screen: SuicideRiskScreen) -> str | None:
    """The day board's words for the physician, or None when nothing is positive.

    What to do comes first, so a narrow board column that cuts the end off still
    says it ("C-SSRS screen needed: ...").
    """
    if not screen.positive:
        return None
    if screen.cssrs_risk is None:
        return f"C-SSRS screen needed: PHQ-9 item 9 = {screen.phq9_item9}"
    if screen.needs_review:
        return f"Physician review needed: C-SSRS {screen.cssrs_risk}"
    if screen.reviewed_by:
        return f"C-SSRS {screen.cssrs_risk}; reviewed by {screen.reviewed_by}"
    return f"C-SSRS {screen.cssrs_risk} (PHQ-9 item 9 = {screen.phq9_item9})"
