"""Refusals raised by services, besides the domain's own ValidationError/TransitionRefused."""

from __future__ import annotations

from dataclasses import dataclass

from ketalog.domain.errors import DomainError


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to this user)."""


class PermissionDenied(DomainError):
    """The user's role does not allow this action."""


@dataclass(frozen=True)
class Conflict:
    """A stale edit of one field, with what the user needs to choose between the two values.

    ``current_version`` is the stored row's version: saving "mine" again with
    it is a deliberate overwrite, audited like any other change.
    """

    what: str            # "the escort's name"
    yours: str           # what this user typed
    theirs: str          # what is stored now
    changed_by: str      # printed name of whoever stored it
    changed_at: str      # when, in clinic time
    current_version: int


class StaleEdit(DomainError):
    """Someone else changed the record since it was read; nothing was overwritten."""

    def __init__(self, message: str, conflict: Conflict | None = None) -> None:
        super().__init__(message)
        self.conflict = conflict


class DuplicatePatient(DomainError):
    """A patient with the same name and birth date (or MRN) is already registered."""

    def __init__(self, message: str, existing_ids: tuple[int, ...]) -> None:
        super().__init__(message)
        self.existing_ids = existing_ids
