"""The settings dialog: choose the database, test it in the background, save it (admins only)."""

from __future__ import annotations

import importlib.util
import stat
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from ketalog.store.connection import ConnectionSettings
from ketalog.store.engine import ENV_DATABASE_URL
from ketalog.store.workstation import (
    ENV_CONFIG_DIR,
    AlertSound,
    LockAttention,
    WorkstationConfig,
    load_workstation_config,
    save_workstation_config,
    workstation_config_path,
)
from ketalog.ui.admin.settings_dialog import SettingsDialog
from tests.conftest import PG_URL, require_postgres

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never read or write the real workstation file; no environment override."""
    folder = tmp_path / "config"
    monkeypatch.setenv(ENV_CONFIG_DIR, str(folder))
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    return folder


def _dialog(qtbot: QtBot, current_url: str, *, may_save: bool = True) -> SettingsDialog:
    dialog = SettingsDialog(current_url, may_save, timeout_s=3)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _type(qtbot: QtBot, field: QLineEdit, value: str) -> None:
    field.clear()
    qtbot.keyClicks(field, value)


def _fill_postgres(qtbot: QtBot, dialog: SettingsDialog, *, database: str,
                   port: int | None = None) -> None:
    server = ConnectionSettings.from_url(PG_URL)
    qtbot.mouseClick(dialog.postgres_radio, Qt.MouseButton.LeftButton)
    _type(qtbot, dialog.host, server.host)
    dialog.port.setValue(port or server.port)
    _type(qtbot, dialog.database, database)
    _type(qtbot, dialog.user, server.user)
    _type(qtbot, dialog.password, server.password)


def _test_and_wait(qtbot: QtBot, dialog: SettingsDialog) -> str:
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert not dialog.test_button.isEnabled()  # one test at a time
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=15_000)
    return dialog.result_label.text()


@pytest.mark.postgres
def test_postgres_fields_tested_in_the_background(qtbot: QtBot, tmp_path: Path) -> None:
    require_postgres()
    dialog = _dialog(qtbot, f"sqlite:///{tmp_path / 'k.sqlite3'}")
    _fill_postgres(qtbot, dialog, database=ConnectionSettings.from_url(PG_URL).database)
    shown = _test_and_wait(qtbot, dialog)
    assert "Connected to PostgreSQL" in shown, shown

    _fill_postgres(qtbot, dialog, database=f"ketalog_missing_{uuid.uuid4().hex[:8]}")
    shown = _test_and_wait(qtbot, dialog)
    assert shown.startswith("⚠") and "does not exist" in shown
    assert dialog.tested_ok_url is None


def test_unreachable_server_is_shown_in_red(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, f"sqlite:///{tmp_path / 'k.sqlite3'}")
    _fill_postgres(qtbot, dialog, database="ketalog", port=1)
    shown = _test_and_wait(qtbot, dialog)
    assert shown.startswith("⚠") and "unreachable" in shown and "127.0.0.1:1" in shown
    assert "#8b0000" in dialog.result_label.styleSheet()


def test_save_writes_the_workstation_file(qtbot: QtBot, tmp_path: Path,
                                          config_dir: Path) -> None:
    target = tmp_path / "clinic" / "ketalog.sqlite3"
    dialog = _dialog(qtbot, f"sqlite:///{tmp_path / 'now.sqlite3'}")
    qtbot.mouseClick(dialog.sqlite_radio, Qt.MouseButton.LeftButton)
    _type(qtbot, dialog.sqlite_path, str(target))
    shown = _test_and_wait(qtbot, dialog)
    assert shown.startswith("✓") and "will create" in shown
    with qtbot.waitSignal(dialog.saved) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert saved.args == [f"sqlite:///{target}"]
    assert load_workstation_config().database_url == f"sqlite:///{target}"
    assert stat.S_IMODE(workstation_config_path().stat().st_mode) == 0o600
    assert "the next time it starts" in dialog.message.text()
    assert "not tested" not in dialog.message.text()


def test_save_of_untested_postgres_settings_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, f"sqlite:///{tmp_path / 'now.sqlite3'}")
    qtbot.mouseClick(dialog.postgres_radio, Qt.MouseButton.LeftButton)
    _type(qtbot, dialog.host, "db.clinic.example")
    _type(qtbot, dialog.database, "ketalog")
    _type(qtbot, dialog.user, "nurse")
    _type(qtbot, dialog.password, "s3 cr@t")
    dialog.sslmode.setCurrentIndex(dialog.sslmode.findData("verify-full"))
    _type(qtbot, dialog.rootcert, "/etc/ketalog/ca.crt")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    saved = ConnectionSettings.from_url(load_workstation_config().database_url or "")
    assert (saved.host, saved.user, saved.password, saved.sslmode, saved.sslrootcert) == (
        "db.clinic.example", "nurse", "s3 cr@t", "verify-full", "/etc/ketalog/ca.crt")
    assert "not tested successfully" in dialog.message.text()


def test_only_an_administrator_may_save(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, f"sqlite:///{tmp_path / 'now.sqlite3'}", may_save=False)
    assert not dialog.save_button.isEnabled()
    assert "administrator" in dialog.save_button.toolTip()
    assert dialog.test_button.isEnabled()  # anyone may test
    assert dialog.save() is False
    assert load_workstation_config().database_url is None


def test_verify_modes_enable_the_root_certificate(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, "postgresql://nurse@db.clinic/ketalog")
    assert dialog.postgres_radio.isChecked() and dialog.sslmode.currentData() == "prefer"
    assert not dialog.rootcert.isEnabled() and not dialog.rootcert_browse.isEnabled()
    assert dialog.sslmode.count() == 6
    dialog.sslmode.setCurrentIndex(dialog.sslmode.findData("verify-full"))
    assert dialog.rootcert.isEnabled() and dialog.rootcert_browse.isEnabled()
    assert "recommended" in dialog.sslmode.currentText()
    assert "host name are both checked" in dialog.ssl_hint.text()
    dialog.sslmode.setCurrentIndex(dialog.sslmode.findData("verify-ca"))
    assert dialog.rootcert.isEnabled()
    dialog.sslmode.setCurrentIndex(dialog.sslmode.findData("require"))
    assert not dialog.rootcert.isEnabled()
    assert "identity is not checked" in dialog.ssl_hint.text()


def test_fields_start_from_the_saved_setting_password_hidden(qtbot: QtBot, tmp_path: Path) -> None:
    save_workstation_config(WorkstationConfig(
        "postgresql://nurse:s%40cret@db.clinic:5433/ketalog?sslmode=verify-full"
        "&sslrootcert=%2Fetc%2Fca.crt"))
    dialog = _dialog(qtbot, f"sqlite:///{tmp_path / 'now.sqlite3'}")
    assert dialog.postgres_radio.isChecked()
    assert (dialog.host.text(), dialog.port.value(), dialog.user.text()) == (
        "db.clinic", 5433, "nurse")
    assert dialog.password.text() == "s@cret"
    assert dialog.password.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.rootcert.text() == "/etc/ca.crt" and dialog.rootcert.isEnabled()
    assert "now.sqlite3" in dialog.current_label.text()  # what runs now, not what is saved


def test_environment_override_is_shown_without_its_password(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_DATABASE_URL, "postgresql://nurse:s3cret@db.clinic/ketalog")
    dialog = _dialog(qtbot, "postgresql://nurse:s3cret@db.clinic/ketalog")
    assert dialog.override_label.isVisible()
    assert ENV_DATABASE_URL in dialog.override_label.text()
    assert "nurse:***@db.clinic" in dialog.override_label.text()
    assert "s3cret" not in dialog.override_label.text() + dialog.current_label.text()
    qtbot.mouseClick(dialog.sqlite_radio, Qt.MouseButton.LeftButton)
    _type(qtbot, dialog.sqlite_path, str(tmp_path / "x.sqlite3"))
    assert dialog.save()
    assert "still overrides" in dialog.message.text()


def test_backups_group(qtbot: QtBot, tmp_path: Path) -> None:
    database = tmp_path / "k.sqlite3"
    dialog = _dialog(qtbot, f"sqlite:///{database}")
    if importlib.util.find_spec("ketalog.store.backup") is None:
        assert dialog.backups_label.text() == "Backups: not available"
    else:
        from ketalog.store.backup import backup_folder  # type: ignore[import-not-found,unused-ignore]

        assert str(backup_folder(database)) in dialog.backups_label.text()
        assert "keeps the newest 14" in dialog.backups_label.text()
    on_server = _dialog(qtbot, "postgresql://nurse@db.clinic/ketalog")
    assert "pg_dump" in on_server.backups_label.text()


# -- the start-up failure offers the settings ---------------------------------------------


def _script(qtbot: QtBot, steps: list[Callable[[QWidget], bool]]) -> QTimer:
    """Act on each modal window as it appears; a step returns True once it has acted."""
    timer = QTimer()

    def tick() -> None:
        widget = QApplication.activeModalWidget()
        if widget is not None and steps and steps[0](widget):
            steps.pop(0)

    timer.timeout.connect(tick)
    timer.start(50)
    return timer


def _click(box_text: str, button: str) -> Callable[[QWidget], bool]:
    def step(widget: QWidget) -> bool:
        if not isinstance(widget, QMessageBox) or box_text not in widget.text():
            return False
        for candidate in widget.buttons():
            if candidate.text() == button:
                candidate.click()
                return True
        raise AssertionError(f"no {button} button in {[b.text() for b in widget.buttons()]}")
    return step


def test_startup_failure_offers_settings_and_retries(qtbot: QtBot, tmp_path: Path) -> None:
    from ketalog.ui.launch import run_gui

    first = tmp_path / "notes.txt"
    first.write_text("shopping list\n", encoding="utf-8")
    second = tmp_path / "letters.txt"
    second.write_text("dear clinic\n", encoding="utf-8")
    save_workstation_config(WorkstationConfig(f"sqlite:///{first}"))

    def choose_second_file(widget: QWidget) -> bool:
        if not isinstance(widget, SettingsDialog):
            return False
        assert widget.may_save and widget.sqlite_path.text() == str(first)
        widget.sqlite_path.setText(str(second))
        assert widget.save()
        widget.reject()
        return True

    steps = [_click(str(first), "Settings..."), choose_second_file,
             _click(str(second), "Retry"), _click(str(second), "Quit")]
    timer = _script(qtbot, steps)
    try:
        assert run_gui() == 1
    finally:
        timer.stop()
    assert steps == []  # the retry read the file the dialog saved
    assert first.read_text(encoding="utf-8") == "shopping list\n"
    assert second.read_text(encoding="utf-8") == "dear clinic\n"


def test_the_lock_page_attention_is_chosen_and_saved(qtbot: QtBot, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'now.sqlite3'}"
    save_workstation_config(WorkstationConfig(url))
    dialog = _dialog(qtbot, url)
    combo = dialog.lock_attention
    assert combo.currentData() == LockAttention.FLASH  # the default
    assert [combo.itemData(i) for i in range(combo.count())] == list(LockAttention)
    combo.setCurrentIndex(combo.findData(LockAttention.NONE))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    saved = load_workstation_config()
    assert (saved.database_url, saved.lock_attention) == (url, LockAttention.NONE)
    assert "from the next lock" in dialog.message.text()
    again = _dialog(qtbot, url, may_save=False)
    assert again.lock_attention.currentData() == LockAttention.NONE
    assert not again.save_button.isEnabled()  # like the database: administrators only


def test_the_alert_sound_is_chosen_and_remembered_by_this_workstation(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'now.sqlite3'}"
    save_workstation_config(WorkstationConfig(url))
    dialog = _dialog(qtbot, url)
    combo = dialog.alert_sound
    assert combo.currentData() == AlertSound.OFF  # the default: a clinic is noisy enough
    assert [combo.itemData(i) for i in range(combo.count())] == list(AlertSound)
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # the keyboard way: Off -> Beep
    assert combo.currentData() == AlertSound.BEEP
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "The alert sound applies from now on." in dialog.message.text()
    assert load_workstation_config().alert_sound is AlertSound.BEEP
    assert _dialog(qtbot, url).alert_sound.currentData() == AlertSound.BEEP  # remembered
    # another workstation (its own settings folder) is still quiet
    monkeypatch.setenv(ENV_CONFIG_DIR, str(tmp_path / "another workstation"))
    assert _dialog(qtbot, url).alert_sound.currentData() == AlertSound.OFF


def test_the_daily_backups_are_listed_newest_first(qtbot: QtBot, tmp_path: Path,
                                                   qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    database = tmp_path / "now.sqlite3"
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "now-2026-11-20.sqlite3").write_bytes(b"x" * 1_500_000)
    (folder / "now-2026-11-21.sqlite3").write_bytes(b"x" * 2_000_000)
    (folder / "notes.txt").write_text("not a backup", encoding="utf-8")
    # another database's backup in the same folder is not this one's
    (folder / "ketalog-2026-11-22.sqlite3").write_bytes(b"x" * 100)
    dialog = _dialog(qtbot, f"sqlite:///{database}")
    model = dialog.backups_model
    qtmodeltester.check(model)
    assert dialog.backups_table.isVisibleTo(dialog)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)] == [
        "Date", "Size", "File"]
    assert [[model.index(r, c).data() for c in range(2)] for r in range(model.rowCount())] == [
        ["2026-11-21", "2.0 MB"], ["2026-11-20", "1.5 MB"]]
    assert model.index(1, 2).data() == str(folder / "now-2026-11-20.sqlite3")
