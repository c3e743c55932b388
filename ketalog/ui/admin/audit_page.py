"""The audit trail for administrators: filter, sort, verify the chain, export CSV.

Every query goes through the audit services (which refuse anyone but an
administrator); sorting is done by the database, not in the view, so the
newest thousand rows of a ten-year trail are the newest, not an arbitrary
thousand sorted. Verifying and exporting run in a pool thread with their own
database session and touch no widget.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QDate,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ketalog.services.audit_anchors import AnchoredReport, verify_anchored_for
from ketalog.services.audit_trail import (
    KNOWN_ACTIONS,
    AuditFilters,
    AuditRow,
    AuditSort,
    AuditSortKey,
    audit_entries,
    known_usernames,
    write_audit_csv,
)
from ketalog.ui.core.context import Outcome, UiContext
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, MessageLabel
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP, translated
from ketalog.ui.widgets import (
    ROW_ID_ROLE,
    ActionButton,
    Button,
    Column,
    ComboBox,
    DateField,
    RowsModel,
)
from ketalog.ui.widgets.background import BackgroundJob, run_in_background
from ketalog.ui.widgets.windows import export_path, place_window, remember_export_folder

#: Rows shown at most; the filters narrow a long trail down.
SHOW_ROWS = 1_000
#: Rows exported at most (the command line has no limit: ``ketalog audit report --csv``).
EXPORT_ROWS = 1_000_000

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _patient(row: AuditRow) -> str:
    if row.patient_mrn is None:
        return "" if row.patient_id is None else f"#{row.patient_id}"
    return f"{row.patient_mrn}  {row.patient_name or ''}".rstrip()


def _change_tip(row: AuditRow) -> str | None:
    if row.old_value is None and row.new_value is None:
        return None
    return f"Old: {row.old_value or '(none)'}\nNew: {row.new_value or '(none)'}"


class AuditTableModel(RowsModel[AuditRow]):
    """Audit rows as plain objects; header clicks ask the dialog to re-query.

    Sorting stays in the database (see the module docstring): ``sort`` does not
    reorder the rows shown, it asks for the rows again in the new order.
    """

    TIME, USER, WORKSTATION, PATIENT, ACTION, TARGET, CHANGE = range(7)
    SORT_KEYS: ClassVar[dict[int, AuditSortKey]] = {
        TIME: AuditSortKey.TIME, USER: AuditSortKey.USER,
        WORKSTATION: AuditSortKey.WORKSTATION, PATIENT: AuditSortKey.PATIENT,
        ACTION: AuditSortKey.ACTION, TARGET: AuditSortKey.TARGET,
    }
    RowIdRole = ROW_ID_ROLE

    #: (sort key or None for an unsortable column, descending)
    sort_requested = Signal(object, bool)

    def __init__(self, tz: ZoneInfo, parent: QObject | None = None) -> None:
        sortable = QT_TRANSLATE_NOOP("Column", "Click to sort by this column")
        unsortable = QT_TRANSLATE_NOOP("Column", "Not sortable")
        super().__init__((
            # the time column names the clinic's zone
            Column(translated("Column", "Time (%1)").replace("%1", tz.key),
                   lambda r: r.occurred_at_utc.astimezone(tz).strftime(_TIME_FORMAT),
                   tooltip=lambda r: (f"{r.occurred_at_utc.strftime(_TIME_FORMAT)} UTC\n"
                                      f"Audit row {r.id}"),
                   header_tip=sortable),
            Column(QT_TRANSLATE_NOOP("Column", "User"), lambda r: r.username,
                   tooltip=lambda r: r.user_full_name or r.username, header_tip=sortable),
            Column(QT_TRANSLATE_NOOP("Column", "Workstation"),
                   lambda r: r.workstation, header_tip=sortable),
            Column(QT_TRANSLATE_NOOP("Column", "Patient"), _patient, header_tip=sortable),
            Column(QT_TRANSLATE_NOOP("Column", "Action"), lambda r: r.action, header_tip=sortable),
            Column(QT_TRANSLATE_NOOP("Column", "Table / row / field"),
                   lambda r: r.target, header_tip=sortable),
            Column(QT_TRANSLATE_NOOP("Column", "Old \u2192 new"),
                   lambda r: " ".join(r.change.split()),
                   tooltip=_change_tip, header_tip=unsortable),
        ), parent)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Ask for the rows again in this order (the database sorts, not the view)."""
        self.sort_requested.emit(self.SORT_KEYS.get(column),
                                 order == Qt.SortOrder.DescendingOrder)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class AuditDialog(QDialog):
    """Administrators read, sort, verify and export the audit trail here."""

    ALL_ACTIONS = "All actions"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Audit trail"))
        self.setModal(False)
        self.sort_order = AuditSort()

        today = ctx.clock().astimezone(ctx.tz).date()
        self.date_from = DateField()
        self.date_from.setDate(_qdate(today - timedelta(days=6)))
        self.date_to = DateField()
        self.date_to.setDate(_qdate(today))
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.user = ComboBox()
        self.user.setEditable(True)
        self.user.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.user.addItem("")
        self.user.setMinimumContentsLength(12)
        self.user.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        line = self.user.lineEdit()
        if line is not None:
            line.setPlaceholderText(self.tr("All users"))
        self.patient = QLineEdit()
        self.patient.setPlaceholderText(self.tr("Any patient (MRN)"))
        self.patient.setClearButtonEnabled(True)
        self.patient.setMinimumWidth(self.patient.fontMetrics().horizontalAdvance("M" * 14))
        self.action = ComboBox()
        self.action.addItem(self.tr(self.ALL_ACTIONS), None)
        for name in KNOWN_ACTIONS:
            self.action.addItem(name, name)
        # showing rows changes nothing: a kit Button, the dialog's default for Enter
        self.apply_button = Button(self.tr("Show"))
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.refresh)
        self.patient.returnPressed.connect(self.refresh)

        filters = QHBoxLayout()
        for label, widget in ((self.tr("From"), self.date_from), (self.tr("to"), self.date_to),
                              (self.tr("User"), self.user), (self.tr("Patient"), self.patient),
                              (self.tr("Action"), self.action)):
            form = QFormLayout()
            form.setContentsMargins(0, 0, 0, 0)
            form.addRow(label, widget)
            filters.addLayout(form)
        filters.addWidget(self.apply_button)
        filters.addStretch(1)

        self.model = AuditTableModel(ctx.tz, self)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab leaves the list in one step
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        # one line per row: an audit list is read by scanning many rows
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(AuditTableModel.CHANGE, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(AuditTableModel.TIME, Qt.SortOrder.DescendingOrder)
        header.setSortIndicatorShown(True)
        # header clicks call model.sort; enabling sorts once, before rows are wanted
        self.table.setSortingEnabled(True)
        self.model.sort_requested.connect(self._sort)

        self.message = MessageLabel()
        self.count = QLabel()
        self.chain = QLabel()
        self.chain.setWordWrap(True)
        self.chain.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verify_button = ActionButton(self.tr("Verify chain"), shortcut="Alt+V")
        self.verify_button.setToolTip(self.tr(
            "Recompute every row's hash and check nothing was edited, deleted or reordered"))
        self.verify_button.clicked.connect(self.verify)
        self.export_button = ActionButton(self.tr("Export CSV..."), shortcut="Ctrl+E")
        self.export_button.clicked.connect(self.export_dialog)
        close = Button(self.tr("Close"), on_click=self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        for button in (self.verify_button, self.export_button, close):
            bottom.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.chain)
        layout.addLayout(bottom)
        self.chain.hide()
        place_window(self, "audit trail", 1200, 700)

        self._load_users()
        self.refresh()

    # ------------------------------------------------------------------ queries

    def filters(self) -> AuditFilters:
        """The filters as entered."""
        return AuditFilters(
            date_from=_pydate(self.date_from.date()), date_to=_pydate(self.date_to.date()),
            username=self.user.currentText().strip() or None,
            patient_mrn=self.patient.text().strip() or None,
            action=self.action.currentData(),
        )

    def _load_users(self) -> None:
        actor = self.ctx.actor()
        outcome = self.ctx.run(lambda db: known_usernames(db, actor))
        for name in outcome.value or []:
            self.user.addItem(name)

    def refresh(self) -> bool:
        """Query the rows for the filters and sort order; show a refusal instead of rows."""
        actor = self.ctx.actor()
        filters, sort = self.filters(), self.sort_order
        outcome = self.ctx.run(
            lambda db: audit_entries(db, actor, filters, sort=sort, limit=SHOW_ROWS + 1))
        if outcome.value is None:
            self.model.set_rows([])
            self.count.setText("")
            self.message.show_error(outcome.error or "")
            return False
        self.message.clear_message()
        rows = outcome.value
        shown = rows[:SHOW_ROWS]
        self.model.set_rows(shown)
        if len(rows) > SHOW_ROWS:
            self.count.setText(self.tr("Showing the first %n rows; narrow the filters to see "
                                       "the rest.", "", SHOW_ROWS))
        else:
            self.count.setText(self.tr("%n rows", "", len(shown)))
        return True

    def _sort(self, key: AuditSortKey | None, descending: bool) -> None:
        header = self.table.horizontalHeader()
        if key is None:  # the values column: keep the current order and its arrow
            column = next(c for c, k in AuditTableModel.SORT_KEYS.items()
                          if k == self.sort_order.key)
            order = (Qt.SortOrder.DescendingOrder if self.sort_order.descending
                     else Qt.SortOrder.AscendingOrder)
            header.blockSignals(True)
            header.setSortIndicator(column, order)
            header.blockSignals(False)
            header.viewport().update()
            return
        self.sort_order = AuditSort(key, descending)
        self.refresh()

    # ------------------------------------------------------------------ jobs

    def _start(self, work: Callable[[], Outcome[Any]],
               done: Callable[[Outcome[Any]], None], name: str) -> BackgroundJob:
        """Run ``work`` (which opens its own session) in a pool thread; ``done`` gets its Outcome.

        A dialog deleted meanwhile is simply not told.
        """

        def unexpected(message: str) -> None:
            done(Outcome(error=message))

        return run_in_background(work, done=done, failed=unexpected, owner=self, name=name)

    def verify(self) -> None:
        """Check the whole chain in the background; say what was found."""
        actor = self.ctx.actor()
        self.verify_button.setEnabled(False)
        self.chain.setStyleSheet("")
        self.chain.setText(self.tr("Checking every audit row..."))
        self.chain.show()
        now = self.ctx.clock()
        self._start(lambda: self.ctx.read(lambda db: verify_anchored_for(db, actor, now=now)),
                    self._verified, "audit chain check")

    def _verified(self, outcome: Outcome[AnchoredReport]) -> None:
        self.verify_button.setEnabled(True)
        report = outcome.value
        if report is None:
            self.chain.setStyleSheet("color: #8b0000; font-weight: bold;")
            self.chain.setText(f"{ALERT_MARK} {outcome.error}")
            return
        # the chain and the anchors outside the database: shortened, emptied or
        # recomputed trails are reported here too
        if report.ok:
            self.chain.setStyleSheet("color: #1b5e20; font-weight: bold;")
            text = f"{OK_MARK} " + "\n".join(report.lines())
        else:
            self.chain.setStyleSheet("color: #8b0000; font-weight: bold;")
            text = f"{ALERT_MARK} " + "\n".join(report.lines())
        self.chain.setText(text)

    def export_dialog(self) -> None:
        """Ask where to save, then export the filtered rows."""
        suggested = (f"audit-{_pydate(self.date_from.date()).isoformat()}-to-"
                     f"{_pydate(self.date_to.date()).isoformat()}.csv")
        path, _selected = QFileDialog.getSaveFileName(
            self, self.tr("Export audit trail"), export_path(suggested),
            self.tr("CSV files (*.csv)"))
        if path:
            remember_export_folder(path)
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write every row matching the filters (in the shown order) as CSV, in the background."""
        actor, filters, sort, tz = self.ctx.actor(), self.filters(), self.sort_order, self.ctx.tz

        def work() -> Outcome[int]:
            def export(db: Any) -> int:
                rows = audit_entries(db, actor, filters, sort=sort, limit=EXPORT_ROWS)
                write_audit_csv(rows, path, tz=tz)
                return len(rows)
            return self.ctx.read(export)

        self.export_button.setEnabled(False)
        self.message.show_info(self.tr("Exporting..."))
        self._start(work, lambda outcome: self._exported(outcome, path), "audit export")

    def _exported(self, outcome: Outcome[int], path: Path) -> None:
        self.export_button.setEnabled(True)
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            return
        self.message.show_info(self.tr("Wrote %n rows to %1.", "", outcome.value)
                               .replace("%1", str(path)))
