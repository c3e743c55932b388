"""Who may mark an entry entered in error, and when (the rule, without a database)."""

from __future__ import annotations

import pytest

from ketalog.domain.corrections import (
    SIGNED_REFUSAL,
    EntryFacts,
    EntryKind,
    ensure_may_mark_entered_in_error,
    parse_entry_kind,
)
from ketalog.domain.errors import TransitionRefused, ValidationError


def facts(**changes: object) -> EntryFacts:
    base: dict[str, object] = dict(kind=EntryKind.READING, author_id=1,
                                   author_name="Nora Reyes, RN", actor_id=1,
                                   actor_role="nurse", signed=False)
    base.update(changes)
    return EntryFacts(**base)  # type: ignore[arg-type]


def test_the_author_may_with_a_reason_kept_on_one_line() -> None:
    assert ensure_may_mark_entered_in_error(facts(), " wrong\n  session ") == "wrong session"


def test_a_physician_may_mark_anyones_entry() -> None:
    assert ensure_may_mark_entered_in_error(facts(actor_id=3, actor_role="physician"), "x")


@pytest.mark.parametrize("kind", list(EntryKind))
def test_another_nurse_may_not(kind: EntryKind) -> None:
    with pytest.raises(TransitionRefused) as refused:
        ensure_may_mark_entered_in_error(facts(kind=kind, actor_id=2), "wrong")
    assert refused.value.reasons == (
        f"Only the person who entered this {kind.noun} (Nora Reyes, RN) or a physician can "
        "mark it entered in error.",)


def test_an_entry_of_unknown_author_only_a_physician_may_mark() -> None:
    with pytest.raises(TransitionRefused):
        ensure_may_mark_entered_in_error(facts(author_id=None, author_name=""), "wrong")
    assert ensure_may_mark_entered_in_error(facts(author_id=None, actor_role="physician"), "x")


def test_after_signing_even_a_physician_adds_an_addendum() -> None:
    with pytest.raises(TransitionRefused) as refused:
        ensure_may_mark_entered_in_error(facts(signed=True, actor_role="physician"), "wrong")
    assert refused.value.reasons == (SIGNED_REFUSAL,)
    assert "signed: add an addendum instead" in SIGNED_REFUSAL


@pytest.mark.parametrize("reason", [None, "", "   \n "])
def test_a_reason_is_required_in_words_naming_the_entry(reason: str | None) -> None:
    with pytest.raises(ValidationError) as refused:
        ensure_may_mark_entered_in_error(facts(kind=EntryKind.WEIGHT), reason)
    assert refused.value.problems[0].field == "reason"
    assert refused.value.messages[0].startswith("Say why this weight was entered in error")


def test_an_entry_already_marked_says_by_whom() -> None:
    with pytest.raises(TransitionRefused, match="already marked entered in error by Ada "
                                                "Lindqvist, MD at 2026-11-21 09:14 UTC"):
        ensure_may_mark_entered_in_error(facts(voided_by_name="Ada Lindqvist, MD",
                                               voided_at_text="2026-11-21 09:14 UTC"), "x")


def test_kinds_are_named_by_table_or_noun() -> None:
    assert parse_entry_kind("vital_signs") is EntryKind.READING
    assert parse_entry_kind("event flag") is EntryKind.EVENT_FLAG
    assert parse_entry_kind("adverse_event") is EntryKind.ADVERSE_EVENT
    with pytest.raises(ValidationError, match="Unknown kind of entry 'dose'"):
        parse_entry_kind("dose")
