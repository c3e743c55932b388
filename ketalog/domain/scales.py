"""Clinical rating scales: definitions, scoring, severity bands and safety flags.

Every score a nurse or clinician enters (sedation, dissociation, symptom
ratings, discharge readiness, outcome questionnaires) is checked and totalled
here, so the session screen, the course report and the PDF agree on what a
score means. Scoring never guesses: anything that is not a whole number inside
the instrument's range is refused with one message per problem.

Item wording: PHQ-9, GAD-7 and PCL-5 are public domain and quoted. CADSS and
MADRS are copyrighted, so their items carry short paraphrases only; the nurse
asks the questions from the clinic's licensed form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.values import describe_value, int_problem

#: Flag raised when PHQ-9 item 9 (thoughts of death or self-harm) is above 0.
FLAG_SUICIDE_RISK_SCREEN: Final = "suicide_risk_screen"
#: Flag raised when the PCL-5 total reaches the probable-PTSD cut-off.
FLAG_PROBABLE_PTSD: Final = "probable_ptsd"
#: A C-SSRS screen at moderate or high risk: a physician reviews before the infusion.
FLAG_SUICIDE_RISK_REVIEW: Final = "suicide_risk_review"
#: Flag raised when the modified Aldrete total reaches the discharge minimum.
FLAG_DISCHARGE_READY: Final = "discharge_ready"

#: Modified Aldrete total needed for discharge (DESIGN.md "Recovery and discharge").
ALDRETE_DISCHARGE_MINIMUM: Final = 9
#: PCL-5 provisional cut-off. Published guidance gives 31-33; ketalog uses the
#: top of that range so the flag errs towards specificity. A clinic can pass a
#: lower cut-off to :func:`score_scale` / :func:`pcl5_probable_ptsd`.
PCL5_PROBABLE_PTSD_CUTOFF: Final = 33

@dataclass(frozen=True)
class ScaleItem:
    """One question or observation of an instrument, as the nurse sees it."""

    number: int
    text: str
    # Excluded from hashing so definitions stay hashable (e.g. as cache keys).
    anchors: Mapping[int, str] = field(hash=False)


@dataclass(frozen=True)
class Band:
    """A named severity range of totals, so a number reads as a clinical meaning."""

    low: int
    high: int
    label: str


@dataclass(frozen=True)
class ScaleDefinition:
    """Everything needed to show, check and total one instrument."""

    code: str
    name: str
    items: tuple[ScaleItem, ...]
    item_min: int
    item_max: int
    bands: tuple[Band, ...] = ()

    @property
    def max_total(self) -> int:
        """Highest possible total, shown beside the score ("14 / 27")."""
        return self.item_max * len(self.items)

    @property
    def min_total(self) -> int:
        """Lowest possible total."""
        return self.item_min * len(self.items)

    @property
    def item_numbers(self) -> tuple[int, ...]:
        """Item numbers in order, as printed on the instrument."""
        return tuple(item.number for item in self.items)

    def band_for(self, total: int) -> str | None:
        """Severity label of a total, or None when the scale has no bands."""
        for band in self.bands:
            if band.low <= total <= band.high:
                return band.label
        return None


@dataclass(frozen=True)
class ScaleResult:
    """A checked, totalled score with what it means and what to do about it."""

    code: str
    item_scores: tuple[int, ...]
    total: int
    band: str | None
    flags: tuple[str, ...]
    messages: tuple[str, ...]


# --------------------------------------------------------------------------
# Definitions
# --------------------------------------------------------------------------


def _anchors(pairs: Mapping[int, str]) -> Mapping[int, str]:
    return MappingProxyType(dict(pairs))


def _items(
    texts: Sequence[str], anchors: Mapping[int, str], first: int = 1
) -> tuple[ScaleItem, ...]:
    frozen = _anchors(anchors)
    return tuple(ScaleItem(first + i, text, frozen) for i, text in enumerate(texts))


_MOAAS = ScaleDefinition(
    code="moaas",
    name="MOAA/S",
    items=(
        ScaleItem(
            1,
            "Sedation: Modified Observer's Assessment of Alertness/Sedation",
            _anchors(
                {
                    5: "Responds readily to name spoken in normal tone",
                    4: "Lethargic response to name spoken in normal tone",
                    3: "Responds only after name is called loudly or repeatedly",
                    2: "Responds only after mild prodding or shaking",
                    1: "Responds only after painful trapezius squeeze",
                    0: "No response after painful trapezius squeeze",
                }
            ),
        ),
    ),
    item_min=0,
    item_max=5,
)

_CADSS_ANCHORS = {
    0: "Not at all",
    1: "Slightly",
    2: "Moderately",
    3: "Considerably",
    4: "Extremely",
}

# Short paraphrases of the CADSS items (copyrighted; ask from the licensed form).
# Items 1-19 are subject-rated; 20-23 are the clinician's observations.
_CADSS_TEXTS: Final[Mapping[int, str]] = {
    1: "Things seem to move in slow motion",
    2: "Things seem unreal, dreamlike",
    3: "Feels separated from what is happening, as if in a film",
    4: "Sees things as if from outside the body",
    5: "Watches the situation as an onlooker",
    6: "Feels disconnected from own body",
    7: "Sense of own body changed (size or shape)",
    8: "People seem motionless, lifeless or mechanical",
    9: "Objects look different than expected",
    10: "Colours seem less intense",
    11: "Vision as if through a tunnel or wide-angle lens",
    12: "This experience seems to last much longer than expected",
    13: "Things seem to happen very fast",
    14: "Things happen that cannot be accounted for afterwards",
    15: "Spaces out or loses track of what is going on",
    16: "Sounds fade away or become much louder",
    17: "Things seem unusually real or clear",
    18: "World seems seen through a fog",
    19: "Colours seem much brighter",
    20: "Observer: patient seems strange or detached",
    21: "Observer item 21 (wording on the licensed CADSS form)",
    22: "Observer item 22 (wording on the licensed CADSS form)",
    23: "Observer item 23 (wording on the licensed CADSS form)",
}

#: CADSS-23 item numbers kept by the CADSS-6 short form (Rodrigues et al. 2021).
CADSS6_ITEM_NUMBERS: Final = (1, 2, 6, 7, 15, 22)

_CADSS23 = ScaleDefinition(
    code="cadss23",
    name="CADSS-23",
    items=tuple(ScaleItem(n, _CADSS_TEXTS[n], _anchors(_CADSS_ANCHORS)) for n in range(1, 24)),
    item_min=0,
    item_max=4,
)

_CADSS6 = ScaleDefinition(
    code="cadss6",
    name="CADSS-6",
    items=tuple(item for item in _CADSS23.items if item.number in CADSS6_ITEM_NUMBERS),
    item_min=0,
    item_max=4,
)


def _nrs(code: str, name: str, what: str, zero: str, ten: str) -> ScaleDefinition:
    return ScaleDefinition(
        code=code,
        name=name,
        items=(ScaleItem(1, what, _anchors({0: zero, 10: ten})),),
        item_min=0,
        item_max=10,
    )


_NAUSEA = _nrs(
    "nausea", "Nausea", "Nausea right now (0-10)", "No nausea", "Worst nausea imaginable"
)
_ANXIETY = _nrs(
    "anxiety", "Anxiety", "Anxiety right now (0-10)", "No anxiety", "Worst anxiety imaginable"
)
_PAIN = _nrs("pain", "Pain", "Pain right now (0-10)", "No pain", "Worst pain imaginable")

_ALDRETE = ScaleDefinition(
    code="aldrete",
    name="Modified Aldrete",
    items=(
        ScaleItem(
            1,
            "Activity",
            _anchors(
                {
                    2: "Moves all four limbs voluntarily or on command",
                    1: "Moves two limbs",
                    0: "Cannot move any limb",
                }
            ),
        ),
        ScaleItem(
            2,
            "Respiration",
            _anchors(
                {
                    2: "Breathes deeply and coughs freely",
                    1: "Short of breath or shallow, limited breathing",
                    0: "Apnoeic",
                }
            ),
        ),
        ScaleItem(
            3,
            "Circulation",
            _anchors(
                {
                    2: "BP within 20 mmHg of baseline",
                    1: "BP 20-49 mmHg from baseline",
                    0: "BP 50 mmHg or more from baseline",
                }
            ),
        ),
        ScaleItem(
            4,
            "Consciousness",
            _anchors({2: "Fully awake", 1: "Rouses when called", 0: "Not responding"}),
        ),
        ScaleItem(
            5,
            "Oxygen saturation",
            _anchors(
                {
                    2: "SpO2 above 92 % on room air",
                    1: "Needs oxygen to keep SpO2 above 90 %",
                    0: "SpO2 below 90 % even with oxygen",
                }
            ),
        ),
    ),
    item_min=0,
    item_max=2,
)

_FREQUENCY_ANCHORS = {
    0: "Not at all",
    1: "Several days",
    2: "More than half the days",
    3: "Nearly every day",
}

_PHQ9 = ScaleDefinition(
    code="phq9",
    name="PHQ-9",
    items=_items(
        (
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself - or that you are a failure or have let yourself "
            "or your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed? Or the "
            "opposite - being so fidgety or restless that you have been moving around a lot "
            "more than usual",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ),
        _FREQUENCY_ANCHORS,
    ),
    item_min=0,
    item_max=3,
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 19, "moderately severe"),
        Band(20, 27, "severe"),
    ),
)

_GAD7 = ScaleDefinition(
    code="gad7",
    name="GAD-7",
    items=_items(
        (
            "Feeling nervous, anxious or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid as if something awful might happen",
        ),
        _FREQUENCY_ANCHORS,
    ),
    item_min=0,
    item_max=3,
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 21, "severe"),
    ),
)

_PCL5 = ScaleDefinition(
    code="pcl5",
    name="PCL-5",
    items=_items(
        (
            "Repeated, disturbing, and unwanted memories of the stressful experience",
            "Repeated, disturbing dreams of the stressful experience",
            "Suddenly feeling or acting as if the stressful experience were actually happening "
            "again (as if you were actually back there reliving it)",
            "Feeling very upset when something reminded you of the stressful experience",
            "Having strong physical reactions when something reminded you of the stressful "
            "experience (for example, heart pounding, trouble breathing, sweating)",
            "Avoiding memories, thoughts, or feelings related to the stressful experience",
            "Avoiding external reminders of the stressful experience (for example, people, "
            "places, conversations, activities, objects, or situations)",
            "Trouble remembering important parts of the stressful experience",
            "Having strong negative beliefs about yourself, other people, or the world (for "
            "example, having thoughts such as: I am bad, there is something seriously wrong "
            "with me, no one can be trusted, the world is completely dangerous)",
            "Blaming yourself or someone else for the stressful experience or what happened "
            "after it",
            "Having strong negative feelings such as fear, horror, anger, guilt, or shame",
            "Loss of interest in activities that you used to enjoy",
            "Feeling distant or cut off from other people",
            "Trouble experiencing positive feelings (for example, being unable to feel "
            "happiness or have loving feelings for people close to you)",
            "Irritable behavior, angry outbursts, or acting aggressively",
            "Taking too many risks or doing things that could cause you harm",
            'Being "superalert" or watchful or on guard',
            "Feeling jumpy or easily startled",
            "Having difficulty concentrating",
            "Trouble falling or staying asleep",
        ),
        {0: "Not at all", 1: "A little bit", 2: "Moderately", 3: "Quite a bit", 4: "Extremely"},
    ),
    item_min=0,
    item_max=4,
)

# MADRS is copyrighted: item titles only, with generic anchors; the clinician
# rates from the full item descriptions on the licensed form.
_MADRS = ScaleDefinition(
    code="madrs",
    name="MADRS",
    items=_items(
        (
            "Apparent sadness",
            "Reported sadness",
            "Inner tension",
            "Reduced sleep",
            "Reduced appetite",
            "Concentration difficulties",
            "Lassitude",
            "Inability to feel",
            "Pessimistic thoughts",
            "Suicidal thoughts",
        ),
        {
            0: "Absent / normal",
            1: "Between 0 and 2",
            2: "Mild",
            3: "Between 2 and 4",
            4: "Moderate",
            5: "Between 4 and 6",
            6: "Severe / extreme",
        },
    ),
    item_min=0,
    item_max=6,
    bands=(
        Band(0, 6, "normal"),
        Band(7, 19, "mild"),
        Band(20, 34, "moderate"),
        Band(35, 60, "severe"),
    ),
)

# C-SSRS screener, "since last visit" wording (Columbia Lighthouse Project; free
# for clinical use). Items 3-5 are asked only when item 2 is yes: the nurse
# records "No" for a question not asked. Item 6 asks about the past 3 months.
_CSSRS = ScaleDefinition(
    code="cssrs",
    name="C-SSRS screen",
    items=_items(
        (
            "Have you wished you were dead or wished you could go to sleep and not wake up?",
            "Have you actually had any thoughts about killing yourself?",
            "Have you been thinking about how you might do this?",
            "Have you had these thoughts and had some intention of acting on them?",
            "Have you started to work out or worked out the details of how to kill "
            "yourself? Did you intend to carry out this plan?",
            "In the past 3 months, have you done anything, started to do anything, or "
            "prepared to do anything to end your life?",
        ),
        {0: "No", 1: "Yes"},
    ),
    item_min=0,
    item_max=1,
)

#: C-SSRS screener risk levels, lowest first.
CSSRS_RISK_LEVELS: Final = ("no risk identified", "low risk", "moderate risk", "high risk")


def cssrs_risk(item_scores: Sequence[int]) -> str:
    """The screener's risk level from its six yes/no answers (1 = yes).

    Columbia's triage: yes to item 4, 5 or 6 (behaviour in the past 3 months)
    is high risk; yes to item 3 is moderate; yes to item 1 or 2 only is low.
    """
    yes = {number for number, value in enumerate(item_scores, start=1) if value}
    if yes & {4, 5, 6}:
        return CSSRS_RISK_LEVELS[3]
    if 3 in yes:
        return CSSRS_RISK_LEVELS[2]
    if yes & {1, 2}:
        return CSSRS_RISK_LEVELS[1]
    return CSSRS_RISK_LEVELS[0]


def check_in_measures(indication: str | None) -> tuple[str, ...]:
    """The measures offered at check-in for a course's indication, in order.

    PHQ-9 and GAD-7 for every course, PCL-5 for PTSD, the pain NRS for chronic
    pain, MADRS when a clinician rates it, and the C-SSRS screen (needed when
    PHQ-9 item 9 is above 0).
    """
    words = (indication or "").lower()
    codes = ["phq9", "gad7"]
    if "ptsd" in words:
        codes.append("pcl5")
    if "pain" in words:
        codes.append("pain")
    codes += ["madrs", "cssrs"]
    return tuple(codes)


#: Every instrument ketalog scores, by code.
SCALES: Final[Mapping[str, ScaleDefinition]] = MappingProxyType(
    {
        scale.code: scale
        for scale in (
            _MOAAS,
            _CADSS6,
            _CADSS23,
            _NAUSEA,
            _ANXIETY,
            _PAIN,
            _ALDRETE,
            _PHQ9,
            _GAD7,
            _PCL5,
            _MADRS,
            _CSSRS,
        )
    }
)


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------


_describe = describe_value


def _lookup_key(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


_LOOKUP: Final[Mapping[str, ScaleDefinition]] = MappingProxyType(
    {
        **{_lookup_key(s.name): s for s in SCALES.values()},
        **{_lookup_key(s.code): s for s in SCALES.values()},
    }
)


def get_scale(code: object) -> ScaleDefinition:
    """Find a scale by code or printed name ("PHQ-9", "phq9"), or refuse clearly.

    Case, spaces, hyphens and slashes are ignored so a code typed from a paper
    form or a stored name still finds its instrument.
    """
    known = ", ".join(SCALES)
    if not isinstance(code, str) or not code.strip():
        raise ValidationError.single("scale", f"Choose a rating scale ({known}).")
    scale = _LOOKUP.get(_lookup_key(code))
    if scale is None:
        raise ValidationError.single(
            "scale", f"Unknown rating scale {_describe(code)}; choose one of {known}."
        )
    return scale


def _item_label(scale: ScaleDefinition, item: ScaleItem) -> str:
    if len(scale.items) == 1:
        return scale.name
    if scale.code == "aldrete":
        return f"Aldrete {item.text.lower()}"
    return f"{scale.name} item {item.number}"


def _range_text(scale: ScaleDefinition) -> str:
    if len(scale.items) == 1:
        return f"score {scale.item_min}-{scale.item_max}"
    return f"score each item {scale.item_min}-{scale.item_max}"


def _numbers_text(scale: ScaleDefinition) -> str:
    numbers = scale.item_numbers
    if len(numbers) == 1:
        return f"its only item is {numbers[0]}"
    if numbers == tuple(range(numbers[0], numbers[0] + len(numbers))):
        return f"its items are {numbers[0]}-{numbers[-1]}"
    return "its items are " + ", ".join(str(n) for n in numbers)


def _field(scale: ScaleDefinition, item: ScaleItem) -> str:
    return f"{scale.code}.item_{item.number}"


_parse_int = int_problem


def _score_problem(
    scale: ScaleDefinition, item: ScaleItem, value: object
) -> tuple[int, Problem | None]:
    """Check one item score; return it (0 when refused) and the problem, if any."""
    label = _item_label(scale, item)
    where = _field(scale, item)
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0, Problem(where, f"{label} is missing; {_range_text(scale)}.")
    number, problem = _parse_int(value, label, where)
    if problem is not None or number is None:
        return 0, problem or Problem(where, f"{label} must be a number.")
    if not scale.item_min <= number <= scale.item_max:
        return 0, Problem(where, f"{label} is {number}; {_range_text(scale)}.")
    return number, None


def _item_number(key: object) -> int | None:
    """Read a mapping key as an item number (1, "1", " 1 "); None if it is not one."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    if isinstance(key, str) and key.strip().isdecimal() and len(key.strip()) <= 4:
        return int(key.strip())
    return None


