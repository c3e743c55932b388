"""The application window (the chair-side screens arrive with the workflow issue)."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QMessageBox

from ketalog.store.engine import DatabaseConfigError, describe_url, resolve_database_url


def run_gui(database_url: str | None = None) -> int:
    """Open the database, then show the main window; a database problem is shown, not raised."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("ketalog")
    url = resolve_database_url(database_url)
    try:
        from ketalog.services.database import open_database

        engine = open_database(url)
    except DatabaseConfigError as exc:
        QMessageBox.critical(None, "ketalog: database problem", str(exc))
        return 1
    from ketalog.ui.main_window import MainWindow

    window = MainWindow(engine, describe_url(url))
    window.show()
    code = app.exec()
    engine.dispose()
    return code


def main() -> int:
    """Entry point used by ``main.py``."""
    return run_gui()
