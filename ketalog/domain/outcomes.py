"""Course outcomes: change from the course baseline, response and remission.

Response is a reduction of at least 50 % from the course's first score.
Remission thresholds (DESIGN.md): PHQ-9 below 5, MADRS below 10; GAD-7 below 5
(minimal anxiety) is used the same way. Other scales have no remission rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ketalog.domain.errors import ValidationError

REMISSION_BELOW = {"phq9": 5, "madrs": 10, "gad7": 5}
NO_RESPONSE_AFTER = 3  # follow-up scores without response before the physician is told


@dataclass(frozen=True)
class CourseOutcome:
    """Where a course stands on one scale."""

    scale: str
    baseline: int
    latest: int
    change: int
    percent_change: Decimal  # negative is improvement
    response: bool
    remission: bool | None  # None: this scale has no remission rule
    no_response_flag: bool


def course_outcome(scale: str, scores: Sequence[int]) -> CourseOutcome:
    """Judge a series of totals in course order (the first is the baseline)."""
    if not scores:
        raise ValidationError.single("scores", "No scores recorded for this course yet.")
    baseline, latest = scores[0], scores[-1]
    change = latest - baseline
    if baseline > 0:
        percent = (Decimal(change) * 100 / baseline).quantize(Decimal("0.1"), ROUND_HALF_UP)
    else:
        percent = Decimal(0)
    response = baseline > 0 and latest * 2 <= baseline
    threshold = REMISSION_BELOW.get(scale)
    remission = None if threshold is None else latest < threshold
    follow_ups = len(scores) - 1
    no_response = follow_ups >= NO_RESPONSE_AFTER and not any(
        s * 2 <= baseline for s in scores[1:]) and baseline > 0
    return CourseOutcome(scale, baseline, latest, change, percent, response, remission,
                         no_response)
