"""The state of the connection to the database, as the banner shows it.

When a save finds the server gone, the link goes offline: the screen keeps
what it showed (for reading), nothing more is sent until a probe in the
background gets an answer (every :data:`RETRY_S` seconds, or at once with
"Retry now"), and then ``restored`` tells whoever holds waiting entries to
save them. The probe runs off the GUI thread: a cut network can take the
whole connect timeout to fail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy import Engine

from ketalog.services.context import Clock, system_clock
from ketalog.store.connectivity import probe
from ketalog.ui.widgets.background import BackgroundJob, JobRefused, run_in_background

log = logging.getLogger(__name__)

#: Seconds between tries while the database is unreachable.
RETRY_S = 3


def _probe_work(engine: Engine) -> Callable[[], None]:
    """Ask the server once; any failure means "still unreachable" (its first line says why)."""

    def work() -> None:
        try:
            probe(engine)
        except Exception as exc:
            raise JobRefused(str(exc).splitlines()[0] if str(exc) else "") from exc

    return work


class DatabaseLink(QObject):
    """Online, or offline since a given time with tries going on."""

    changed = Signal()   # state, countdown or waiting count changed: redraw the banner
    restored = Signal()  # the server answers again: save what waits

    def __init__(self, engine: Engine, clock: Clock = system_clock,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.clock = clock
        self.online = True
        self.lost_at_utc: datetime | None = None
        self.restored_at_utc: datetime | None = None
        self.reason = ""
        self.seconds_to_retry = 0
        self.trying = False
        self.waiting_entries = 0
        self._probe: BackgroundJob | None = None
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._count_down)

    def stop(self) -> None:
        """The window is closing: no more tries, and an answer still on its way is ignored."""
        self._countdown.stop()
        self.online = True
        self.trying = False
        if self._probe is not None:
            self._probe.drop()  # still running: its answer is ignored

    def report_lost(self, reason: str) -> None:
        """A database call found the server gone: go offline and start trying."""
        self.reason = reason
        if self.online:
            log.warning("database unreachable; trying again every %d s", RETRY_S)
            self.online = False
            self.lost_at_utc = self.clock()
            self.seconds_to_retry = RETRY_S
            self._countdown.start()
        self.changed.emit()

    def set_waiting(self, count: int) -> None:
        """How many typed entries wait for the connection (shown in the banner)."""
        if count != self.waiting_entries:
            self.waiting_entries = count
            self.changed.emit()

    def retry_now(self) -> None:
        """Try the server now (the banner's button, or the countdown reaching zero)."""
        if self.online or self.trying:
            return
        self.trying = True
        self.changed.emit()
        self._probe = run_in_background(
            _probe_work(self.engine), done=lambda _none: self._answered(True, ""),
            failed=lambda reason: self._answered(False, reason), owner=self,
            name="database probe")

    def _count_down(self) -> None:
        if self.trying:
            return
        self.seconds_to_retry -= 1
        if self.seconds_to_retry <= 0:
            self.retry_now()
        else:
            self.changed.emit()

    def _answered(self, ok: bool, reason: str) -> None:
        self.trying = False
        self._probe = None
        if not ok:
            self.reason = reason or self.reason
            self.seconds_to_retry = RETRY_S
            self.changed.emit()
            return
        self.online = True
        self.restored_at_utc = self.clock()
        log.info("database reachable again")
        self._countdown.stop()
        self.changed.emit()
        self.restored.emit()
