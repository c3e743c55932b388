"""Course outcomes: change from the course baseline, response, remission, and the clinic's tally.

Rules (DESIGN.md section 2, "Outcome measures across the course"):

* The baseline is the course's first score on a scale.
* Response is a reduction of at least 50 % from the baseline, judged on the
  latest score (the course's current standing, not its best day). A baseline
  of 0 has nothing to fall from: never a response.
* Remission: PHQ-9 below 5, MADRS below 10; GAD-7 below 5 (the "minimal
  anxiety" band, the usual remission cut-off in anxiety studies) is used the
  same way. PCL-5 and pain NRS have no remission rule here.
* "No response after 3 infusions": once three infusions have been given since
  the baseline (counting the baseline visit's own infusion, because the
  questionnaires are taken at check-in, before the dose) and no score since
  the baseline has reached a response, the physician is told. A later score
  that reaches a response clears it.

Each indication has one primary scale, fixed in advance, on which the clinic
judges its courses (:func:`primary_scale`). Depression courses and suicidal
ideation use the patient-rated PHQ-9, recorded at every check-in; a
clinician-rated MADRS is shown beside it but never swapped in, because picking
the scale after seeing the scores would let the better-looking one count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Final

from ketalog.domain.errors import ValidationError

#: Totals below these are remission. Scales not listed have no remission rule.
REMISSION_BELOW: Final[Mapping[str, int]] = MappingProxyType({"phq9": 5, "madrs": 10, "gad7": 5})
#: Infusions given since the baseline without a response before the physician is told.
NO_RESPONSE_AFTER: Final = 3
#: Response: the latest score is at most this fraction of the baseline (a 50 % fall).
RESPONSE_FRACTION: Final = Decimal("0.5")

#: Course outcome measures, in the order screens and documents list them.
OUTCOME_SCALES: Final = ("phq9", "gad7", "pcl5", "madrs", "pain")

#: Indications in the order screens list them, with the scale each course is judged on.
PRIMARY_SCALES: Final[Mapping[str, str]] = MappingProxyType({
    "treatment-resistant depression": "phq9",
    "major depressive disorder": "phq9",
    "bipolar depression": "phq9",
    "PTSD": "pcl5",
    "anxiety": "gad7",
    "suicidal ideation": "phq9",
    "chronic pain": "pain",
})

#: What "evaluable" means, in the words every outcomes screen and export uses.
EVALUABLE_MEANING: Final = (
    "A course is evaluable when it has a baseline score and at least one later score on its "
    "indication's primary scale (PHQ-9 for depression and suicidal ideation, PCL-5 for PTSD, "
    "GAD-7 for anxiety, pain NRS for chronic pain). Response and remission are counted among "
    "evaluable courses, on each course's latest score; courses without those scores are "
    "counted as excluded, never left out."
)


def primary_scale(indication: str) -> str:
    """The scale a course for ``indication`` is judged on ("phq9", "pcl5", "gad7", "pain")."""
    try:
        return PRIMARY_SCALES[indication]
    except KeyError:
        raise ValidationError.single(
            "indication", f"Unknown indication '{indication}'; choose one of: "
            + ", ".join(PRIMARY_SCALES) + ".") from None


# --- one course -----------------------------------------------------------------


@dataclass(frozen=True)
class CourseVisit:
    """One session of a course, in course order, as the outcome rules see it.

    ``scores`` holds the visit's outcome totals by scale code (the first of the
    visit: questionnaires are taken at check-in, before the dose).
    """

    infused: bool  # the dose was started
    scores: Mapping[str, int]


@dataclass(frozen=True)
class CourseOutcome:
    """Where a course stands on one scale."""

    scale: str
    baseline: int
    latest: int
    change: int
    percent_change: Decimal  # negative is improvement; 0 from a baseline of 0
    response: bool
    remission: bool | None  # None: this scale has no remission rule
    no_response_flag: bool
    follow_ups: int = 0  # scores after the baseline
    infusions_since_baseline: int = 0  # infusions given from the baseline visit on

    @property
    def evaluable(self) -> bool:
        """A baseline and at least one later score: the course can be judged."""
        return self.follow_ups >= 1

    @property
    def response_threshold(self) -> Decimal:
        """The score at or below which the course responds (half the baseline)."""
        return Decimal(self.baseline) * RESPONSE_FRACTION


def _responds(score: int, baseline: int) -> bool:
    return baseline > 0 and score * 2 <= baseline


def course_outcome(scale: str, scores: Sequence[int], *,
                   infusions_since_baseline: int) -> CourseOutcome:
    """Judge a series of totals in course order (the first is the baseline).

    Args:
        scale: scale code ("phq9").
        scores: the totals, baseline first.
        infusions_since_baseline: infusions given from the baseline visit on,
            which is what the "no response after 3 infusions" flag counts.
    """
    if not scores:
        raise ValidationError.single("scores", "No scores recorded for this course yet.")
    if infusions_since_baseline < 0:
        raise ValidationError.single("infusions_since_baseline",
                                     "The number of infusions cannot be negative.")
    baseline, latest = scores[0], scores[-1]
    change = latest - baseline
    if baseline > 0:
        percent = (Decimal(change) * 100 / baseline).quantize(Decimal("0.1"), ROUND_HALF_UP)
    else:
        percent = Decimal(0)
    threshold = REMISSION_BELOW.get(scale)
    remission = None if threshold is None else latest < threshold
    follow_ups = scores[1:]
    no_response = (baseline > 0 and infusions_since_baseline >= NO_RESPONSE_AFTER
                   and not any(_responds(s, baseline) for s in follow_ups))
    return CourseOutcome(scale, baseline, latest, change, percent, _responds(latest, baseline),
                         remission, no_response, len(follow_ups), infusions_since_baseline)


def scale_outcome(scale: str, visits: Sequence[CourseVisit]) -> CourseOutcome | None:
    """The outcome on one scale across the course's visits; None when never scored."""
    first = next((i for i, v in enumerate(visits) if scale in v.scores), None)
    if first is None:
        return None
    since = visits[first:]
    scores = [v.scores[scale] for v in since if scale in v.scores]
    infusions = sum(1 for v in since if v.infused)
    return course_outcome(scale, scores, infusions_since_baseline=infusions)


