"""The app's log: a rotating file in the user log folder, with ids and never patient data.

Modules log through ``logging.getLogger(__name__)`` with ids only (session 42,
course 7), never a name, MRN or note. An exception's own text can carry
anything (a database error quotes the values it was given), so the file keeps
the exception's type and where it happened, never its message.

:func:`install_logging` also routes an uncaught exception (``sys.excepthook``,
``threading.excepthook``) and Qt's own warnings into the file. An exception in
a Qt slot then shows :class:`ErrorDialog`, which says in plain words what
happened and where the log is; the app keeps running, because every entry is
saved by its own action and nothing half-done is kept.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import (
    QCoreApplication,
    QMessageLogContext,
    Qt,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ketalog import __version__
from ketalog.store.files import user_folder
from ketalog.ui.widgets.buttons import Button

#: Overrides the log folder (tests, or a clinic that keeps logs on another disk).
ENV_LOG_DIR = "KETALOG_LOG_DIR"
LOG_FILENAME = "ketalog.log"
#: Five files of 1 MB: weeks of ordinary use, and a bounded size on a full disk.
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5

#: Everything the app logs is under this logger; other libraries are not written to the file.
APP_LOGGER = "ketalog"

log = logging.getLogger(__name__)

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def log_folder(environ: Mapping[str, str] | None = None) -> Path:
    """The folder of the log files: ``$KETALOG_LOG_DIR`` or the platform's user log folder."""
    return user_folder("log", ENV_LOG_DIR, environ)


def log_file_path(environ: Mapping[str, str] | None = None) -> Path:
    """The current log file (older ones beside it end in .1, .2, ...)."""
    return log_folder(environ) / LOG_FILENAME


def describe_exception(exc: BaseException) -> str:
    """Where an exception happened and its type, for the log; never its message.

    Chained exceptions (``raise ... from``, or raised while handling another)
    are described too, oldest first, as Python prints them.
    """
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__)
    parts = []
    for item in reversed(chain):
        frames = "".join(traceback.format_tb(item.__traceback__))
        name = f"{type(item).__module__}.{type(item).__qualname__}"
        parts.append(f"Traceback (most recent call last):\n{frames}{name} "
                     "(message not logged: it may name a patient)")
    return "\nDuring or because of the above:\n".join(parts)


class IdsOnlyFormatter(logging.Formatter):
    """Formats records with the exception's type and frames, never its text."""

    def formatException(self, ei: object) -> str:
        """The traceback without the exception's message (see :func:`describe_exception`)."""
        if isinstance(ei, tuple) and len(ei) == 3 and isinstance(ei[1], BaseException):
            return describe_exception(ei[1])
        return "(no exception information)"

    def format(self, record: logging.LogRecord) -> str:
        """Format afresh: another handler may have cached the full exception text on the record."""
        cached = record.exc_text
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached


@dataclass
class _Installed:
    handler: logging.Handler
    previous_excepthook: ExceptHook
    previous_thread_hook: Callable[[threading.ExceptHookArgs], object]
    previous_qt_handler: object


_installed: _Installed | None = None
_log_path: Path | None = None
_dialog: ErrorDialog | None = None


