"""What every window and panel shares: how to run a user action, and the open session.

A user action is one service call in one database session (opened here, never
in a widget). Every refusal becomes a message for the screen: the domain's
own words for bad input, a plain sentence for a stale edit or a lost database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Signal
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ketalog.domain.errors import DomainError, TransitionRefused, ValidationError
from ketalog.services.context import Actor, Clock, system_clock

if TYPE_CHECKING:
    from ketalog.services.session_view import SessionView
from ketalog.store.engine import DatabaseConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """The result of a user action: a value, or the message saying why not."""

    value: T | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the action was carried out (and committed)."""
        return self.error is None


def refusal_text(exc: BaseException) -> str:
    """One readable message for any refusal a service can raise."""
    if isinstance(exc, ValidationError):
        return "\n".join(exc.messages)
    if isinstance(exc, TransitionRefused):
        return "\n".join(exc.reasons)
    if isinstance(exc, DomainError | DatabaseConfigError):
        return str(exc)
    if isinstance(exc, StaleDataError):
        return ("This record was changed on another workstation; the screen now shows the "
                "stored values. Enter your change again if it is still needed.")
    return ("The database could not save this; nothing was changed. Check the connection "
            "and try again.")


class DraftStore:
    """Half-typed input kept per session, so switching sessions loses nothing typed.

    Accepted values are in the database; drafts are what was typed but not yet
    accepted (a vitals row missing one number, say). They live as long as the
    main window.
    """

    def __init__(self) -> None:
        self._drafts: dict[tuple[int, str], dict[str, str]] = {}

    def get(self, session_id: int, form: str) -> dict[str, str]:
        """The draft of ``form`` for the session (empty when none)."""
        return dict(self._drafts.get((session_id, form), {}))

    def put(self, session_id: int, form: str, values: dict[str, str]) -> None:
        """Keep the draft; an all-empty draft is forgotten."""
        if any(v.strip() for v in values.values()):
            self._drafts[(session_id, form)] = dict(values)
        else:
            self._drafts.pop((session_id, form), None)

    def clear(self, session_id: int, form: str) -> None:
        """Forget the draft once its values were accepted."""
        self._drafts.pop((session_id, form), None)


class UiContext:
    """Database access, the clock, the clinic's time zone and who is acting."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        tz: ZoneInfo,
        actor: Callable[[], Actor],
        clock: Clock = system_clock,
    ) -> None:
        self.sessions = sessions
        self.tz = tz
        self.actor = actor
        self.clock = clock

    def run(self, action: Callable[[Session], T]) -> Outcome[T]:
        """Run one user action in its own database session; never raises a refusal."""
        with self.sessions() as db:
            try:
                return Outcome(value=action(db))
            except (DomainError, DatabaseConfigError, StaleDataError, SQLAlchemyError) as exc:
                db.rollback()
                return Outcome(error=refusal_text(exc))


class SessionController(QObject):
    """The open session: reloads after every action and tells the panels.

    Panels never query: they receive a :class:`SessionView` through
    ``view_changed`` and act through :meth:`act`, which runs the service call,
    reloads, and reports the refusal (if any) through ``refused``.
    """

    view_changed = Signal(object)  # SessionView
    refused = Signal(str)

    def __init__(self, ctx: UiContext, session_id: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.session_id = session_id
        self.view: SessionView | None = None

    def reload(self) -> SessionView | None:
        """Read the session as stored now and tell every panel."""
        # imported here: the board must paint before the session machinery loads
        from ketalog.services.session_view import load_session_view

        now = self.ctx.clock()
        outcome = self.ctx.run(lambda db: load_session_view(db, self.session_id, now))
        if outcome.ok and outcome.value is not None:
            self.view = outcome.value
            self.view_changed.emit(outcome.value)
        elif outcome.error:
            self.refused.emit(outcome.error)
        return self.view

    def act(self, action: Callable[[Session, Actor], T]) -> Outcome[T]:
        """Run ``action(db, actor)`` for the current user, then reload.

        The session is reloaded after a refusal too: a stale screen is the
        usual reason for one.
        """
        actor = self.ctx.actor()
        outcome = self.ctx.run(lambda db: action(db, actor))
        if outcome.error:
            self.refused.emit(outcome.error)
        self.reload()
        return outcome
