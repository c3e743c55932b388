"""Counts, discrepancies, inventories and losses: the rules, without a database (issue 19)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketalog.domain.errors import ValidationError
from ketalog.domain.stock_counts import (
    InventoryEntry,
    Mismatch,
    biennial_due_on,
    check_explanation,
    count_mismatches,
    inventory_differences,
    inventory_entries,
    loss_problems,
    write_off_ml,
)

D = Decimal


def test_a_count_that_matches_has_no_mismatch() -> None:
    assert count_mismatches({1: D("10"), 2: D("6.5")}, {1: D("10"), 2: D("6.50")}) == []


def test_a_shortfall_and_a_surplus_are_mismatches() -> None:
    found = count_mismatches({1: D("10"), 2: D("6.5")}, {1: D("9.5"), 2: D("7")})
    assert found == [Mismatch(1, D("10"), D("9.5")), Mismatch(2, D("6.5"), D("7"))]
    assert (found[0].shortfall_ml, found[0].is_surplus) == (D("0.5"), False)
    assert (found[1].shortfall_ml, found[1].is_surplus, found[1].difference_ml) == (
        D(0), True, D("0.5"))


def test_every_expected_container_must_be_counted() -> None:
    with pytest.raises(ValidationError) as refused:
        count_mismatches({1: D("10"), 2: D("6.5"), 3: D(1)}, {1: D("10")})
    assert "not counted: containers 2, 3" in str(refused.value)
    assert "Enter 0 mL" in str(refused.value)


def test_a_container_found_that_the_books_do_not_place_here_is_a_mismatch() -> None:
    assert count_mismatches({1: D(10)}, {1: D(10), 7: D(10)}) == [Mismatch(7, D(0), D(10))]


def test_an_empty_container_is_counted_as_zero() -> None:
    assert count_mismatches({1: D("0.4")}, {1: D(0)}) == [Mismatch(1, D("0.4"), D(0))]


@pytest.mark.parametrize(("found", "words"), [
    (D("-0.1"), "below 0 mL"),
    (D("10.5"), "holds 10 mL; 10.5 mL cannot be in it"),
    (D("1.005"), "0.01 mL"),
    (D("NaN"), "below 0 mL"),
])
def test_an_impossible_volume_found_is_refused(found: Decimal, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        count_mismatches({1: D(10)}, {1: found}, container_volume_ml={1: D(10)})


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ValidationError) as refused:
        count_mismatches({1: D(10), 2: D(10)}, {1: D(-1)}, container_volume_ml={1: D(10)})
    assert len(refused.value.problems) == 2


volumes = st.decimals(min_value=0, max_value=10, places=2, allow_nan=False)


@given(st.dictionaries(st.integers(1, 30), volumes, max_size=12),
       st.dictionaries(st.integers(1, 30), volumes, max_size=12))
def test_mismatches_are_exactly_the_containers_that_differ(
        expected: dict[int, Decimal], extra: dict[int, Decimal]) -> None:
    found = {**{c: v for c, v in extra.items() if c not in expected}, **expected}
    for c in list(found)[::2]:  # change some of the expected ones
        found[c] = extra.get(c, found[c])
    mismatches = count_mismatches(expected, found, container_volume_ml={c: D(10) for c in found})
    assert {m.container_id for m in mismatches} == {
        c for c in found if found[c] != expected.get(c, D(0))}
    for m in mismatches:
        assert m.expected_ml + m.difference_ml == m.found_ml
        assert m.shortfall_ml == (m.expected_ml - m.found_ml if not m.is_surplus else 0)


@given(st.dictionaries(st.integers(1, 30), volumes, min_size=1, max_size=12), st.data())
def test_leaving_out_any_expected_container_is_refused(expected: dict[int, Decimal],
                                                       data: st.DataObject) -> None:
    left_out = data.draw(st.sampled_from(sorted(expected)))
    found = {c: v for c, v in expected.items() if c != left_out}
    with pytest.raises(ValidationError, match=f"not counted: containers? .*{left_out}"):
        count_mismatches(expected, found)


# --- resolutions -----------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, "", "   ", "ok", "counted wrong"])
def test_an_explanation_says_something(text: str | None) -> None:
    with pytest.raises(ValidationError, match="at least 3 words"):
        check_explanation(text)


def test_a_real_explanation_is_kept_as_written() -> None:
    assert check_explanation("  vial broken while drawing  ") == "vial broken while drawing"


def test_a_shortfall_written_off_is_written_off_in_full() -> None:
    assert write_off_ml(Mismatch(1, D("6.5"), D("6")), True) == D("0.5")
    assert write_off_ml(Mismatch(1, D("6.5"), D("6")), False) is None


def test_a_surplus_can_only_be_explained() -> None:
    assert write_off_ml(Mismatch(1, D("6"), D("6.5")), False) is None
    with pytest.raises(ValidationError, match="surplus can only be explained"):
        write_off_ml(Mismatch(1, D("6"), D("6.5")), True)


# --- inventories ------------------------------------------------------------------------


def test_sealed_containers_are_counted_and_opened_ones_measured() -> None:
    on_hand = {1: (True, D(10)), 2: (False, D(10))}
    assert inventory_entries(on_hand, {1: D(1), 2: D("6.5")}) == [
        InventoryEntry(1, True, 1, None), InventoryEntry(2, False, None, D("6.5"))]
    assert inventory_entries(on_hand, {1: D(0), 2: D(0)})[0].count_of_sealed == 0


def test_an_inventory_that_differs_from_the_books_names_the_containers() -> None:
    on_hand = {1: (True, D(10)), 2: (False, D(10)), 3: (True, D(10)), 4: (False, D(10))}
    expected = {1: D(10), 2: D("6.5"), 3: D(10), 4: D(3)}
    sizes = {c: size for c, (_sealed, size) in on_hand.items()}
    agreeing = inventory_entries(on_hand, {1: D(1), 2: D("6.5"), 3: D(1), 4: D(3)})
    assert inventory_differences(expected, sizes, agreeing) == []
    # a sealed vial not found, an opened one measured short
    differing = inventory_entries(on_hand, {1: D(1), 2: D("6.4"), 3: D(0), 4: D(3)})
    assert inventory_differences(expected, sizes, differing) == [2, 3]


def test_an_inventory_holds_every_container_on_hand_and_no_other() -> None:
    with pytest.raises(ValidationError) as refused:
        inventory_entries({1: (True, D(10)), 2: (False, D(10))}, {1: D(1), 5: D(1)})
    assert [p.message for p in refused.value.problems] == [
        "Every container on hand must be in the inventory; missing: 2.",
        "The books hold no such container here: 5."]


@pytest.mark.parametrize(("sealed", "value", "words"), [
    (True, D("0.5"), "count it as 1"), (True, D(2), "count it as 1"),
    (False, D(11), "holds 10 mL"), (False, D(-1), "below 0 mL")])
def test_an_impossible_inventory_line_is_refused(sealed: bool, value: Decimal,
                                                 words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        inventory_entries({1: (sealed, D(10))}, {1: value})


@pytest.mark.parametrize(("last", "due"), [
    (date(2026, 11, 21), date(2028, 11, 21)), (date(2028, 2, 29), date(2030, 2, 28))])
def test_the_biennial_inventory_is_due_two_years_after_the_last(last: date, due: date) -> None:
    assert biennial_due_on(last) == due


# --- losses ------------------------------------------------------------------------------


def test_a_loss_record_describes_the_circumstances() -> None:
    assert [p.field for p in loss_problems(circumstances="gone", police_notified=False,
                                           police_reference=None)] == ["circumstances"]
    assert loss_problems(circumstances="vial missing from the safe", police_notified=True,
                         police_reference="PD-2026-118") == []


def test_a_police_reference_needs_the_police_notified() -> None:
    problems = loss_problems(circumstances="vial missing from the safe",
                             police_notified=False, police_reference="PD-2026-118")
    assert [p.field for p in problems] == ["police_reference"]
