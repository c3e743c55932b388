"""This workstation's settings: which database to use, a connection test, the backups, the lock.

The choice is saved in the workstation file (it cannot live in the database it
points to) and takes effect at the next start: the running app keeps its
engine, so nothing half-switches under a nurse's open session. Anyone may open
the dialog and test a connection; only an administrator may save. The test
runs in a pool thread and never touches a widget from there. The
workstation's alert sound (``alert_sound``, applies at once) and whether its
lock page flashes (``lock_attention``, from the next lock) are saved in the
same file.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QObject,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QButtonGroup,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import make_url

from ketalog.store.connection import (
    DEFAULT_PORT,
    SSL_MODES,
    ConnectionCheck,
    ConnectionSettings,
    test_connection,
)
from ketalog.store.engine import (
    ENV_DATABASE_URL,
    DatabaseConfigError,
    default_database_path,
    describe_url,
    sqlite_path,
)
from ketalog.store.workstation import (
    DEFAULT_ALERT_SOUND,
    DEFAULT_LOCK_ATTENTION,
    AlertSound,
    LockAttention,
    WorkstationConfig,
    WorkstationConfigError,
    load_workstation_config,
    save_workstation_config,
    workstation_config_path,
)
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, MessageLabel
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP
from ketalog.ui.widgets import (
    ActionButton,
    Button,
    Column,
    ComboBox,
    RowsModel,
    ScrollingPage,
    SpinBox,
    make_table,
)
from ketalog.ui.widgets.background import BackgroundJob, run_in_background
from ketalog.ui.widgets.windows import available_area

#: The SSL modes that check the server's certificate against a root certificate.
VERIFYING_MODES = frozenset({"verify-ca", "verify-full"})
class BackupsModel(RowsModel[Any]):
    """The automatic daily backups of the SQLite file, newest first (one file, one row)."""

    DATE, SIZE, FILE = range(3)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "Date"), lambda b: b.taken_on.isoformat()),
            Column(QT_TRANSLATE_NOOP("Column", "Size"),
                   lambda b: f"{b.size_bytes / 1_000_000:.1f} MB"),
            Column(QT_TRANSLATE_NOOP("Column", "File"), lambda b: str(b.path)),
        ), parent, key=lambda b: b.path)


class SettingsDialog(QDialog):
    """Choose the database (SQLite file or PostgreSQL server), test it, save it.

    Args:
        current_url: the database this running app uses (shown, password hidden).
        may_save: whether the signed-in user may change the workstation's
            database (administrators only); anyone may test.
    """

    saved = Signal(str)  # the URL written to the workstation file

    def __init__(self, current_url: str, may_save: bool, parent: QWidget | None = None,
                 *, timeout_s: float = 5.0) -> None:
        super().__init__(parent)
        self.current_url = current_url
        self.may_save = may_save
        self.timeout_s = timeout_s
        #: connection tests still running: their answers are dropped when the dialog closes
        self.running: set[BackgroundJob] = set()
        #: the URL whose last test succeeded (Save says when the settings were not tested)
        self.tested_ok_url: str | None = None
        #: the lock page's attention and the alert sound as saved in the workstation file
        self.saved_attention = DEFAULT_LOCK_ATTENTION
        self.saved_sound = DEFAULT_ALERT_SOUND
        self.setWindowTitle(self.tr("Settings: database"))
        self.setMinimumWidth(720)

        layout = QVBoxLayout(self)
        groups = QVBoxLayout()
        groups.setContentsMargins(0, 0, 0, 0)
        groups.addWidget(self._database_group())
        groups.addWidget(self._backups_group())
        groups.addWidget(self._lock_group())
        groups.addStretch(1)
        host = QWidget()
        host.setLayout(groups)
        # the groups scroll on a short screen (1366x768 at 125 % is 614 px high); the
        # message and the buttons stay in view below them
        self.body = ScrollingPage(host)
        self.body.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        layout.addWidget(self.body, 1)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        # saving rewrites the workstation file: a click or Ctrl+S, never a stray Space
        self.save_button = ActionButton(self.tr("Save"), shortcut="Ctrl+S")
        self.save_button.clicked.connect(self.save)
        self.save_button.setEnabled(may_save)
        if not may_save:
            self.save_button.setToolTip(self.tr(
                "Only an administrator can change which database this workstation uses."))
        close = Button(self.tr("Close"), on_click=self.reject)
        bar = QHBoxLayout()
        if not may_save:
            hint = QLabel(self.tr("You can test a connection; an administrator can change it."))
            hint.setWordWrap(True)
            bar.addWidget(hint, 1)
        else:
            bar.addStretch(1)
        bar.addWidget(self.save_button)
        bar.addWidget(close)
        layout.addLayout(bar)
        self.load(self._initial_settings())

    # -- layout ---------------------------------------------------------------------------

    def _database_group(self) -> QGroupBox:
        box = QGroupBox(self.tr("Database"))
        form = QVBoxLayout(box)
        self.current_label = QLabel(self.tr("In use now: %1").replace(
            "%1", describe_url(self.current_url) if self.current_url else self.tr("none")))
        self.current_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.current_label.setWordWrap(True)
        form.addWidget(self.current_label)
        self.override_label = QLabel()
        self.override_label.setWordWrap(True)
        self.override_label.setStyleSheet("color: #8b0000;")
        env_url = os.environ.get(ENV_DATABASE_URL)
        if env_url:
            self.override_label.setText(self.tr(
                "%1 is set on this computer (%2) and overrides the saved setting: what you "
                "save here is used only once that variable is removed.")
                .replace("%1", ENV_DATABASE_URL).replace("%2", describe_url(env_url)))
        self.override_label.setVisible(bool(env_url))
        form.addWidget(self.override_label)

        self.sqlite_radio = QRadioButton(self.tr("SQLite file on this computer (one workstation)"))
        self.postgres_radio = QRadioButton(
            self.tr("PostgreSQL server (several workstations share one database)"))
        self.kind_group = QButtonGroup(self)
        self.kind_group.addButton(self.sqlite_radio)
        self.kind_group.addButton(self.postgres_radio)
        form.addWidget(self.sqlite_radio)
        form.addWidget(self.postgres_radio)
        # the page not chosen is hidden, so it takes no room
        self.sqlite_page = self._sqlite_page()
        self.postgres_page = self._postgres_page()
        form.addWidget(self.sqlite_page)
        form.addWidget(self.postgres_page)
        self.sqlite_radio.toggled.connect(self._kind_changed)

        self.test_button = Button(self.tr("Test connection"))  # reads only: may have the focus
        self.test_button.clicked.connect(self.start_test)
        self.result_label = QLabel()
        self.result_label.setObjectName("connectionResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.result_label, 1)
        form.addLayout(row)
        return box

    def _sqlite_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        form = QFormLayout()
        column.addLayout(form)
        self.sqlite_path = QLineEdit()
        browse = Button(self.tr("Browse..."))
        browse.clicked.connect(self._browse_sqlite)
        line = QHBoxLayout()
        line.addWidget(self.sqlite_path, 1)
        line.addWidget(browse)
        form.addRow(self.tr("File"), line)
        note = QLabel(self.tr("A SQLite file must stay on this computer's own disk, never on "
                              "a network share; for several workstations use PostgreSQL."))
        note.setWordWrap(True)
        column.addWidget(note)  # outside the form: a wrapped label in a form row gets clipped
        return page

    def _postgres_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.host = QLineEdit()
        self.host.setPlaceholderText("db.clinic.example")
        self.port = SpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setMaximumWidth(120)
        self.database = QLineEdit()
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sslmode = ComboBox()
        for mode in SSL_MODES:
            label = f"{mode} ({self.tr('recommended')})" if mode == "verify-full" else mode
            self.sslmode.addItem(label, mode)
        self.ssl_hint = QLabel()
        self.ssl_hint.setWordWrap(True)
        self.sslmode.currentIndexChanged.connect(self._sslmode_changed)
        self.rootcert = QLineEdit()
        self.rootcert.setPlaceholderText(self.tr("the clinic's CA certificate (.crt or .pem)"))
        self.rootcert_browse = Button(self.tr("Browse..."))
        self.rootcert_browse.clicked.connect(self._browse_rootcert)
        cert_line = QHBoxLayout()
        cert_line.addWidget(self.rootcert, 1)
        cert_line.addWidget(self.rootcert_browse)
        form.addRow(self.tr("Host"), self.host)
        form.addRow(self.tr("Port"), self.port)
        form.addRow(self.tr("Database"), self.database)
        form.addRow(self.tr("User"), self.user)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.tr("SSL mode"), self.sslmode)
        form.addRow("", self.ssl_hint)
        form.addRow(self.tr("Root certificate"), cert_line)
        return page

    def _backups_group(self) -> QGroupBox:
        """The automatic daily backups of the SQLite file in use (not for PostgreSQL)."""
        box = QGroupBox(self.tr("Backups"))
        layout = QVBoxLayout(box)
        self.backups_label = QLabel()
        self.backups_label.setWordWrap(True)
        self.backups_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.backups_label)
        self.backups_model = BackupsModel(self)
        self.backups_table = make_table(self.backups_model, stretch_column=2)
        self.backups_table.setMaximumHeight(160)
        layout.addWidget(self.backups_table)
        self.backups_table.hide()
        path = self._current_sqlite_file()
        if path is None:
            self.backups_label.setText(self.tr(
                "The automatic daily backup is for a SQLite file. For a PostgreSQL server, "
                "back up with pg_dump on the server (ketalog backup FILE)."))
            return box
        try:
            # start-up: the backup module (about 20 ms) loads when this box is built
            from ketalog.store.backup import (  # type: ignore[import-not-found,unused-ignore]
                KEEP_DAILY,
                backup_folder,
                list_automatic_backups,
            )
        except ImportError:
            self.backups_label.setText(self.tr("Backups: not available"))
            return box
        try:
            backups = sorted(list_automatic_backups(path), key=lambda b: b.taken_on,
                             reverse=True)
            folder = backup_folder(path)
        except OSError as exc:
            self.backups_label.setText(self.tr("The backups cannot be listed: %1")
                                       .replace("%1", str(exc)))
            return box
        self.backups_model.set_rows(backups)
        text = self.tr("A backup of the database file is made at the first start of each "
                       "day; ketalog keeps the newest %1. Folder: %2").replace(
            "%1", str(KEEP_DAILY)).replace("%2", str(folder))
        if not backups:
            text += "\n" + self.tr("No automatic backup yet.")
        self.backups_label.setText(text)
        self.backups_table.setVisible(bool(backups))
        return box

    def _lock_group(self) -> QGroupBox:
        """This workstation's alert sound, and how its lock page calls for help."""
        box = QGroupBox(self.tr("Alerts on this workstation"))
        form = QFormLayout(box)
        self.alert_sound = ComboBox()
        for sound, label in ((AlertSound.OFF, self.tr("Off (default): shown on screen only")),
                             (AlertSound.BEEP, self.tr("Beep"))):
            self.alert_sound.addItem(label, sound)
        form.addRow(self.tr("Sound when an alert falls due"), self.alert_sound)
        self.lock_attention = ComboBox()
        for attention, label in (
                (LockAttention.FLASH, self.tr("Flash the chair status (default)")),
                (LockAttention.NONE, self.tr("Do not flash (the chairs' needs are still "
                                             "listed)"))):
            self.lock_attention.addItem(label, attention)
        form.addRow(self.tr("Locked, when a chair needs someone"), self.lock_attention)
        note = QLabel(self.tr("The sound plays for vitals falling overdue and new alerts, "
                              "and while locked for each chair that needs someone. While "
                              "this workstation is locked, its lock page lists what each "
                              "chair needs, without patient names."))
        note.setWordWrap(True)
        form.addRow(note)
        return box

    # -- the settings on screen -----------------------------------------------------------

    def _current_sqlite_file(self) -> Path | None:
        try:
            parsed = make_url(self.current_url)
        except Exception:  # a malformed URL has no file
            return None
        if parsed.get_backend_name() != "sqlite":
            return None
        return sqlite_path(parsed)

    def _initial_settings(self) -> ConnectionSettings:
        """What the next start would use: the saved setting, else the database in use."""
        url: str | None = None
        try:
            saved = load_workstation_config()
            url = saved.database_url
            self.saved_attention = saved.lock_attention
            self.saved_sound = saved.alert_sound
        except WorkstationConfigError as exc:
            self.message.show_error(str(exc))
        for candidate in (url, self.current_url):
            if candidate:
                try:
                    return ConnectionSettings.from_url(candidate)
                except DatabaseConfigError:
                    continue
        return ConnectionSettings(kind="sqlite", sqlite_path=str(default_database_path()))

    def load(self, settings: ConnectionSettings) -> None:
        """Show ``settings`` in the fields."""
        self.sqlite_path.setText(settings.sqlite_path or str(default_database_path()))
        self.host.setText(settings.host if settings.kind == "postgresql" else "")
        self.port.setValue(settings.port)
        self.database.setText(settings.database)
        self.user.setText(settings.user)
        self.password.setText(settings.password)
        index = self.sslmode.findData(settings.sslmode)
        self.sslmode.setCurrentIndex(index if index >= 0 else self.sslmode.findData("prefer"))
        self.rootcert.setText(settings.sslrootcert)
        self.lock_attention.setCurrentIndex(self.lock_attention.findData(self.saved_attention))
        self.alert_sound.setCurrentIndex(self.alert_sound.findData(self.saved_sound))
        self._options = dict(settings.options)
        (self.postgres_radio if settings.kind == "postgresql" else self.sqlite_radio).setChecked(
            True)
        self._kind_changed()
        self._sslmode_changed()

    def settings(self) -> ConnectionSettings:
        """The settings as the fields show them."""
        if self.sqlite_radio.isChecked():
            return ConnectionSettings(kind="sqlite", sqlite_path=self.sqlite_path.text().strip())
        return ConnectionSettings(
            kind="postgresql", host=self.host.text().strip(), port=self.port.value(),
            database=self.database.text().strip(), user=self.user.text().strip(),
            password=self.password.text(), sslmode=str(self.sslmode.currentData()),
            sslrootcert=self.rootcert.text().strip(), options=dict(self._options),
        )

    def _kind_changed(self, *_args: object) -> None:
        sqlite = self.sqlite_radio.isChecked()
        self.sqlite_page.setVisible(sqlite)
        self.postgres_page.setVisible(not sqlite)
        self._grow_to_fit()
        self.result_label.clear()

    def _sslmode_changed(self, *_args: object) -> None:
        mode = str(self.sslmode.currentData())
        self.ssl_hint.setText(self.tr(SSL_MODES.get(mode, "")))
        verifying = mode in VERIFYING_MODES
        self.rootcert.setEnabled(verifying)
        self.rootcert_browse.setEnabled(verifying)

    def _browse_sqlite(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Database file"), self.sqlite_path.text(),
            self.tr("SQLite database (*.sqlite3 *.sqlite *.db);;All files (*)"),
            options=QFileDialog.Option.DontConfirmOverwrite)
        if name:
            self.sqlite_path.setText(name)

    def _browse_rootcert(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, self.tr("Root certificate"), self.rootcert.text(),
            self.tr("Certificates (*.crt *.pem *.cer);;All files (*)"))
        if name:
            self.rootcert.setText(name)

    # -- test and save --------------------------------------------------------------------

    def start_test(self) -> BackgroundJob | None:
        """Test the settings on screen in a pool thread; the result lands in the label."""
        try:
            url = self.settings().to_url()
        except DatabaseConfigError as exc:
            self._show_result(ConnectionCheck(False, str(exc)))
            return None
        self.test_button.setEnabled(False)
        self.result_label.setStyleSheet("color: #1a1a1a;")
        self.result_label.setText(self.tr("Testing the connection..."))
        timeout_s = self.timeout_s
        job = run_in_background(  # test_connection never raises
            lambda: test_connection(url, timeout_s=timeout_s),
            done=lambda check: self._tested(job, url, check),
            failed=lambda message: self._tested(job, url, ConnectionCheck(False, message)),
            owner=self, name="connection test")
        self.running.add(job)
        return job

    def _tested(self, job: BackgroundJob, url: str, check: ConnectionCheck) -> None:
        self.running.discard(job)
        self.test_button.setEnabled(True)
        self.tested_ok_url = url if check.ok else None
        self._show_result(check)

    def _show_result(self, check: ConnectionCheck) -> None:
        if check.ok:
            self.result_label.setStyleSheet("color: #006400; font-weight: bold;")
            self.result_label.setText(f"{OK_MARK} {check.message}")
        else:
            self.result_label.setStyleSheet("color: #8b0000; font-weight: bold;")
            self.result_label.setText(f"{ALERT_MARK} {check.message}")
        self._grow_to_fit()

    def _grow_to_fit(self) -> None:
        """Grow taller when new wrapped text needs it, as far as the screen allows.

        Beyond the screen's height the groups scroll (the message and buttons
        stay in view), so no line is ever clipped.
        """
        layout, content = self.layout(), self.body.widget()
        if layout is None or content is None or not self.isVisible():
            return
        content_layout = content.layout()
        viewport = self.body.viewport()
        hidden = (content_layout.totalHeightForWidth(viewport.width()) - viewport.height()
                  if content_layout is not None else 0)
        outside = layout.totalHeightForWidth(self.width()) - self.height()
        needed = self.height() + max(hidden, 0) + max(outside, 0)
        frame = self.frameGeometry().height() - self.height()
        room = available_area(self).bottom() + 1 - self.frameGeometry().top() - frame
        if needed > self.height() and room > self.height():
            self.resize(self.width(), min(needed, room))

    def save(self) -> bool:
        """Write the workstation file; the app uses it from its next start."""
        if not self.may_save:
            self.message.show_error(self.tr(
                "Only an administrator can change which database this workstation uses."))
            return False
        try:
            url = self.settings().to_url()
        except DatabaseConfigError as exc:
            self.message.show_error(str(exc))
            return False
        try:
            current = load_workstation_config()
        except WorkstationConfigError:
            current = WorkstationConfig()  # saving repairs a damaged file
        attention = LockAttention(self.lock_attention.currentData())
        sound = AlertSound(self.alert_sound.currentData())
        try:
            save_workstation_config(replace(current, database_url=url, lock_attention=attention,
                                            alert_sound=sound))
        except OSError as exc:
            self.message.show_error(self.tr(
                "The setting could not be saved in %1: %2. Nothing was changed.")
                .replace("%1", str(workstation_config_path())).replace("%2", str(exc)))
            return False
        text = self.tr("Saved. ketalog will use this database the next time it starts.")
        if attention != current.lock_attention:
            text += " " + self.tr("The lock screen's new alert applies from the next lock.")
        if sound != current.alert_sound:
            text += " " + self.tr("The alert sound applies from now on.")
        self.saved_attention = attention
        self.saved_sound = sound
        if self.tested_ok_url != url:
            text += " " + self.tr("It was not tested successfully: test it before restarting.")
        if os.environ.get(ENV_DATABASE_URL):
            text += " " + self.tr("%1 still overrides it on this computer.").replace(
                "%1", ENV_DATABASE_URL)
        self.message.show_info(text)
        self._grow_to_fit()
        self.saved.emit(url)
        return True

    def done(self, result: int) -> None:
        """Close at once; a test still running is kept alive and its result dropped."""
        for job in self.running:
            job.drop()
        self.running.clear()
        super().done(result)


