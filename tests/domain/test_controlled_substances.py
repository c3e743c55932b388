"""The controlled-substance ledger: balances that add up and never go below zero (issue 19)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketalog.domain.controlled_substances import (
    INTO_CONTAINER,
    OUT_OF_CONTAINER,
    Ledger,
    LedgerEntry,
    LedgerKind,
    check_container_usable,
)
from ketalog.domain.errors import ValidationError

K = LedgerKind
NURSE, WITNESS, PHARMACIST, PHYSICIAN = 1, 2, 3, 4
VIAL, OTHER_VIAL = 10, 11
SAFE, CART = 100, 200


class Books:
    """A ledger and the next entry id, as the store would hand them out."""

    def __init__(self) -> None:
        self.ledger = Ledger()
        self._next_id = 1

    def add(self, kind: LedgerKind, volume: str, *, container: int = VIAL,
            location: int = SAFE, **extra: object) -> int:
        entry_id = self._next_id  # an id is used only by an entry that is added
        fields: dict[str, object] = {"recorded_by_id": NURSE, **extra}
        self.ledger = self.ledger.add(LedgerEntry(
            entry_id, container, location, kind, Decimal(volume), **fields))  # type: ignore[arg-type]
        self._next_id += 1
        return entry_id

    def refused(self, kind: LedgerKind, volume: str, **extra: object) -> str:
        before = self.ledger
        with pytest.raises(ValidationError) as info:
            self.add(kind, volume, **extra)
        assert self.ledger is before
        return info.value.messages[0]


@pytest.fixture
def books() -> Books:
    b = Books()
    b.add(K.RECEIVED, "10")  # one 10 mL vial of ketamine 50 mg/mL into the safe
    return b


def test_a_draw_administered_and_its_remainder_wasted_before_a_witness(books: Books) -> None:
    draw = books.add(K.DRAWN, "1.2", location=SAFE)
    assert books.ledger.balance_ml(VIAL, SAFE) == Decimal("8.8")
    assert books.ledger.unreconciled_ml(draw) == Decimal("1.2")
    books.add(K.ADMINISTERED, "0.9", draw_id=draw)
    assert [e.entry_id for e in books.ledger.open_draws()] == [draw]
    books.add(K.WASTED, "0.3", draw_id=draw, witness_ids=(WITNESS,))
    assert books.ledger.unreconciled_ml(draw) == 0
    assert books.ledger.open_draws() == ()
    assert books.ledger.balance_ml(VIAL, SAFE) == Decimal("8.8")  # waste leaves the vial as it was


def test_a_returned_remainder_goes_back_into_the_container(books: Books) -> None:
    draw = books.add(K.DRAWN, "2")
    books.add(K.ADMINISTERED, "1.5", draw_id=draw)
    books.add(K.RETURNED, "0.5", draw_id=draw)
    assert books.ledger.balance_ml(VIAL, SAFE) == Decimal("8.5")
    assert books.ledger.unreconciled_ml(draw) == 0


def test_more_than_is_left_cannot_be_drawn(books: Books) -> None:
    assert books.refused(K.DRAWN, "10.5") == (
        "container 10 holds 10 mL here; 10.5 mL cannot come out of it")
    assert books.refused(K.DRAWN, "1", container=OTHER_VIAL) == (
        "container 11 holds 0 mL here; 1 mL cannot come out of it")


def test_a_disposition_cannot_exceed_what_is_left_of_its_draw(books: Books) -> None:
    draw = books.add(K.DRAWN, "1")
    books.add(K.ADMINISTERED, "0.8", draw_id=draw)
    assert books.refused(K.WASTED, "0.3", draw_id=draw, witness_ids=(WITNESS,)) == (
        "only 0.2 mL of draw 2 is still to account for; 0.3 mL is more than that")
    assert books.refused(K.ADMINISTERED, "0.1") == "Administered must name the draw it settles"


def test_waste_needs_a_witness_who_is_someone_else(books: Books) -> None:
    draw = books.add(K.DRAWN, "1")
    assert books.refused(K.WASTED, "1", draw_id=draw) == (
        "Wasted needs a witness besides the person recording it")
    assert books.refused(K.WASTED, "1", draw_id=draw, witness_ids=(NURSE,)) == (
        "the person recording cannot also be the witness")


def test_destruction_needs_two_different_witnesses(books: Books) -> None:
    assert books.refused(K.DESTROYED, "10", witness_ids=(WITNESS,)) == (
        "Destroyed needs 2 witnesses besides the person recording it")
    assert books.refused(K.DESTROYED, "10", witness_ids=(WITNESS, WITNESS)) == (
        "the same person cannot witness twice")
    books.add(K.DESTROYED, "10", witness_ids=(WITNESS, PHARMACIST))
    assert books.ledger.balance_ml(VIAL, SAFE) == 0


def test_a_transfer_moves_the_balance_between_locations(books: Books) -> None:
    books.add(K.TRANSFERRED_OUT, "10", location=SAFE)
    books.add(K.TRANSFERRED_IN, "10", location=CART)
    assert books.ledger.balance_ml(VIAL, SAFE) == 0
    assert books.ledger.balance_ml(VIAL, CART) == 10
    assert books.refused(K.DRAWN, "1", location=SAFE).startswith("container 10 holds 0 mL")


def test_a_mistake_is_undone_by_a_reversal_with_a_reason_never_by_an_edit(books: Books) -> None:
    wrong = books.add(K.DRAWN, "5")
    assert books.refused(K.REVERSAL, "5", reverses_id=wrong) == "a reversal entry needs a reason"
    assert books.refused(K.REVERSAL, "4", reverses_id=wrong, reason="typed 5 for 0.5") == (
        "a reversal undoes the whole entry: 5 mL")
    undo = books.add(K.REVERSAL, "5", reverses_id=wrong, reason="typed 5 for 0.5")
    assert books.ledger.balance_ml(VIAL, SAFE) == 10
    assert books.ledger.unreconciled_ml(wrong) == 0  # a reversed draw owes nothing
    assert books.refused(K.REVERSAL, "5", reverses_id=wrong, reason="again") == (
        "entry 2 was reversed already")
    assert books.refused(K.REVERSAL, "5", reverses_id=undo, reason="undo the undo") == (
        "entry 3 is itself a reversal; record the right entry again instead")
    assert len(books.ledger.entries) == 3  # every entry stays in the books


def test_a_settled_draw_is_reversed_only_after_what_settles_it(books: Books) -> None:
    draw = books.add(K.DRAWN, "1")
    given_ = books.add(K.ADMINISTERED, "1", draw_id=draw)
    assert books.refused(K.REVERSAL, "1", reverses_id=draw, reason="wrong vial") == (
        "draw 2 has entries that settle it; reverse those first")
    books.add(K.REVERSAL, "1", reverses_id=given_, reason="wrong vial")
    books.add(K.REVERSAL, "1", reverses_id=draw, reason="wrong vial")
    assert books.ledger.balance_ml(VIAL, SAFE) == 10


def test_reversing_a_receipt_whose_volume_is_gone_is_refused(books: Books) -> None:
    books.add(K.DRAWN, "3")
    assert books.refused(K.REVERSAL, "10", reverses_id=1, reason="wrong invoice") == (
        "container 10 holds 7 mL here; 10 mL cannot come out of it")


@pytest.mark.parametrize("volume", ["0", "-1", "NaN", "Infinity"])
def test_a_volume_is_more_than_zero(books: Books, volume: str) -> None:
    assert books.refused(K.DRAWN, volume) == "the volume must be more than 0 mL"


def test_a_loss_needs_a_reason(books: Books) -> None:
    assert books.refused(K.LOST, "10") == "a lost entry needs a reason"
    books.add(K.LOST, "10", reason="vial broken on the floor, seen by two")


def test_an_expired_or_recalled_container_is_refused() -> None:
    check_container_usable(expiry_date=date(2026, 12, 3), recalled=False, today=date(2026, 12, 3))
    with pytest.raises(ValidationError, match="expired on 2026-12-02; do not use it"):
        check_container_usable(expiry_date=date(2026, 12, 2), recalled=False,
                               today=date(2026, 12, 3))
    with pytest.raises(ValidationError, match="this lot is recalled"):
        check_container_usable(expiry_date=date(2027, 1, 1), recalled=True,
                               today=date(2026, 12, 3))


# --- any sequence keeps the books balanced --------------------------------------------

_volumes = st.decimals(min_value=Decimal("-1"), max_value=Decimal("12"), places=1,
                       allow_nan=False, allow_infinity=False)


def _next_entry(data: st.DataObject, ledger: Ledger, entry_id: int) -> LedgerEntry:
    """A step a clinic might take, mostly within the rules so walks go deep; sometimes not."""
    kind = data.draw(st.sampled_from(list(LedgerKind)))
    container = data.draw(st.sampled_from([VIAL, OTHER_VIAL]))
    location = data.draw(st.sampled_from([SAFE, CART]))
    volume = data.draw(_volumes)
    link: int | None = None
    linked = [e for e in ledger.entries if e.kind is K.DRAWN] if kind in {
        K.ADMINISTERED, K.WASTED, K.RETURNED} else list(ledger.entries)
    if kind in {K.ADMINISTERED, K.WASTED, K.RETURNED, K.REVERSAL} and linked:
        target = data.draw(st.sampled_from(linked))
        link, container, location = target.entry_id, target.container_id, target.location_id
        if kind is K.REVERSAL and data.draw(st.booleans()):
            volume = target.volume_ml
        elif kind is not K.REVERSAL and data.draw(st.booleans()):
            volume = ledger.unreconciled_ml(target.entry_id)
    elif kind in OUT_OF_CONTAINER and data.draw(st.booleans()):
        volume = ledger.balance_ml(container, location)  # all that is left
    witnesses = data.draw(st.sampled_from([(WITNESS, PHARMACIST), (WITNESS,), (), (NURSE,)]))
    reason = data.draw(st.sampled_from(["counted twice", None, ""]))
    return LedgerEntry(entry_id, container, location, kind, volume, NURSE,
                       draw_id=link if kind in {K.ADMINISTERED, K.WASTED, K.RETURNED} else None,
                       reverses_id=link if kind is K.REVERSAL else None,
                       witness_ids=witnesses, reason=reason)


@settings(max_examples=150)  # walks of up to 60 steps: every kind is reached
@given(data=st.data())
def test_any_sequence_keeps_every_balance_the_sum_of_its_entries_and_never_negative(
        data: st.DataObject) -> None:
    ledger = Ledger()
    for _ in range(data.draw(st.integers(0, 60))):
        try:
            ledger = ledger.add(_next_entry(data, ledger, len(ledger.entries) + 1))
        except ValidationError:
            continue
    # every balance is the sum of its entries, each counted from its own kind
    undone = {e.reverses_id: e for e in ledger.entries if e.kind is K.REVERSAL}
    expected: dict[tuple[int, int], Decimal] = {}
    for e in ledger.entries:
        if e.kind is K.REVERSAL:
            continue
        sign = 1 if e.kind in INTO_CONTAINER else -1 if e.kind in OUT_OF_CONTAINER else 0
        if e.entry_id in undone:
            sign = 0  # reversed: it and its reversal add up to nothing
        where = (e.container_id, e.location_id)
        expected[where] = expected.get(where, Decimal(0)) + sign * e.volume_ml
    got = ledger.balances()
    for where in set(expected) | set(got):
        assert got.get(where, Decimal(0)) == expected.get(where, Decimal(0))
        assert got.get(where, Decimal(0)) >= 0
    for e in ledger.entries:
        if e.kind is K.DRAWN:
            assert 0 <= ledger.unreconciled_ml(e.entry_id) <= e.volume_ml


@pytest.mark.parametrize(("typed", "problem"), [
    ("AB1234563", None),
    (" ab1234563 ", None),  # as typed from the certificate, in any case
    ("AB1234567", "DEA number AB1234567 fails its check digit (the last digit would be 3); "
                  "check it against the registration certificate"),
    ("A1234563", '"A1234563" is not a DEA number: two letters and seven digits, e.g. AB1234563'),
    ("", '"" is not a DEA number: two letters and seven digits, e.g. AB1234563'),
])
def test_a_dea_number_has_its_check_digit(typed: str, problem: str | None) -> None:
    from ketalog.domain.controlled_substances import dea_number_problem

    assert dea_number_problem(typed) == problem
