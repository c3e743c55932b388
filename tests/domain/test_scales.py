"""Scale definitions, scoring, bands and flags; bad input only ever raises ValidationError."""

from __future__ import annotations

import math
import subprocess
import sys
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketalog.domain.errors import ValidationError
from ketalog.domain.scales import (
    ALDRETE_DISCHARGE_MINIMUM,
    CADSS6_ITEM_NUMBERS,
    FLAG_DISCHARGE_READY,
    FLAG_PROBABLE_PTSD,
    FLAG_SUICIDE_RISK_SCREEN,
    PCL5_PROBABLE_PTSD_CUTOFF,
    SCALES,
    ScaleResult,
    aldrete_discharge_ready,
    cssrs_risk,
    get_scale,
    pcl5_probable_ptsd,
    score_scale,
)

# --------------------------------------------------------------------------
# Definitions match DESIGN.md
# --------------------------------------------------------------------------

EXPECTED = {
    # code: (name, item count, item_min, item_max, max_total)
    "moaas": ("MOAA/S", 1, 0, 5, 5),
    "cadss6": ("CADSS-6", 6, 0, 4, 24),
    "cadss23": ("CADSS-23", 23, 0, 4, 92),
    "nausea": ("Nausea", 1, 0, 10, 10),
    "anxiety": ("Anxiety", 1, 0, 10, 10),
    "pain": ("Pain", 1, 0, 10, 10),
    "aldrete": ("Modified Aldrete", 5, 0, 2, 10),
    "phq9": ("PHQ-9", 9, 0, 3, 27),
    "gad7": ("GAD-7", 7, 0, 3, 21),
    "pcl5": ("PCL-5", 20, 0, 4, 80),
    "madrs": ("MADRS", 10, 0, 6, 60),
    "cssrs": ("C-SSRS screen", 6, 0, 1, 6),
}


def test_every_scale_from_the_design_is_defined() -> None:
    assert set(SCALES) == set(EXPECTED)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_definition_shape(code: str) -> None:
    name, count, low, high, max_total = EXPECTED[code]
    scale = SCALES[code]
    assert scale.code == code
    assert scale.name == name
    assert len(scale.items) == count
    assert (scale.item_min, scale.item_max) == (low, high)
    assert scale.max_total == max_total
    assert scale.min_total == 0
    numbers = [item.number for item in scale.items]
    assert numbers == sorted(set(numbers)), "item numbers unique and in order"
    for item in scale.items:
        assert item.text.strip()
        assert item.anchors, f"{code} item {item.number} has anchors"
        assert all(low <= score <= high for score in item.anchors)
        assert all(text.strip() for text in item.anchors.values())


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_bands_are_contiguous_and_cover_every_total(code: str) -> None:
    scale = SCALES[code]
    if not scale.bands:
        assert all(scale.band_for(t) is None for t in range(scale.max_total + 1))
        return
    assert scale.bands[0].low == scale.min_total
    assert scale.bands[-1].high == scale.max_total
    for before, after in zip(scale.bands, scale.bands[1:], strict=False):
        assert after.low == before.high + 1
    assert all(scale.band_for(t) is not None for t in range(scale.max_total + 1))


def test_cadss6_keeps_the_cadss23_numbers_and_wording() -> None:
    assert SCALES["cadss6"].item_numbers == CADSS6_ITEM_NUMBERS == (1, 2, 6, 7, 15, 22)
    full = {item.number: item for item in SCALES["cadss23"].items}
    for item in SCALES["cadss6"].items:
        assert item == full[item.number]
    assert SCALES["cadss23"].item_numbers == tuple(range(1, 24))
    assert dict(SCALES["cadss6"].items[0].anchors) == {
        0: "Not at all",
        1: "Slightly",
        2: "Moderately",
        3: "Considerably",
        4: "Extremely",
    }


def test_moaas_has_all_six_anchors() -> None:
    anchors = SCALES["moaas"].items[0].anchors
    assert sorted(anchors) == [0, 1, 2, 3, 4, 5]
    assert "normal tone" in anchors[5]
    assert "trapezius" in anchors[1]
    assert anchors[0].startswith("No response")


def test_aldrete_items_and_key_anchors() -> None:
    items = SCALES["aldrete"].items
    assert [i.text for i in items] == [
        "Activity",
        "Respiration",
        "Circulation",
        "Consciousness",
        "Oxygen saturation",
    ]
    assert all(sorted(i.anchors) == [0, 1, 2] for i in items)
    assert "20 mmHg of baseline" in items[2].anchors[2]
    assert "92 % on room air" in items[4].anchors[2]


