"""Top-level windows that fit the screen they open on, and come back as they were left.

The usual clinic laptop has a 1366x768 screen: a window asked for at
1400x860 (or a preview at 900x1000) opens with its buttons below the screen's
edge. So every top-level window and dialog says the size it would like with
:func:`place_window`, and gets at most the screen's available area. A window
the user resized or moved comes back that way at its next opening, on this
workstation (an INI file beside ``workstation.json``), still clamped to the
screen it opens on, so a size saved on a large monitor never overflows the
laptop.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSettings, QSize, QTimer
from PySide6.QtWidgets import QApplication, QSplitter, QWidget

from ketalog.store.workstation import config_folder

#: QSettings names (the application's own are set to these too, in ketalog.ui.launch).
ORGANISATION = "ketalog"
APPLICATION = "ketalog"
_SETTINGS_FILE = "windows.ini"


def window_settings() -> QSettings:
    """This workstation's remembered window sizes, splitters and folders."""
    return QSettings(str(config_folder() / _SETTINGS_FILE), QSettings.Format.IniFormat)


def remembered(key: str) -> object:
    """A value kept under ``key`` (None when nothing was kept)."""
    return window_settings().value(key)


def remember(key: str, value: object) -> None:
    """Keep ``value`` under ``key`` for the next opening (written at once)."""
    settings = window_settings()
    settings.setValue(key, value)
    settings.sync()


def available_area(window: QWidget) -> QRect:
    """The part of the window's screen windows may use (the primary one before it shows)."""
    screen = window.screen() or QApplication.primaryScreen()
    return screen.availableGeometry()


def fit_within(size: QSize, area: QRect) -> QSize:
    """``size``, made no larger than ``area`` in either direction."""
    return QSize(min(size.width(), area.width()), min(size.height(), area.height()))


class _Keeper(QObject):
    """Sizes its window at the first show, then saves the geometry whenever it hides."""

    def __init__(self, window: QWidget, name: str, preferred: QSize) -> None:
        super().__init__(window)
        self._window = window
        self._key = f"windows/{name}/geometry"
        self._preferred = preferred
        self._placed = False
        window.installEventFilter(self)
        self._place()  # sized before the first show, so nothing flashes at the wrong size

    def _place(self) -> None:
        window = self._window
        area = available_area(window)
        frame = window.frameGeometry().size() - window.size()  # title bar and borders
        room = QRect(area.topLeft(), area.size() - frame)
        saved = remembered(self._key)
        if isinstance(saved, QByteArray | bytes) and window.restoreGeometry(QByteArray(saved)):
            window.resize(fit_within(window.size(), room))
        else:
            window.resize(fit_within(self._preferred, room))
        placed = window.frameGeometry()
        if not area.contains(placed):  # off the screen (a monitor unplugged): bring it back
            x = min(max(placed.x(), area.x()), area.right() - placed.width() + 1)
            y = min(max(placed.y(), area.y()), area.bottom() - placed.height() + 1)
            window.move(max(x, area.x()), max(y, area.y()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Show and not self._placed:
            self._placed = True
            area = available_area(self._window)  # the screen it actually opened on
            if not area.contains(self._window.frameGeometry()):
                self._place()
        elif kind == QEvent.Type.Close and self._placed:
            self._save()
        elif kind == QEvent.Type.Hide and self._placed:
            # a dialog's accept() only hides it; a window being deleted hides too, and
            # must not be read then: the deferred call is dropped with this keeper
            QTimer.singleShot(0, self, self._save)
        return False

    def _save(self) -> None:
        remember(self._key, self._window.saveGeometry())


def place_window(window: QWidget, name: str, width: int, height: int) -> None:
    """Open ``window`` at ``width`` x ``height`` or as it was last left, within the screen.

    ``name`` identifies the window among those this workstation remembers.
    """
    _Keeper(window, name, QSize(width, height))


_EXPORT_FOLDER = "files/last_export_folder"


def export_path(suggested_name: str) -> str:
    """Where a save dialog starts: the folder last saved to on this workstation, and the name."""
    from pathlib import Path

    folder = remembered(_EXPORT_FOLDER)
    if isinstance(folder, str) and folder and Path(folder).is_dir():
        return str(Path(folder) / suggested_name)
    return suggested_name


def remember_export_folder(saved_file: str) -> None:
    """The folder of a file just saved, offered first next time."""
    from pathlib import Path

    remember(_EXPORT_FOLDER, str(Path(saved_file).resolve().parent))


def keep_splitter(splitter: QSplitter, name: str) -> None:
    """Restore the splitter as it was last left on this workstation, and keep each move."""
    key = f"splitters/{name}"
    saved = remembered(key)
    if isinstance(saved, QByteArray | bytes):
        splitter.restoreState(QByteArray(saved))
    splitter.splitterMoved.connect(lambda *_: remember(key, splitter.saveState()))
