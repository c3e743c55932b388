"""Entries entered in error: who may mark what, and when.

A value typed into the wrong session, or a wrong weight, is never deleted or
overwritten: it is marked "entered in error" with a reason, stays in the
record struck through (who, when, why) and counts in no computation. A
corrected value is a new entry linked to the one it replaces.

The rule: before the physician signs the session, the person who entered the
entry or a physician may mark it, with a reason. After signing the record is
closed: only an addendum adds to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.roles import Role

#: The refusal after signing (the words the services and screens show).
SIGNED_REFUSAL = "The session is signed: add an addendum instead."
#: Longest reason kept (a sentence or two; the audit row holds it too).
MAX_REASON_CHARS = 500


class EntryKind(StrEnum):
    """What can be marked entered in error: the table each kind is stored in."""

    READING = "vital_signs"
    SCORE = "scale_scores"
    EVENT_FLAG = "event_flags"
    INTERVENTION = "interventions"
    ADVERSE_EVENT = "adverse_events"
    NOTE = "notes"
    WEIGHT = "patient_weights"

    @property
    def noun(self) -> str:
        """How a nurse names it: "reading", "score", "weight"."""
        return _NOUNS[self]


_NOUNS = {
    EntryKind.READING: "reading", EntryKind.SCORE: "score",
    EntryKind.EVENT_FLAG: "event flag", EntryKind.INTERVENTION: "intervention",
    EntryKind.ADVERSE_EVENT: "adverse event", EntryKind.NOTE: "note",
    EntryKind.WEIGHT: "weight",
}


def parse_entry_kind(value: EntryKind | str) -> EntryKind:
    """The kind named by its table or its noun; refused in words when unknown."""
    if isinstance(value, EntryKind):
        return value
    text = str(value).strip().casefold()
    for kind in EntryKind:
        if text in (kind.value, kind.noun, kind.noun.replace(" ", "_")):
            return kind
    names = ", ".join(kind.noun for kind in EntryKind)
    raise ValidationError.single("kind", f"Unknown kind of entry '{value}'; it is one of: "
                                         f"{names}.")


@dataclass(frozen=True)
class EntryFacts:
    """What the rule needs to know about one entry and the person marking it."""

    kind: EntryKind
    #: who entered it (None: unknown, e.g. written by set-up)
    author_id: int | None
    author_name: str
    #: the person marking it, and their role
    actor_id: int
    actor_role: str
    #: a physician has signed the session (for a weight: a signed session's dose used it)
    signed: bool
    #: already marked: by whom and when (as shown), None when live
    voided_by_name: str | None = None
    voided_at_text: str | None = None


def clean_reason(reason: str | None, kind: EntryKind) -> str:
    """The reason, trimmed; refused with a specific message when empty or too long."""
    text = " ".join((reason or "").split())
    if not text:
        raise ValidationError.single(
            "reason", f"Say why this {kind.noun} was entered in error (for example "
                      "\"typed into the wrong session\" or \"wrong patient\").")
    if len(text) > MAX_REASON_CHARS:
        raise ValidationError.single(
            "reason", f"The reason is {len(text)} characters long; keep it to "
                      f"{MAX_REASON_CHARS} (write a note for more).")
    return text


def ensure_may_mark_entered_in_error(facts: EntryFacts, reason: str | None) -> str:
    """Judge one request to mark an entry entered in error; returns the cleaned reason.

    Raises:
        TransitionRefused: the session is signed, the entry is already marked, or
            the person is neither its author nor a physician.
        ValidationError: the reason is missing or too long.
    """
    noun = facts.kind.noun
    if facts.signed:
        raise TransitionRefused([SIGNED_REFUSAL])
    if facts.voided_by_name is not None:
        raise TransitionRefused([
            f"This {noun} is already marked entered in error"
            + (f" by {facts.voided_by_name}" if facts.voided_by_name else "")
            + (f" at {facts.voided_at_text}" if facts.voided_at_text else "") + "."])
    if facts.actor_role != Role.PHYSICIAN and (facts.author_id is None
                                            or facts.author_id != facts.actor_id):
        who = f" ({facts.author_name})" if facts.author_name else ""
        raise TransitionRefused([
            f"Only the person who entered this {noun}{who} or a physician can mark it "
            "entered in error."])
    return clean_reason(reason, facts.kind)