def test_phq9_item9_is_the_self_harm_question() -> None:
    assert "better off dead" in SCALES["phq9"].items[8].text


def test_definitions_are_read_only_and_hashable() -> None:
    assert isinstance(SCALES, MappingProxyType)
    writable: Any = SCALES
    with pytest.raises(TypeError):
        writable["x"] = SCALES["phq9"]
    anchors: Any = SCALES["phq9"].items[0].anchors
    with pytest.raises(TypeError):
        anchors[0] = "x"
    assert len({hash(s) for s in SCALES.values()}) == len(SCALES)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("PHQ-9", "phq9"),
        ("phq9", "phq9"),
        (" Phq 9 ", "phq9"),
        ("MOAA/S", "moaas"),
        ("Modified Aldrete", "aldrete"),
        ("CADSS-6", "cadss6"),
        ("gad_7", "gad7"),
    ],
)
def test_get_scale_accepts_codes_and_printed_names(text: str, code: str) -> None:
    assert get_scale(text).code == code


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------


def test_phq9_total_band_and_suicide_flag() -> None:
    result = score_scale("phq9", [3, 3, 3, 3, 3, 2, 1, 0, 2])
    assert result == ScaleResult(
        code="phq9",
        item_scores=(3, 3, 3, 3, 3, 2, 1, 0, 2),
        total=20,
        band="severe",
        flags=(FLAG_SUICIDE_RISK_SCREEN,),
        messages=(
            "PHQ-9 item 9 is 2: complete a suicide-risk screen (C-SSRS) and tell the physician.",
        ),
    )


