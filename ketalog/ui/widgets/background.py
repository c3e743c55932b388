"""Work off the GUI thread through one helper: work, then done or failed.

PDF building, chain checks, exports and connection probes run in the global
thread pool. The work opens its own database session and touches no widget;
its result comes back to the GUI thread by a queued signal, and goes to
``done`` (or the refusal to ``failed``) only while the widget that asked
still exists and has not dropped the job.

A job is kept alive here until its answer is delivered: without a Python
reference the runnable and its signal object could be collected while the
pool still runs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

log = logging.getLogger(__name__)

#: What ``failed`` hears when the work raised something unexpected (the log has the detail).
UNEXPECTED = "Something went wrong in the background; the details are in the log."

#: Jobs started and not yet answered (kept so Python does not collect them mid-run).
_RUNNING: set[BackgroundJob] = set()


class JobRefused(Exception):
    """The work could not be done, for a reason the user can read (shown as it is)."""


class JobSignals(QObject):
    """The job's answer, emitted in the pool thread, delivered in the GUI thread."""

    done = Signal(object)
    failed = Signal(str)


class BackgroundJob(QRunnable):
    """Run ``work()`` in a pool thread; emit ``done(value)`` or ``failed(message)``.

    ``run()`` never raises: a :class:`JobRefused` is reported with its own
    message, anything else is logged (with its traceback, never its text) and
    reported as :data:`UNEXPECTED`.
    """

    def __init__(self, work: Callable[[], Any], name: str = "job") -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python owns it (see _RUNNING)
        self.work = work
        self.name = name
        self.signals = JobSignals()
        self.dropped = False

    def run(self) -> None:
        """Do the work and report; called by the pool (or directly by a test)."""
        try:
            value = self.work()
        except JobRefused as refusal:
            self.signals.failed.emit(str(refusal))
            return
        except Exception:
            log.exception("background %s failed", self.name)
            self.signals.failed.emit(UNEXPECTED)
            return
        self.signals.done.emit(value)

    def drop(self) -> None:
        """The asker no longer wants the answer (its window closed): it is not delivered."""
        self.dropped = True


def run_in_background(work: Callable[[], Any], *, done: Callable[[Any], None],
                      failed: Callable[[str], None], owner: QObject | None = None,
                      name: str = "job") -> BackgroundJob:
    """Start ``work`` in the global thread pool; its answer goes to ``done`` or ``failed``.

    Args:
        work: runs in a pool thread; opens its own session, touches no widget;
            raises :class:`JobRefused` for a refusal the user should read.
        done: called in the GUI thread with what ``work`` returned.
        failed: called in the GUI thread with a message for the user.
        owner: the widget that asked; once it is deleted the answer is dropped.
        name: what the job is, for the log (never patient data).

    Returns:
        The started job; ``job.drop()`` forgets its answer.
    """
    job = BackgroundJob(work, name)
    _RUNNING.add(job)

    def wanted() -> bool:
        _RUNNING.discard(job)
        return not job.dropped and (owner is None or shiboken6.isValid(owner))

    def deliver_done(value: object) -> None:
        if wanted():
            done(value)

    def deliver_failed(message: str) -> None:
        if wanted():
            failed(message)

    queued = Qt.ConnectionType.QueuedConnection  # always after the caller's own code
    job.signals.done.connect(deliver_done, queued)
    job.signals.failed.connect(deliver_failed, queued)
    QThreadPool.globalInstance().start(job)
    return job


def running_jobs() -> int:
    """How many jobs have not answered yet (for tests and a clean shutdown)."""
    return len(_RUNNING)
