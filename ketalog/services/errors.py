"""Refusals raised by services, besides the domain's own ValidationError/TransitionRefused."""

from __future__ import annotations

from ketalog.domain.errors import DomainError


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to this user)."""


class PermissionDenied(DomainError):
    """The user's role does not allow this action."""


class StaleEdit(DomainError):
    """Someone else changed the record since it was read; nothing was overwritten."""


class DuplicatePatient(DomainError):
    """A patient with the same name and birth date (or MRN) is already registered."""

    def __init__(self, message: str, existing_ids: tuple[int, ...]) -> None:
        super().__init__(message)
        self.existing_ids = existing_ids