def test_phq9_item9_zero_raises_no_flag_even_when_severe() -> None:
    result = score_scale("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0])
    assert result.total == 24
    assert result.flags == ()
    assert result.messages == ()


@pytest.mark.parametrize(
    ("code", "total", "band"),
    [
        ("phq9", 0, "minimal"),
        ("phq9", 4, "minimal"),
        ("phq9", 5, "mild"),
        ("phq9", 9, "mild"),
        ("phq9", 10, "moderate"),
        ("phq9", 14, "moderate"),
        ("phq9", 15, "moderately severe"),
        ("phq9", 19, "moderately severe"),
        ("phq9", 20, "severe"),
        ("phq9", 27, "severe"),
        ("gad7", 4, "minimal"),
        ("gad7", 5, "mild"),
        ("gad7", 9, "mild"),
        ("gad7", 10, "moderate"),
        ("gad7", 14, "moderate"),
        ("gad7", 15, "severe"),
        ("gad7", 21, "severe"),
        ("madrs", 6, "normal"),
        ("madrs", 7, "mild"),
        ("madrs", 19, "mild"),
        ("madrs", 20, "moderate"),
        ("madrs", 34, "moderate"),
        ("madrs", 35, "severe"),
        ("madrs", 60, "severe"),
    ],
)
def test_band_edges(code: str, total: int, band: str) -> None:
    scale = SCALES[code]
    scores = _spread(total, len(scale.items), scale.item_max)
    result = score_scale(code, scores)
    assert result.total == total
    assert result.band == band


def _spread(total: int, count: int, item_max: int) -> list[int]:
    """Item scores summing to ``total``, filled from the first item."""
    scores = []
    for _ in range(count):
        take = min(item_max, total)
        scores.append(take)
        total -= take
    assert total == 0
    return scores


@pytest.mark.parametrize(("total", "flagged"), [(32, False), (33, True), (80, True), (0, False)])
def test_pcl5_probable_ptsd_at_default_cutoff_33(total: int, flagged: bool) -> None:
    result = score_scale("pcl5", _spread(total, 20, 4))
    assert (FLAG_PROBABLE_PTSD in result.flags) is flagged
    assert result.band is None
    if flagged:
        assert result.messages == (
            f"PCL-5 total is {total} (cut-off 33): probable PTSD; tell the physician so it "
            "can be confirmed by clinical interview.",
        )


def test_pcl5_cutoff_is_a_clinic_setting() -> None:
    scores = _spread(31, 20, 4)
    assert score_scale("pcl5", scores).flags == ()
    assert score_scale("pcl5", scores, pcl5_cutoff=31).flags == (FLAG_PROBABLE_PTSD,)
    assert PCL5_PROBABLE_PTSD_CUTOFF == 33
    assert pcl5_probable_ptsd(33) and not pcl5_probable_ptsd(32)
    assert pcl5_probable_ptsd(31, cutoff=31)


@pytest.mark.parametrize(
    ("scores", "ready"),
    [([2, 2, 2, 2, 1], True), ([2, 2, 2, 1, 1], False), ([2, 2, 2, 2, 2], True), ([0] * 5, False)],
)
def test_aldrete_discharge_ready_at_9(scores: list[int], ready: bool) -> None:
    result = score_scale("aldrete", scores)
    assert result.total == sum(scores)
    assert result.band is None
    assert (result.flags == (FLAG_DISCHARGE_READY,)) is ready
    if ready:
        assert result.messages == (
            f"Modified Aldrete is {sum(scores)} (at least 9 needed): ready for discharge "
            "once the other discharge checks are met.",
        )


def test_aldrete_minimum_is_a_parameter() -> None:
    assert ALDRETE_DISCHARGE_MINIMUM == 9
    assert aldrete_discharge_ready(9)
    assert not aldrete_discharge_ready(8)
    assert aldrete_discharge_ready(8, minimum=8)
    assert not aldrete_discharge_ready(9, minimum=10)
    assert score_scale("aldrete", [2, 2, 2, 1, 1], aldrete_minimum=8).flags == (
        FLAG_DISCHARGE_READY,
    )


@pytest.mark.parametrize(
    ("total", "minimum", "message"),
    [
        (11, 9, "Modified Aldrete total is 11; it must be 0-10."),
        (9, 12, "Aldrete discharge minimum is 12; it must be 0-10."),
        (None, 9, "Modified Aldrete total is missing; enter a number."),
        (True, 9, "Modified Aldrete total must be a number, not True."),
        (9.5, 9, "Modified Aldrete total must be a whole number, not 9.5."),
        (10**5000, 9, "Modified Aldrete total is far too large to be a clinical value."),
    ],
    ids=["high", "minimum", "none", "bool", "fraction", "huge"],
)
def test_aldrete_helper_refuses_bad_input(total: object, minimum: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        aldrete_discharge_ready(total, minimum)  # type: ignore[arg-type]
    assert info.value.messages == [message]


def test_pcl5_helper_refuses_bad_input() -> None:
    with pytest.raises(ValidationError) as info:
        pcl5_probable_ptsd(81, cutoff=-1)
    assert info.value.messages == [
        "PCL-5 total is 81; it must be 0-80.",
        "PCL-5 cut-off is -1; it must be 0-80.",
    ]


def test_bad_settings_in_score_scale_are_refused_with_item_problems() -> None:
    with pytest.raises(ValidationError) as info:
        score_scale("aldrete", [2, 2, 2, 2, 3], aldrete_minimum=11, pcl5_cutoff="x")  # type: ignore[arg-type]
    assert info.value.messages == [
        "Aldrete oxygen saturation is 3; score each item 0-2.",
        "Aldrete discharge minimum is 11; it must be 0-10.",
        'PCL-5 cut-off must be a number, not "x".',
    ]


@pytest.mark.parametrize(
    "code", ["moaas", "nausea", "anxiety", "pain", "cadss6", "cadss23", "gad7", "madrs"]
)
def test_scales_without_flags_never_flag(code: str) -> None:
    scale = SCALES[code]
    for scores in ([scale.item_min] * len(scale.items), [scale.item_max] * len(scale.items)):
        result = score_scale(code, scores)
        assert result.flags == () and result.messages == ()


def test_mapping_and_sequence_give_the_same_result() -> None:
    scores = [1, 0, 3, 2, 4, 1]
    by_number = dict(zip(CADSS6_ITEM_NUMBERS, scores, strict=True))
    from_list = score_scale("cadss6", scores)
    assert score_scale("cadss6", by_number) == from_list
    keyed_by_text: Any = {str(k): v for k, v in by_number.items()}
    assert score_scale("cadss6", keyed_by_text) == from_list
    assert from_list.total == 11
    assert from_list.item_scores == tuple(scores)


def test_form_values_are_accepted_when_they_are_whole_numbers() -> None:
    result = score_scale("gad7", ["3", " 2 ", 1.0, Decimal("0"), "1,0", 2, "0"])
    assert result.item_scores == (3, 2, 1, 0, 1, 2, 0)
    assert result.total == 9
    assert result.band == "mild"


def test_single_item_scales_score_a_one_element_list() -> None:
    assert score_scale("nausea", [7]).total == 7
    assert score_scale("moaas", {1: 3}).item_scores == (3,)
    assert score_scale("pain", ("10",)).total == 10


# --------------------------------------------------------------------------
# Refusals: messages a nurse can act on, every problem at once
# --------------------------------------------------------------------------


def _messages(code: object, items: object, **kwargs: object) -> list[str]:
    with pytest.raises(ValidationError) as info:
        score_scale(code, items, **kwargs)  # type: ignore[arg-type]
    return info.value.messages


def test_out_of_range_item_names_item_and_range() -> None:
    assert _messages("cadss6", [0, 0, 0, 5, 0, 0]) == ["CADSS-6 item 7 is 5; score each item 0-4."]
    assert _messages("cadss23", [0] * 22 + [-1]) == ["CADSS-23 item 23 is -1; score each item 0-4."]


def test_single_item_messages_use_the_scale_name() -> None:
    assert _messages("nausea", [11]) == ["Nausea is 11; score 0-10."]
    assert _messages("moaas", [6]) == ["MOAA/S is 6; score 0-5."]
    assert _messages("moaas", [None]) == ["MOAA/S is missing; score 0-5."]
    assert _messages("pain", [""]) == ["Pain is missing; score 0-10."]


def test_every_bad_item_is_reported_at_once() -> None:
    assert _messages("aldrete", [3, None, "x", 1.5, float("nan")]) == [
        "Aldrete activity is 3; score each item 0-2.",
        "Aldrete respiration is missing; score each item 0-2.",
        'Aldrete circulation must be a number, not "x".',
        "Aldrete consciousness must be a whole number, not 1.5.",
        "Aldrete oxygen saturation must be a finite number.",
    ]


def test_problem_fields_point_at_the_item() -> None:
    with pytest.raises(ValidationError) as info:
        score_scale("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 4])
    assert [p.field for p in info.value.problems] == ["phq9.item_9"]


def test_wrong_length_is_reported_with_the_values_that_were_given() -> None:
    assert _messages("phq9", [1, 2]) == ["PHQ-9 needs 9 item scores, in item order; got 2."]
    assert _messages("phq9", [9] + [0] * 9) == [
        "PHQ-9 needs 9 item scores, in item order; got 10.",
        "PHQ-9 item 1 is 9; score each item 0-3.",
    ]
    assert _messages("nausea", []) == ["Nausea needs 1 score; got 0."]


def test_mapping_with_unknown_duplicate_and_missing_items() -> None:
    assert _messages("cadss6", {1: 0, 2: 0, 6: 0, 7: 0, 15: 0, 3: 1, "x": 2}) == [
        "CADSS-6 has no items 3, \"x\"; its items are 1, 2, 6, 7, 15, 22.",
        "CADSS-6 item 22 is missing; score each item 0-4.",
    ]
    assert _messages("moaas", {1: 3, "1": 3}) == ["MOAA/S item 1 is given twice; keep one score."]
    assert _messages("madrs", {n: 0 for n in range(1, 11)} | {None: 2, 1.0 + 0.5: 1}) == [
        "MADRS has no items None, 1.5; its items are 1-10.",
    ]
    assert _messages("moaas", {True: 3}) == [
        "MOAA/S has no item True; its only item is 1.",
        "MOAA/S is missing; score 0-5.",
    ]


def test_many_unknown_keys_are_summarised() -> None:
    given: dict[object, object] = {n: 0 for n in range(1, 10)}
    given.update({n: 0 for n in range(100, 200)})
    assert _messages("phq9", given) == [
        "PHQ-9 has no items 100, 101, 102, 103, 104 (and 95 more); its items are 1-9.",
    ]


@pytest.mark.parametrize("items", ["0123", b"\x00", None, 5, 2.0, {1, 2}, object()])
def test_items_of_the_wrong_kind_are_refused(items: object) -> None:
    (message,) = _messages("phq9", items)
    assert message.startswith(
        "PHQ-9 scores must be a list in item order or a mapping of item number to score, not "
    )


@pytest.mark.parametrize("code", ["foo", "", "   ", None, 9, ["phq9"], {"a": 1}])
def test_unknown_scale_is_refused(code: object) -> None:
    (message,) = _messages(code, [0])
    assert "moaas, cadss6, cadss23" in message
    assert message.startswith(("Unknown rating scale", "Choose a rating scale"))


def test_huge_numbers_do_not_crash() -> None:
    assert _messages("nausea", [10**5000]) == ["Nausea is far too large to be a clinical value."]
    assert _messages("nausea", [[10**5000]]) == [
        "Nausea must be a number, not a list that cannot be shown."
    ]
    assert _messages("nausea", [1e300]) == ["Nausea is far too large to be a clinical value."]
    assert _messages("nausea", [-math.inf]) == ["Nausea must be a finite number."]


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

_codes = st.sampled_from(sorted(SCALES))

_junk_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**6000), max_value=10**6000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.binary(max_size=5),
    st.integers(0, 6).map(str),
    st.floats(0, 6).map(str),
)
_junk_value = st.recursive(
    _junk_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.integers(), st.text(max_size=3)), inner, max_size=3),
    ),
    max_leaves=8,
)
_junk_key = st.one_of(
    st.integers(-5, 30),
    st.integers(),
    st.text(max_size=4),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.tuples(st.integers(), st.integers()),
)
_junk_items = st.one_of(
    _junk_value,
    st.lists(_junk_value, max_size=30),
    st.lists(st.integers(-2, 8), max_size=30),
    st.dictionaries(_junk_key, _junk_value, max_size=30),
    st.dictionaries(st.integers(0, 25), st.integers(-2, 8), max_size=30),
)