def course_outcomes(visits: Sequence[CourseVisit],
                    scales: Iterable[str] | None = None) -> dict[str, CourseOutcome]:
    """Outcomes by scale for every scale scored (or each of ``scales`` that was), in order."""
    order = list(scales) if scales is not None else list(dict.fromkeys(
        code for v in visits for code in v.scores))
    found = {code: scale_outcome(code, visits) for code in order}
    return {code: outcome for code, outcome in found.items() if outcome is not None}


# --- the clinic -----------------------------------------------------------------


@dataclass(frozen=True)
class CourseResult:
    """One course as the clinic's tally sees it: no names, only what is counted."""

    course_id: int
    patient_id: int
    indication: str
    protocol: str  # the protocol's name as the clinic knows it
    outcomes: Mapping[str, CourseOutcome]  # by scale code; the primary one is looked up

    @property
    def scale(self) -> str:
        """The primary scale of the course's indication."""
        return primary_scale(self.indication)

    @property
    def primary(self) -> CourseOutcome | None:
        """The outcome on the primary scale; None without a baseline on it."""
        return self.outcomes.get(self.scale)


def percent_of(count: int, total: int) -> Decimal | None:
    """``count`` as a percentage of ``total`` to 0.1; None when there is nothing to divide."""
    if total <= 0:
        return None
    return (Decimal(count) * 100 / total).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class OutcomeRow:
    """The tally of one group of courses (an indication, a protocol, or all).

    Percentages are of the evaluable courses; remission is counted only among
    evaluable courses whose primary scale has a remission rule.
    """

    group: str
    scales: tuple[str, ...]  # primary scales of the courses in the row
    courses: int
    patients: int
    evaluable: int
    missing_baseline: int  # no score at all on the primary scale
    missing_follow_up: int  # a baseline, but no later score
    responders: int
    remission_evaluable: int
    remitters: int | None  # None: no course in the row has a remission rule

    @property
    def excluded(self) -> int:
        """Courses that could not be judged for missing scores."""
        return self.missing_baseline + self.missing_follow_up

    @property
    def response_percent(self) -> Decimal | None:
        """Responders as a percentage of evaluable courses."""
        return percent_of(self.responders, self.evaluable)

    @property
    def remission_percent(self) -> Decimal | None:
        """Remitters as a percentage of the evaluable courses with a remission rule."""
        return None if self.remitters is None else percent_of(self.remitters,
                                                               self.remission_evaluable)


@dataclass(frozen=True)
class ClinicOutcomes:
    """Response and remission across the clinic's courses, by indication and by protocol."""

    by_indication: tuple[OutcomeRow, ...]
    by_protocol: tuple[OutcomeRow, ...]
    total: OutcomeRow


def _tally(group: str, courses: Sequence[CourseResult]) -> OutcomeRow:
    judged = [o for o in (c.primary for c in courses) if o is not None and o.evaluable]
    with_rule = [o for o in judged if o.remission is not None]
    has_rule = any(c.scale in REMISSION_BELOW for c in courses)
    return OutcomeRow(
        group=group,
        scales=tuple(dict.fromkeys(c.scale for c in courses)),
        courses=len(courses),
        patients=len({c.patient_id for c in courses}),
        evaluable=len(judged),
        missing_baseline=sum(1 for c in courses if c.primary is None),
        missing_follow_up=sum(1 for c in courses
                              if c.primary is not None and not c.primary.evaluable),
        responders=sum(1 for o in judged if o.response),
        remission_evaluable=len(with_rule),
        remitters=sum(1 for o in with_rule if o.remission) if has_rule else None,
    )


def _grouped(courses: Sequence[CourseResult], key: str,
             order: Sequence[str]) -> tuple[OutcomeRow, ...]:
    groups: dict[str, list[CourseResult]] = {}
    for course in courses:
        groups.setdefault(getattr(course, key), []).append(course)
    rank = {name: i for i, name in enumerate(order)}
    names = sorted(groups, key=lambda n: (rank.get(n, len(rank)), n.casefold()))
    return tuple(_tally(name, groups[name]) for name in names)


def clinic_outcomes(courses: Sequence[CourseResult]) -> ClinicOutcomes:
    """Tally responders and remitters by indication and by protocol, with the excluded.

    Every course given is counted somewhere: as evaluable (then responder or
    not, remitter or not) or as excluded for a missing baseline or follow-up.
    """
    for course in courses:
        primary_scale(course.indication)  # an unknown indication is refused, not dropped
    return ClinicOutcomes(
        by_indication=_grouped(courses, "indication", list(PRIMARY_SCALES)),
        by_protocol=_grouped(courses, "protocol", ()),
        total=_tally("All courses", courses),
    )
