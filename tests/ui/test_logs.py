"""The log file: where it lives, ids only, and what an uncaught error does on screen."""

from __future__ import annotations

import logging
import logging.handlers
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer, qWarning
from pytestqt.qtbot import QtBot

from ketalog.services.users import UserSummary
from ketalog.ui.core import logs
from ketalog.ui.main_window import MainWindow
from ketalog.ui.widgets.background import UNEXPECTED, run_in_background
from tests.ui.conftest import Chair, activate

NURSE_ACCOUNT = UserSummary(1, "nora", "Nora Reyes", "RN", "nurse")


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """The log installed in a temporary folder for one test, then taken down."""
    path = logs.install_logging(tmp_path / "logs")
    yield path
    dialog = logs.open_error_dialog()
    if dialog is not None:
        dialog.close()
    logs.uninstall_logging()


def _read(path: Path) -> str:
    for handler in logging.getLogger(logs.APP_LOGGER).handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_the_folder_follows_the_override_then_the_platform(tmp_path: Path) -> None:
    assert logs.log_folder({logs.ENV_LOG_DIR: str(tmp_path)}) == tmp_path
    assert logs.log_file_path({logs.ENV_LOG_DIR: str(tmp_path)}) == tmp_path / "ketalog.log"
    platform = logs.log_folder({})
    assert "ketalog" in platform.parts


def test_the_log_rotates(log_file: Path) -> None:
    handler = next(h for h in logging.getLogger(logs.APP_LOGGER).handlers
                   if isinstance(h, logging.handlers.RotatingFileHandler))
    assert (handler.maxBytes, handler.backupCount) == (logs.MAX_BYTES, logs.BACKUP_COUNT)
    assert Path(handler.baseFilename) == log_file


# the test raises a Qt warning itself, to see it reach the log file
@pytest.mark.qt_log_ignore("a Qt warning for session")
def test_a_session_flow_leaves_ids_in_the_log_and_no_patient(
        qtbot: QtBot, chair: Chair, log_file: Path) -> None:
    """Open a session, print it, hit an error that quotes the patient: the log names no one."""
    detail = chair.stored()
    family, given = detail.patient_name.split(", ")
    assert (family, given) == ("Ñúñez", "José")
    chair.to("infusing")
    window = MainWindow(chair.engine, "sqlite:///ui", clock=chair.clock, user=NURSE_ACCOUNT)
    qtbot.addWidget(window)
    activate(qtbot, window)
    window.open_session(chair.session_id)
    with qtbot.waitSignal(window.documents.opened, timeout=10000) as opened:
        qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    opened.args[0].close()

    # a slot that fails with the patient in its message, as a database error quotes values
    def failing_slot() -> None:
        raise ValueError(f"cannot save {detail.patient_name} ({detail.mrn})")

    QTimer.singleShot(0, failing_slot)
    qtbot.waitUntil(lambda: logs.open_error_dialog() is not None, timeout=5000)
    dialog = logs.open_error_dialog()
    assert dialog is not None
    # plain words and where the log is; no traceback, no patient on screen either
    assert "could not finish" in dialog.text()
    assert str(log_file) in dialog.informativeText()
    assert "Traceback" not in dialog.text() + dialog.informativeText()
    assert detail.mrn not in dialog.text() + dialog.informativeText()
    # the app goes on: the window still works after the error
    assert window.isVisible()

    # the same in a background job and in a Python thread
    failures: list[str] = []

    def failing_work() -> None:
        raise RuntimeError(f"{given} {family} {detail.mrn}")

    run_in_background(failing_work, done=lambda _v: None, failed=failures.append,
                      name="test job")
    qtbot.waitUntil(lambda: failures == [UNEXPECTED], timeout=5000)
    thread = threading.Thread(target=failing_work, name="worker")
    thread.start()
    thread.join()
    qWarning(f"a Qt warning for session {chair.session_id}")

    text = _read(log_file)
    for secret in (family, given, detail.mrn, detail.patient_name):
        assert secret not in text
    assert "ketalog started" in text
    assert f"document session {chair.session_id}" in text  # ids are there
    assert "builtins.ValueError (message not logged" in text
    assert "in failing_slot" in text  # where it happened is there
    assert "background test job failed" in text
    assert "uncaught RuntimeError in thread worker" in text
    assert f"a Qt warning for session {chair.session_id}" in text


def test_chained_exceptions_keep_their_types_and_lose_their_text() -> None:
    # the traceback shows source lines, which hold names of variables, not their values
    mrn, name = "MRN-0001", "Ñúñez"
    try:
        try:
            raise KeyError(mrn)
        except KeyError as inner:
            raise ValueError(name) from inner
    except ValueError as exc:
        text = logs.describe_exception(exc)
    assert "builtins.KeyError" in text and "builtins.ValueError" in text
    assert "MRN-0001" not in text and "Ñúñez" not in text
    assert "KeyError(mrn)" in text


def test_a_burst_of_errors_shows_one_dialog(qtbot: QtBot, log_file: Path) -> None:
    first = logs.show_error("ValueError")
    second = logs.show_error("ValueError")
    assert first is not None and first is second
    first.close()
    qtbot.waitUntil(lambda: logs.open_error_dialog() is None, timeout=2000)


def test_uninstall_restores_the_hooks(tmp_path: Path) -> None:
    import sys

    before = sys.excepthook
    logs.install_logging(tmp_path)
    assert sys.excepthook is not before
    logs.uninstall_logging()
    assert sys.excepthook is before
    assert not [h for h in logging.getLogger(logs.APP_LOGGER).handlers
                if isinstance(h, logging.handlers.RotatingFileHandler)]