def _check_result(code: str, result: ScaleResult) -> None:
    scale = SCALES[code]
    assert result.code == scale.code
    assert len(result.item_scores) == len(scale.items)
    assert all(type(s) is int and scale.item_min <= s <= scale.item_max for s in result.item_scores)
    assert result.total == sum(result.item_scores)
    assert scale.min_total <= result.total <= scale.max_total
    if code == "cssrs":  # the screener's band is its risk level, not a total range
        assert result.band == cssrs_risk(result.item_scores)
    else:
        assert result.band == scale.band_for(result.total)
    assert len(result.flags) == len(result.messages)


@settings(max_examples=400)
@given(code=st.one_of(_codes, _junk_value), items=_junk_items)
def test_any_input_scores_or_raises_validation_error(code: object, items: object) -> None:
    try:
        result = score_scale(code, items)  # type: ignore[arg-type]
    except ValidationError as error:
        assert error.problems
        assert all(p.message.strip() and p.message.endswith(".") for p in error.problems)
    else:
        assert isinstance(code, str)
        _check_result(get_scale(code).code, result)


@given(data=st.data(), code=_codes)
def test_valid_scores_always_score_the_same_way_as_list_or_mapping(
    data: st.DataObject, code: str
) -> None:
    scale = SCALES[code]
    scores = data.draw(
        st.lists(
            st.integers(scale.item_min, scale.item_max),
            min_size=len(scale.items),
            max_size=len(scale.items),
        )
    )
    result = score_scale(code, scores)
    _check_result(code, result)
    assert result.item_scores == tuple(scores)
    shuffled = data.draw(st.permutations(list(zip(scale.item_numbers, scores, strict=True))))
    assert score_scale(code, dict(shuffled)) == result
    assert score_scale(code, [str(s) for s in scores]) == result