def _values_from_mapping(
    scale: ScaleDefinition, given: Mapping[int, object], problems: list[Problem]
) -> list[object]:
    by_number: dict[int, object] = {}
    unknown: list[str] = []
    wanted = set(scale.item_numbers)
    for key, value in given.items():
        number = _item_number(key)
        if number is None or number not in wanted:
            unknown.append(_describe(key))
        elif number in by_number:
            problems.append(
                Problem(
                    f"{scale.code}.item_{number}",
                    f"{scale.name} item {number} is given twice; keep one score.",
                )
            )
        else:
            by_number[number] = value
    if unknown:
        shown = ", ".join(unknown[:5])
        more = f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else ""
        noun = "item" if len(unknown) == 1 else "items"
        problems.append(
            Problem(
                f"{scale.code}.items",
                f"{scale.name} has no {noun} {shown}{more}; {_numbers_text(scale)}.",
            )
        )
    # A missing item reads as None, so it gets the "is missing" message.
    return [by_number.get(item.number) for item in scale.items]


def _values_from_sequence(
    scale: ScaleDefinition, given: Sequence[object], problems: list[Problem]
) -> list[object]:
    count = len(scale.items)
    if len(given) != count:
        what = "1 score" if count == 1 else f"{count} item scores, in item order"
        problems.append(
            Problem(f"{scale.code}.items", f"{scale.name} needs {what}; got {len(given)}.")
        )
        # Check the scores that were given so every problem shows at once, but
        # do not also call the missing ones "missing": the count says it.
        return [given[i] for i in range(min(count, len(given)))]
    return [given[i] for i in range(count)]