def offer_settings_after_failure(message: str, url: str, parent: QWidget | None = None) -> bool:
    """Say why the database could not be opened at start-up; True means "try again".

    The clinic can fix a wrong URL here without editing files: "Settings..."
    opens the dialog (saving is allowed: nobody can sign in without a database,
    and the workstation file belongs to this computer's user anyway), then the
    start is tried again; "Retry" tries again as is (a server still booting);
    "Quit" ends.
    """
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QMessageBox

    # a module function: lupdate sees the context only when it is written in each call
    translate = QCoreApplication.translate
    box = QMessageBox(QMessageBox.Icon.Critical,
                      translate("SettingsDialog", "ketalog: database problem"), message,
                      QMessageBox.StandardButton.NoButton, parent)
    box.setInformativeText(translate(
        "SettingsDialog", "Choose Settings... to check or change the database this "
        "workstation uses, Retry once the server is back, or Quit."))
    settings = box.addButton(translate("SettingsDialog", "Settings..."),
                             QMessageBox.ButtonRole.ActionRole)
    retry = box.addButton(translate("SettingsDialog", "Retry"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(translate("SettingsDialog", "Quit"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(settings)
    box.exec()
    clicked = box.clickedButton()
    if clicked is settings:
        dialog = SettingsDialog(url, may_save=True, parent=parent)
        dialog.exec()
        return True
    return clicked is retry
