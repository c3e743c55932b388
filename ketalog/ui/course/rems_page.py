"""The Spravato REMS forms to file: overdue first, marked filed here, printed or saved as PDF.

Every esketamine session whose first device was given has a monitoring form
that must reach the REMS within 7 days. The list says, per form, whether it
is filed, due (in n days, today) or overdue (in red, bold and marked, never by
colour alone). "Mark filed…" asks for the REMS confirmation number and records
the filing at once; the PDF is built off the GUI thread like every document.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ketalog.services.pdf import DocumentKind
from ketalog.services.rems import RemsRow, file_rems_form, rems_list
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.documents import DocumentButtons, PdfPreview
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, OVERDUE_TEXT, MessageLabel, big_font
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP
from ketalog.ui.widgets import (
    SESSION_ID_ROLE,
    ActionButton,
    Button,
    Column,
    RowsModel,
    SessionTable,
    button_row,
)
from ketalog.ui.widgets.background import BackgroundJob
from ketalog.ui.widgets.windows import place_window


def _day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def _status(row: RemsRow) -> str:
    if row.status.overdue:
        return f"{ALERT_MARK} {row.status.text.upper()}"
    if row.filed_at_utc is not None:
        return f"{OK_MARK} {row.status.text}"
    if not row.discharged:
        return f"{row.status.text} (still being monitored)"
    return row.status.text


def _status_tip(row: RemsRow) -> str:
    due = f"File by {_day(row.status.due_on)} (7 days after the treatment)."
    if row.confirmation:
        due += f"\nREMS confirmation {row.confirmation}"
    if not row.discharged:
        due += "\nThe patient is still being monitored."
    return due


def _overdue_colour(row: RemsRow) -> QColor | None:
    return OVERDUE_TEXT if row.status.overdue else None


def _overdue(row: RemsRow) -> bool:
    return row.status.overdue


class RemsTableModel(RowsModel[RemsRow]):
    """One esketamine session per row: date, patient, MRN, filing status, days left, filer.

    Rows are matched by session id, so a refresh after filing keeps the same
    form selected; overdue forms are red, bold and marked in status and days.
    """

    DATE, PATIENT, MRN, STATUS, DAYS, FILED_BY = range(6)
    SessionIdRole = SESSION_ID_ROLE

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "Treatment date"), lambda r: _day(r.treatment_date)),
            Column(QT_TRANSLATE_NOOP("Column", "Patient"), lambda r: r.patient_name),
            Column(QT_TRANSLATE_NOOP("Column", "MRN"), lambda r: r.mrn),
            Column(QT_TRANSLATE_NOOP("Column", "Status"),
                   _status, tooltip=_status_tip, colour=_overdue_colour,
                   bold=_overdue),
            Column(QT_TRANSLATE_NOOP("Column", "Days left"),
                   lambda r: "" if r.filed_at_utc is not None else str(r.status.days_left),
                   colour=_overdue_colour, bold=_overdue),
            Column(QT_TRANSLATE_NOOP("Column", "Filed by"), lambda r: r.filed_by or ""),
        ), parent, key=lambda r: r.session_id)


class MarkFiledDialog(QDialog):
    """Asks the REMS confirmation number and records the filing when accepted.

    A refusal (already filed elsewhere, not discharged) is shown under the
    field and the dialog stays open; nothing is recorded.
    """

    def __init__(self, ctx: UiContext, row: RemsRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.row = row
        self.setWindowTitle(self.tr("Mark REMS form filed"))
        what = QLabel(self.tr("%1, treated %2: record that the monitoring form was filed "
                              "with the Spravato REMS.")
                      .replace("%1", row.patient_name).replace("%2", _day(row.treatment_date)))
        what.setWordWrap(True)
        self.confirmation = QLineEdit()
        self.confirmation.setMaxLength(120)
        self.confirmation.setPlaceholderText(self.tr("as shown by the REMS (optional)"))
        self.message = MessageLabel()
        form = QFormLayout()
        form.addRow(self.tr("REMS confirmation number"), self.confirmation)
        cancel = Button(self.tr("Cancel"), on_click=self.reject)
        # filing is recorded: a click or Enter in the confirmation field, once
        self.file_button = ActionButton(self.tr("Mark filed"))
        self.file_button.bind_enter(self.confirmation)
        self.file_button.clicked.connect(self.file)
        self.buttons = button_row(cancel, self.file_button)
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(self.buttons)
        self.confirmation.setFocus()

    def file(self) -> bool:
        """Record the filing; close on success, say why not otherwise."""
        actor = self.ctx.actor()
        number = self.confirmation.text()
        outcome = self.ctx.run(lambda db: file_rems_form(
            db, actor, self.row.session_id, confirmation=number, clock=self.ctx.clock))
        if not outcome.ok:
            self.message.show_error(outcome.error or "")
            return False
        self.accept()
        return True


class RemsDialog(QDialog):
    """The clinic's REMS monitoring forms: what is overdue, what is due, what was filed.

    ``open_session`` asks the main window to open a form's session (Enter or a
    double click); ``preview_opened`` carries each PDF preview as it opens.
    """

    open_session = Signal(int)
    preview_opened = Signal(object)  # PdfPreview

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Spravato REMS forms"))
        self.documents = DocumentButtons(ctx, self)
        self.documents.failed.connect(self.message_error)
        self.documents.opened.connect(self._preview_opened)
        self.mark_dialog: MarkFiledDialog | None = None

        self.heading = QLabel()
        big_font(self.heading, 16)
        hint = QLabel(self.tr("Each esketamine session's monitoring form must be filed with the "
                              "REMS within 7 days of the treatment. Overdue forms come first."))
        hint.setWordWrap(True)
        self.show_filed = QCheckBox(self.tr("Show filed forms"))
        self.show_filed.setChecked(True)
        self.show_filed.toggled.connect(lambda _on: self.refresh())
        self.message = MessageLabel()
        self.model = RemsTableModel(self)
        self.table = SessionTable()
        self.table.setModel(self.model)
        self.table.read_only_rows(RemsTableModel.FILED_BY)
        big_font(self.table, 13, bold=False)
        self.table.open_requested.connect(self.open_session)
        self.empty = QLabel(self.tr("No esketamine treatments to report."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()

        # both open a dialog or a preview, whose own buttons file or print
        self.mark_button = Button(self.tr("Mark filed…"))
        self.mark_button.clicked.connect(self.mark_filed)
        self.pdf_button = Button(self.tr("Print / Save PDF…"))
        self.pdf_button.clicked.connect(self.print_form)
        close = Button(self.tr("Close"), on_click=self.reject)
        bar = QHBoxLayout()
        bar.addWidget(self.show_filed)
        bar.addStretch(1)
        for button in (self.mark_button, self.pdf_button, close):
            bar.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(hint)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(bar)
        self.table.selectionModel().currentRowChanged.connect(
            lambda _now, _before: self._update_buttons())
        self.setFocusProxy(self.table)
        place_window(self, "rems", 1100, 560)

    # ------------------------------------------------------------------ the list

    def today(self) -> date:
        """The clinic's date now."""
        return self.ctx.clock().astimezone(self.ctx.tz).date()

    def selected(self) -> RemsRow | None:
        """The form of the current row, if any."""
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.row_at(index.row())

    def refresh(self) -> int:
        """Reload the list as stored now; keeps the same session selected. Returns the rows."""
        today, include = self.today(), self.show_filed.isChecked()
        outcome = self.ctx.run(lambda db: rems_list(db, today=today, include_filed=include))
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            return self.model.rowCount()
        keep = self.selected()
        rows = outcome.value
        self.model.set_rows(rows)
        if rows:
            ids = [r.session_id for r in rows]
            self.table.selectRow(ids.index(keep.session_id)
                                 if keep is not None and keep.session_id in ids else 0)
        overdue = sum(1 for r in rows if r.status.overdue)
        due = sum(1 for r in rows if r.filed_at_utc is None and not r.status.overdue)
        self.heading.setText(self.tr("REMS forms: %1 overdue, %2 to file")
                             .replace("%1", str(overdue)).replace("%2", str(due)))
        self.empty.setVisible(not rows)
        self._update_buttons()
        return len(rows)

    def _update_buttons(self) -> None:
        row = self.selected()
        self.pdf_button.setEnabled(row is not None)
        if row is None:
            self.mark_button.setEnabled(False)
            self.mark_button.setToolTip(self.tr("Select a form first."))
        elif row.filed_at_utc is not None:
            self.mark_button.setEnabled(False)
            self.mark_button.setToolTip(self.tr("Already %1 by %2.")
                                        .replace("%1", row.status.text)
                                        .replace("%2", row.filed_by or ""))
        elif not row.discharged:
            self.mark_button.setEnabled(False)
            self.mark_button.setToolTip(self.tr("The patient is still being monitored; file the "
                                                "form after discharge."))
        else:
            self.mark_button.setEnabled(True)
            self.mark_button.setToolTip(self.tr("Record that this form was filed with the REMS"))

    def showEvent(self, event: QShowEvent) -> None:
        """Always show the list as stored now."""
        super().showEvent(event)
        self.refresh()

    # ------------------------------------------------------------------ actions

    def mark_filed(self) -> MarkFiledDialog | None:
        """Ask the confirmation number of the selected form; the list updates when filed."""
        row = self.selected()
        if row is None:
            return None
        dialog = MarkFiledDialog(self.ctx, row, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._filed)
        self.mark_dialog = dialog
        dialog.open()
        return dialog

    def _filed(self) -> None:
        self.mark_dialog = None
        self.refresh()
        row = self.selected()
        if row is not None and row.filed_at_utc is not None:
            self.message.show_info(self.tr("%1: REMS form %2.")
                                   .replace("%1", row.patient_name)
                                   .replace("%2", row.status.text))

    def print_form(self) -> BackgroundJob | None:
        """Build the selected form's PDF in the background; a preview opens when ready."""
        row = self.selected()
        if row is None:
            return None
        self.message.show_info(self.tr("Preparing the form…"))
        return self.documents.request(DocumentKind.REMS, row.session_id)

    def message_error(self, message: str) -> None:
        """A form that could not be built: say why."""
        self.message.show_error(message)

    def _preview_opened(self, preview: PdfPreview) -> None:
        self.message.clear_message()
        self.preview_opened.emit(preview)