def _check_threshold(
    value: object, label: str, where: str, high: int
) -> tuple[int, Problem | None]:
    number, problem = _parse_int(value, label, where)
    if problem is not None or number is None:
        return 0, problem or Problem(where, f"{label} must be a whole number 0-{high}.")
    if not 0 <= number <= high:
        return 0, Problem(where, f"{label} is {number}; it must be 0-{high}.")
    return number, None


def aldrete_discharge_ready(total: int, minimum: int = ALDRETE_DISCHARGE_MINIMUM) -> bool:
    """Say whether a modified Aldrete total meets the clinic's discharge minimum.

    The minimum is a clinic setting (DESIGN.md: 9 by default), so it is a
    parameter rather than a constant buried in the scoring.
    """
    checked_total, p1 = _check_threshold(total, "Modified Aldrete total", "aldrete.total", 10)
    checked_min, p2 = _check_threshold(minimum, "Aldrete discharge minimum", "aldrete.minimum", 10)
    problems = [p for p in (p1, p2) if p is not None]
    if problems:
        raise ValidationError(problems)
    return checked_total >= checked_min


def pcl5_probable_ptsd(total: int, cutoff: int = PCL5_PROBABLE_PTSD_CUTOFF) -> bool:
    """Say whether a PCL-5 total reaches the provisional probable-PTSD cut-off.

    The literature gives 31-33; the default 33 is the conservative end and a
    clinic may pass its own. A positive screen still needs a clinical interview.
    """
    checked_total, p1 = _check_threshold(total, "PCL-5 total", "pcl5.total", 80)
    checked_cut, p2 = _check_threshold(cutoff, "PCL-5 cut-off", "pcl5.cutoff", 80)
    problems = [p for p in (p1, p2) if p is not None]
    if problems:
        raise ValidationError(problems)
    return checked_total >= checked_cut


