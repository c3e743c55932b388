"""What every window and panel shares: how to run a user action, and the open session.

A user action is one service call in one database session (opened here, never
in a widget). Every refusal becomes a message for the screen: the domain's
own words for bad input, a plain sentence for a stale edit or a lost database.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Signal
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ketalog.domain.clinic_time import clock_text
from ketalog.domain.errors import DomainError, TransitionRefused, ValidationError
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.database import make_reading_sessionmaker
from ketalog.services.errors import Conflict, StaleEdit
from ketalog.store.connectivity import is_connection_lost
from ketalog.store.engine import DatabaseConfigError
from ketalog.store.faults import describe_database_error
from ketalog.store.models import ClientWrite

if TYPE_CHECKING:
    from ketalog.services.presence import Presence
    from ketalog.services.session_view import SessionView
    from ketalog.ui.core.link import DatabaseLink

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """The result of a user action: a value, or the message saying why not."""

    value: T | None = None
    error: str | None = None
    #: the database could not be reached: nothing was saved, nothing was refused
    offline: bool = False
    #: a retried save whose first try had reached the database already
    already_saved: bool = False
    #: a stale edit: who changed the field, and both values
    conflict: Conflict | None = None

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
    return describe_database_error(exc)  # disk full, read-only, damaged


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

    def waiting(self) -> int:
        """How many forms hold typed entries not yet accepted (asked before quitting)."""
        return len(self._drafts)


class UiContext:
    """Database access, the clock, the clinic's time zone and who is acting."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        tz: ZoneInfo,
        actor: Callable[[], Actor],
        clock: Clock = system_clock,
        reading: sessionmaker[Session] | None = None,
    ) -> None:
        self.sessions = sessions
        #: read-only units of work on the same database (default: made from ``sessions``)
        self.reading = reading if reading is not None else make_reading_sessionmaker(
            sessions.kw["bind"])
        self.tz = tz
        self.actor = actor
        self.clock = clock
        #: the connection's state; None where nobody watches it (tests of one panel)
        self.link: DatabaseLink | None = None

    @property
    def offline(self) -> bool:
        """Whether the database is known to be unreachable right now."""
        return self.link is not None and not self.link.online

    def offline_text(self) -> str:
        """Why nothing was saved while the database is unreachable."""
        link = self.link
        since = ""
        if link is not None and link.lost_at_utc is not None:
            since = f" since {clock_text(link.lost_at_utc, self.tz)}"
        return (f"Not saved: the database cannot be reached{since}. Nothing was changed; "
                "the banner shows when the connection is back.")

    def run(self, action: Callable[[Session], T], *, write_id: str | None = None) -> Outcome[T]:
        """Run one user action in its own database session; never raises a refusal.

        ``write_id`` names a save so that trying it again after a lost
        connection cannot store it twice: the id is written in the action's
        own transaction, and a retry whose id is already there did commit.
        While the database is known to be unreachable nothing is tried (a
        cut network would hold the screen for the whole connect timeout).
        """
        return self._run(self.sessions, action, write_id)

    def read(self, action: Callable[[Session], T]) -> Outcome[T]:
        """Run work that only reads (the board, a search, a document's pages) as :meth:`run`.

        In a reading session: it never makes a save wait (a snapshot on SQLite, a
        read-only transaction on PostgreSQL), and a write attempted in it is refused.
        Work that reads and then records that it read writes that record through
        :meth:`run`.
        """
        return self._run(self.reading, action, None)

    def _run(self, sessions: sessionmaker[Session], action: Callable[[Session], T],
             write_id: str | None) -> Outcome[T]:
        if self.offline:
            return Outcome(error=self.offline_text(), offline=True)
        with sessions() as db:
            try:
                if write_id is not None:
                    if db.get(ClientWrite, write_id) is not None:
                        return Outcome(already_saved=True)
                    db.add(ClientWrite(request_id=write_id, written_at_utc=self.clock()))
                return Outcome(value=action(db))
            except (DomainError, DatabaseConfigError, StaleDataError, SQLAlchemyError) as exc:
                self._rollback(db)
                if is_connection_lost(exc):
                    if self.link is not None:
                        self.link.report_lost(str(exc).splitlines()[0] if str(exc) else "")
                    return Outcome(error=self.offline_text(), offline=True)
                conflict = exc.conflict if isinstance(exc, StaleEdit) else None
                return Outcome(error=refusal_text(exc), conflict=conflict)

    @staticmethod
    def _rollback(db: Session) -> None:
        with contextlib.suppress(SQLAlchemyError):  # a lost connection has nothing to undo
            db.rollback()


