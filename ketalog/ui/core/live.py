"""Live updates: another workstation's change reaches this screen within a second or two.

A background thread waits on the database's change feed (PostgreSQL
LISTEN/NOTIFY, SQLite polling; see ``ketalog.store.changes``) and tells the
GUI thread through queued signals; the thread never touches a widget. Bursts
(one save writes several rows) are folded into one refresh.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, QThread, QTimer, Signal
from sqlalchemy.engine import URL

from ketalog.store.changes import DATA, PRESENCE, ChangeFeed, open_change_feed

#: How long the thread waits per round; also how soon it notices it should stop.
WAIT_S = 0.25
#: Pause before listening again after the feed's connection failed.
RECONNECT_S = 3.0
#: Changes closer together than this make one refresh.
FOLD_MS = 150


class _FeedThread(QThread):
    """Owns the feed's connection; emits the kinds of change it hears."""

    heard = Signal(object)  # frozenset[str]
    listening = Signal(bool, str)  # connected?, why not

    def __init__(self, url: str | URL, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._url = url

    def run(self) -> None:
        self._feed: ChangeFeed | None = None
        try:
            self._listen()
        finally:  # whatever ended the loop, the connection is closed here, in its thread
            if self._feed is not None:
                self._close(self._feed)
                self._feed = None

    def _listen(self) -> None:
        connected_before = False
        while not self.isInterruptionRequested():
            if self._feed is None:
                try:
                    self._feed = open_change_feed(self._url)
                except Exception as exc:  # any failure: say so, try again later
                    self.listening.emit(False, str(exc).splitlines()[0] if str(exc) else "")
                    self._pause(RECONNECT_S)
                    continue
                self.listening.emit(True, "")
                if connected_before:  # what was missed while away
                    self.heard.emit(frozenset({DATA, PRESENCE}))
                connected_before = True
            try:
                kinds = self._feed.wait(WAIT_S)
            except Exception as exc:  # the connection broke: listen again
                self._close(self._feed)
                self._feed = None
                self.listening.emit(False, str(exc).splitlines()[0] if str(exc) else "")
                continue
            if kinds:
                self.heard.emit(frozenset(kinds))

    def _pause(self, seconds: float) -> None:
        waited = 0.0
        while waited < seconds and not self.isInterruptionRequested():
            self.msleep(int(WAIT_S * 1000))
            waited += WAIT_S

    @staticmethod
    def _close(feed: ChangeFeed) -> None:
        with contextlib.suppress(Exception):  # a broken connection may fail to close
            feed.close()


class ChangeWatcher(QObject):
    """Tells the window when what it shows may be out of date.

    ``data_changed``: a clinical change was committed (by any workstation).
    ``presence_changed``: someone opened or left a session.
    """

    data_changed = Signal()
    presence_changed = Signal()
    listening = Signal(bool, str)

    def __init__(self, url: str | URL, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: set[str] = set()
        self._fold = QTimer(self)
        self._fold.setSingleShot(True)
        self._fold.setInterval(FOLD_MS)
        self._fold.timeout.connect(self._tell)
        self._thread = _FeedThread(url, self)
        self._thread.heard.connect(self._heard)
        self._thread.listening.connect(self.listening)
        self.is_listening = False
        self._stopped = False
        self.started = False
        self.listening.connect(self._note_listening)

    def start(self) -> None:
        """Begin listening (in the background); never again after :meth:`stop`."""
        if self._stopped or self.started:
            return
        self.started = True
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait for the thread (a fraction of a second); nothing is told after."""
        self._stopped = True
        self._fold.stop()
        self._pending.clear()
        self._thread.requestInterruption()
        self._thread.wait()

    def _note_listening(self, connected: bool, _why: str) -> None:
        self.is_listening = connected

    def _heard(self, kinds: frozenset[str]) -> None:
        if self._stopped:  # queued before the stop: the window is going
            return
        self._pending |= kinds
        if not self._fold.isActive():
            self._fold.start()

    def _tell(self) -> None:
        kinds, self._pending = self._pending, set()
        if DATA in kinds:
            self.data_changed.emit()
        if PRESENCE in kinds:
            self.presence_changed.emit()