def install_logging(folder: Path | None = None) -> Path:
    """Start the log file and route uncaught errors and Qt warnings into it.

    Called once at start (again: the earlier set-up is replaced). A folder that
    cannot be created leaves the app without a file log rather than without an app.

    Returns:
        The log file's path (shown by the error dialog).
    """
    uninstall_logging()
    path = (folder if folder is not None else log_folder()) / LOG_FILENAME
    handler: logging.Handler
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT,
                                      encoding="utf-8", delay=True)
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(IdsOnlyFormatter(
        "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    app_logger = logging.getLogger(APP_LOGGER)
    app_logger.addHandler(handler)
    if app_logger.level == logging.NOTSET or app_logger.level > logging.INFO:
        app_logger.setLevel(logging.INFO)
    global _installed, _log_path
    _log_path = path
    _installed = _Installed(handler, sys.excepthook, threading.excepthook,
                            qInstallMessageHandler(_qt_message))
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
    log.info("ketalog started (version %s, Python %s, Qt %s, %s)", __version__,
             sys.version.split()[0], _qt_version(), sys.platform)
    return path


def uninstall_logging() -> None:
    """Undo :func:`install_logging` (tests; the next install replaces it anyway)."""
    global _installed
    if _installed is None:
        return
    logging.getLogger(APP_LOGGER).removeHandler(_installed.handler)
    _installed.handler.close()
    # only our own hooks are taken out: one installed after ours (pytest-qt's) stays
    if sys.excepthook is _excepthook:
        sys.excepthook = _installed.previous_excepthook
    if threading.excepthook is _thread_excepthook:
        threading.excepthook = _installed.previous_thread_hook
    current = qInstallMessageHandler(_installed.previous_qt_handler)  # type: ignore[arg-type]
    if current is not None and current != _qt_message:
        qInstallMessageHandler(current)
    _installed = None


def current_log_path() -> Path:
    """The file being written (or where it would be, before :func:`install_logging`)."""
    return _log_path if _log_path is not None else log_file_path()


def _qt_version() -> str:
    from PySide6 import __version__

    return __version__


def _excepthook(kind: type[BaseException], exc: BaseException,
                tb: TracebackType | None) -> None:
    """An exception nobody caught (usually in a Qt slot): log it, tell the user, go on."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    log.critical("uncaught %s", kind.__qualname__, exc_info=(kind, exc, tb))
    show_error(kind.__qualname__)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    """An exception in a Python thread: logged (a thread cannot open a window)."""
    if args.exc_value is None:
        return
    log.critical("uncaught %s in thread %s", args.exc_type.__qualname__,
                 args.thread.name if args.thread else "?",
                 exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's warnings go to the file, and on as before (stderr, for a developer)."""
    category = context.category or "qt"
    logging.getLogger(f"{APP_LOGGER}.qt").log(_QT_LEVELS.get(kind, logging.WARNING),
                                               "%s: %s", category, message)
    previous = _installed.previous_qt_handler if _installed is not None else None
    if callable(previous):  # a handler installed before ours (pytest-qt's) still hears it
        previous(kind, context, message)
    elif kind != QtMsgType.QtDebugMsg:
        print(f"Qt {category}: {message}", file=sys.stderr)


class ErrorDialog(QMessageBox):
    """Says that something went wrong, that saved work is safe, and where the log is.

    No traceback on screen: a nurse cannot act on one, and it could show
    values from the screen to whoever stands behind the chair.
    """

    def __init__(self, what: str, log_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(self.tr("ketalog: something went wrong"))
        self.setText(self.tr(
            "ketalog could not finish what it was just doing. What was saved before is "
            "kept: check that your last entry is shown, and enter it again if it is not."))
        self.setInformativeText(self.tr(
            "You can keep working. If this happens again, tell your administrator and "
            "give them the log file:\n%1\n\n(Technical name: %2)")
            .replace("%1", str(log_path)).replace("%2", what))
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # a kit button: Enter and Space close it alike, as every other button in the app
        self.ok_button = Button(self.tr("OK"))
        self.addButton(self.ok_button, QMessageBox.ButtonRole.AcceptRole)
        self.setDefaultButton(self.ok_button)
        self.setEscapeButton(self.ok_button)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)


def show_error(what: str) -> ErrorDialog | None:
    """Open the error dialog (not blocking) unless one is already open; None without a GUI."""
    global _dialog
    app = QCoreApplication.instance()
    if not isinstance(app, QApplication):
        return None
    if _dialog is not None:
        try:
            if _dialog.isVisible():
                return _dialog  # a burst of errors (a failing repaint) shows one dialog
        except RuntimeError:  # deleted on close
            pass
    dialog = ErrorDialog(what, current_log_path(), app.activeWindow())
    dialog.finished.connect(_forget_dialog)
    _dialog = dialog
    dialog.open()
    return dialog


def _forget_dialog(_result: int) -> None:
    global _dialog
    _dialog = None


def open_error_dialog() -> ErrorDialog | None:
    """The error dialog now on screen, if any (tests)."""
    return _dialog