class SessionController(QObject):
    """The open session: reloads after every action and tells the panels.

    Panels never query: they receive a :class:`SessionView` through
    ``view_changed`` and act through :meth:`act`, which runs the service call,
    reloads, and reports the refusal (if any) through ``refused``.
    """

    view_changed = Signal(object)  # SessionView
    refused = Signal(str)
    presence_changed = Signal(object)  # tuple[Presence, ...]: others with the session open
    saved_later = Signal(int)  # entries saved once the connection came back

    def __init__(self, ctx: UiContext, session_id: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.session_id = session_id
        self.view: SessionView | None = None
        self.others: tuple[Presence, ...] = ()
        #: typed entries waiting for the connection: the form's own save, and its write id
        self._waiting: dict[object, tuple[Callable[[], object], str]] = {}
        self._retrying: object | None = None
        if ctx.link is not None:
            ctx.link.restored.connect(self.save_waiting)

    def reload(self) -> SessionView | None:
        """Read the session as stored now, and who else has it open; tell every panel.

        While the database is unreachable the screen keeps what it showed.
        """
        # start-up: the board paints before the session machinery (about 0.9 s) loads
        from ketalog.services.presence import others_present
        from ketalog.services.session_view import load_session_view

        if self.ctx.offline:
            return self.view
        now = self.ctx.clock()
        actor = self.ctx.actor()
        outcome = self.ctx.read(lambda db: (load_session_view(db, self.session_id, now),
                                            others_present(db, actor, self.session_id, now)))
        if outcome.ok and outcome.value is not None:
            self.view, others = outcome.value
            self.view_changed.emit(self.view)
            if others != self.others:
                self.others = others
                self.presence_changed.emit(others)
        elif outcome.error:
            self.refused.emit(outcome.error)
        return self.view

    def act(self, action: Callable[[Session, Actor], T], *,
            retry: Callable[[], object] | None = None) -> Outcome[T]:
        """Run ``action(db, actor)`` for the current user, then reload.

        The session is reloaded after a refusal too: a stale screen is the
        usual reason for one. ``retry`` is the form's own save: when the
        database cannot be reached, the typed entry stays in the form and
        ``retry`` is called again once the connection is back, with the same
        write id, so an entry whose first try did commit is not stored twice.
        """
        actor = self.ctx.actor()
        key = self._retrying if self._retrying is not None else _retry_key(retry)
        waiting = self._waiting.get(key) if key is not None else None
        write_id = waiting[1] if waiting is not None else uuid.uuid4().hex
        outcome = self.ctx.run(lambda db: action(db, actor), write_id=write_id)
        if outcome.offline and retry is not None and key is not None:
            self._waiting[key] = (retry, write_id)
            outcome = Outcome(offline=True, error=(outcome.error or "") + "\n" + (
                "What you typed stays in the form and is saved automatically when the "
                "connection is back."))
        elif key is not None:
            self._waiting.pop(key, None)
        self._tell_link()
        if outcome.error:
            self.refused.emit(outcome.error)
        self.reload()
        return outcome

    @property
    def waiting_entries(self) -> int:
        """Typed entries kept in their forms until the database answers again."""
        return len(self._waiting)

    def save_waiting(self) -> int:
        """The connection is back: save every waiting entry through its own form."""
        saved = 0
        for key, (retry, _write_id) in list(self._waiting.items()):
            if self.ctx.offline:
                break
            self._retrying = key
            try:
                retry()
            finally:
                self._retrying = None
            if key not in self._waiting:
                saved += 1
        self._tell_link()
        self.reload()
        if saved:
            self.saved_later.emit(saved)
        return saved

    def forget_waiting(self) -> None:
        """The page is closing: its forms (and their waiting entries) go with it."""
        self._waiting.clear()
        self._tell_link()

    def _tell_link(self) -> None:
        if self.ctx.link is not None:
            self.ctx.link.set_waiting(len(self._waiting))


def _retry_key(retry: Callable[[], object] | None) -> object | None:
    """One key per form: a bound method by its object and name, else the callable."""
    if retry is None:
        return None
    owner = getattr(retry, "__self__", None)
    name = getattr(retry, "__name__", None)
    return (id(owner), name) if owner is not None else retry
