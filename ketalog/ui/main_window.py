"""The main window: today's board (the full chair-side screens come with issue 3)."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtWidgets import QLabel, QMainWindow, QTableView, QVBoxLayout, QWidget
from sqlalchemy import Engine

from ketalog.services.board import day_board
from ketalog.services.database import make_sessionmaker
from ketalog.services.settings import clinic_timezone
from ketalog.ui.board_model import BoardTableModel


class MainWindow(QMainWindow):
    """Shows the clinic day's sessions, read through the services."""

    def __init__(self, engine: Engine, database_label: str) -> None:
        super().__init__()
        self.setWindowTitle("ketalog")
        self._sessions = make_sessionmaker(engine)
        with self._sessions() as db:
            self._tz = clinic_timezone(db)
        self.board_model = BoardTableModel(self._tz, self)
        self.heading = QLabel()
        self.table = QTableView()
        self.table.setModel(self.board_model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.status_label = QLabel(self.tr("Database: %1").replace("%1", database_label))
        layout = QVBoxLayout()
        layout.addWidget(self.heading)
        layout.addWidget(self.table)
        layout.addWidget(self.status_label)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)
        self.resize(1100, 600)
        self.refresh()

    def refresh(self) -> None:
        """Reload the day's board from the database."""
        now = datetime.now(UTC)
        today = now.astimezone(self._tz).date()
        with self._sessions() as db:
            rows = day_board(db, today, self._tz, now=now)
        self.board_model.set_rows(rows, now)
        self.heading.setText(
            self.tr("Sessions on %1: %2").replace("%1", today.strftime("%A %d %B %Y"))
            .replace("%2", str(len(rows)))
        )
        self.table.resizeColumnsToContents()
