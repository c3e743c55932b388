"""Errors the domain raises: every refusal carries messages a nurse can act on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: which field, and what to do about it."""

    field: str
    message: str


class DomainError(ValueError):
    """Base of every refusal raised by the domain layer.

    Subclasses ``ValueError`` so callers that only know the standard library
    still treat it as bad input, never as a crash.
    """


class ValidationError(DomainError):
    """Input refused; ``problems`` lists every reason, not only the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("ValidationError needs at least one problem")
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        """Build the common one-problem refusal."""
        return cls([Problem(field, message)])

    @property
    def messages(self) -> list[str]:
        """The messages alone, in the order found."""
        return [p.message for p in self.problems]


class TransitionRefused(DomainError):
    """A session state change that the rules do not allow, with every reason."""

    def __init__(self, reasons: Iterable[str]) -> None:
        self.reasons: tuple[str, ...] = tuple(reasons)
        if not self.reasons:
            raise ValueError("TransitionRefused needs at least one reason")
        super().__init__("; ".join(self.reasons))