def _flags(
    scale: ScaleDefinition,
    scores: tuple[int, ...],
    total: int,
    aldrete_minimum: int,
    pcl5_cutoff: int,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    flags: list[str] = []
    messages: list[str] = []
    if scale.code == "phq9" and scores[8] > 0:
        flags.append(FLAG_SUICIDE_RISK_SCREEN)
        messages.append(
            f"PHQ-9 item 9 is {scores[8]}: complete a suicide-risk screen (C-SSRS) "
            "and tell the physician."
        )
    elif scale.code == "cssrs" and cssrs_risk(scores) in CSSRS_RISK_LEVELS[2:]:
        flags.append(FLAG_SUICIDE_RISK_REVIEW)
        messages.append(
            f"C-SSRS screen: {cssrs_risk(scores)}. A physician must review the patient "
            "before the infusion starts."
        )
    elif scale.code == "pcl5" and pcl5_probable_ptsd(total, pcl5_cutoff):
        flags.append(FLAG_PROBABLE_PTSD)
        messages.append(
            f"PCL-5 total is {total} (cut-off {pcl5_cutoff}): probable PTSD; "
            "tell the physician so it can be confirmed by clinical interview."
        )
    elif scale.code == "aldrete" and aldrete_discharge_ready(total, aldrete_minimum):
        flags.append(FLAG_DISCHARGE_READY)
        messages.append(
            f"Modified Aldrete is {total} (at least {aldrete_minimum} needed): ready for "
            "discharge once the other discharge checks are met."
        )
    return tuple(flags), tuple(messages)


def score_scale(
    code: str,
    items: Sequence[object] | Mapping[int, object],
    *,
    aldrete_minimum: int = ALDRETE_DISCHARGE_MINIMUM,
    pcl5_cutoff: int = PCL5_PROBABLE_PTSD_CUTOFF,
) -> ScaleResult:
    """Check and total one completed instrument, with its band and safety flags.

    Args:
        code: scale code or printed name ("phq9", "PHQ-9").
        items: the scores either as a sequence in item order (exactly one per
            item) or as a mapping of item number to score (every item
            required; numeric-string keys such as ``"7"`` are accepted). Scores
            may be ints, whole floats or numeric strings, as forms deliver them.
        aldrete_minimum: clinic setting for the ``discharge_ready`` flag.
        pcl5_cutoff: clinic setting for the ``probable_ptsd`` flag.

    Raises:
        ValidationError: listing every problem found (unknown scale, wrong
            number of scores, unknown item numbers, scores missing, not whole
            numbers or out of range, bad settings).
    """
    scale = get_scale(code)
    problems: list[Problem] = []

    values: list[object]
    if isinstance(items, Mapping):
        values = _values_from_mapping(scale, items, problems)
    elif isinstance(items, Sequence) and not isinstance(items, str | bytes | bytearray):
        values = _values_from_sequence(scale, items, problems)
    else:
        problems.append(
            Problem(
                f"{scale.code}.items",
                f"{scale.name} scores must be a list in item order or a mapping of item "
                f"number to score, not {_describe(items)}.",
            )
        )
        values = []

    scores: list[int] = []
    for item, value in zip(scale.items, values, strict=False):
        number, problem = _score_problem(scale, item, value)
        scores.append(number)
        if problem is not None:
            problems.append(problem)
    minimum, p = _check_threshold(
        aldrete_minimum, "Aldrete discharge minimum", "aldrete.minimum", 10
    )
    problems.extend([p] if p is not None else [])
    cutoff, p = _check_threshold(pcl5_cutoff, "PCL-5 cut-off", "pcl5.cutoff", 80)
    problems.extend([p] if p is not None else [])
    if problems:
        raise ValidationError(problems)

    item_scores = tuple(scores)
    total = sum(item_scores)
    flags, messages = _flags(scale, item_scores, total, minimum, cutoff)
    return ScaleResult(
        code=scale.code,
        item_scores=item_scores,
        total=total,
        band=cssrs_risk(item_scores) if scale.code == "cssrs" else scale.band_for(total),
        flags=flags,
        messages=messages,
    )


#: Questions asked only after a given answer: scale -> (item, answer that skips, skipped
#: items). C-SSRS: items 3-5 are asked only when item 2 is yes; "No" is recorded for
#: a question not asked (Columbia's screener instructions).
SKIP_RULES: Final[Mapping[str, tuple[tuple[int, int, tuple[int, ...]], ...]]] = {
    "cssrs": ((2, 0, (3, 4, 5)),),
}


def skipped_items(code: str, values: Mapping[int, int | None]) -> dict[int, int]:
    """Items not asked given the answers so far, each with the value recorded for it.

    ``values`` maps item number to the answer given (None: not yet answered).
    """
    skipped: dict[int, int] = {}
    for item, answer, items in SKIP_RULES.get(code, ()):
        if values.get(item) == answer:
            for number in items:
                skipped[number] = 0
    return skipped