@given(total=st.integers(0, 80), cutoff=st.integers(0, 80))
def test_pcl5_flag_matches_helper(total: int, cutoff: int) -> None:
    result = score_scale("pcl5", _spread(total, 20, 4), pcl5_cutoff=cutoff)
    assert (FLAG_PROBABLE_PTSD in result.flags) is (total >= cutoff)


@given(scores=st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_phq9_suicide_flag_iff_item9_positive(scores: list[int]) -> None:
    result = score_scale("phq9", scores)
    assert (result.flags == (FLAG_SUICIDE_RISK_SCREEN,)) is (scores[8] > 0)


def test_domain_modules_import_neither_qt_nor_sqlalchemy() -> None:
    code = (
        "import sys, ketalog.domain.scales, ketalog.domain.session_state; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'sqlalchemy')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("answers", "risk", "review"), [
    ([0, 0, 0, 0, 0, 0], "no risk identified", False),
    ([1, 0, 0, 0, 0, 0], "low risk", False),
    ([1, 1, 0, 0, 0, 0], "low risk", False),
    ([1, 1, 1, 0, 0, 0], "moderate risk", True),
    ([1, 1, 1, 1, 0, 0], "high risk", True),
    ([0, 1, 0, 0, 1, 0], "high risk", True),
    ([0, 0, 0, 0, 0, 1], "high risk", True),
])
def test_cssrs_screen_risk_levels(answers: list[int], risk: str, review: bool) -> None:
    result = score_scale("C-SSRS screen", answers)
    assert result.band == risk
    assert ("suicide_risk_review" in result.flags) is review


def test_cssrs_answers_are_yes_or_no() -> None:
    with pytest.raises(ValidationError, match="C-SSRS"):
        score_scale("cssrs", [2, 0, 0, 0, 0, 0])
