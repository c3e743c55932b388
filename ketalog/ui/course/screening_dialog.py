"""The eligibility screening form of a course: every answer committed as it is given.

Text is committed when the field is left (or Enter in a one-line field), each
yes/no question when its choice changes; a refused value stays in its field
with the reason beside it, and nothing is stored. A live panel shows the
contraindications (red), cautions (amber) and what still blocks approval.
Only a physician may override a contraindication or approve; others see those
buttons disabled with the reason in the tooltip (the services refuse anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.screening import MEDICATION_CLASS_QUESTIONS, YES_NO_QUESTIONS, LabResult
from ketalog.services.access import Permission, may
from ketalog.services.screening import (
    ScreeningView,
    add_lab,
    approve_screening,
    override_contraindications,
    remove_lab,
    screening_view,
    start_screening,
    update_screening,
)
from ketalog.ui.core.conflict import settle_conflict
from ketalog.ui.core.context import Outcome, UiContext
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, MessageLabel
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP
from ketalog.ui.widgets import (
    ActionButton,
    Button,
    Column,
    ComboBox,
    RowsModel,
    ScrollingPage,
    button_row,
    make_table,
)
from ketalog.ui.widgets.windows import place_window

#: The tri-state choice: index in the combo box -> stored answer.
ANSWERS: tuple[bool | None, ...] = (None, False, True)
RED = "#8b0000"
AMBER = "#8a5a00"
_TEXT_FIELDS = ("history_summary", "medications", "allergies")
_LINE_FIELDS = ("baseline_systolic_mmhg", "baseline_diastolic_mmhg", "consent_signed_on")


def stamp(at_utc: datetime, tz: ZoneInfo) -> str:
    """A stored instant in clinic time: "21 Nov 2026 14:05"."""
    local = at_utc.astimezone(tz)
    return f"{local.day} {local:%b %Y %H:%M}"


class LabsModel(RowsModel[LabResult]):
    """The screening's labs: test, result, date taken.

    A lab has no id of its own (the form keeps a list): a row is matched by
    its values, and two identical labs make a refresh start afresh.
    """

    TEST, RESULT, TAKEN_ON = range(3)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "Test"), lambda lab: lab.test),
            Column(QT_TRANSLATE_NOOP("Column", "Result"), lambda lab: lab.result),
            Column(QT_TRANSLATE_NOOP("Column", "Taken on"), lambda lab: lab.taken_on.isoformat()),
        ), parent, key=lambda lab: lab)


class OverrideDialog(QDialog):
    """The physician's justification for treating despite a contraindication."""

    def __init__(self, contraindications: list[str], attempt: Callable[[str], Outcome[Any]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Override contraindication"))
        self._attempt = attempt
        listed = QLabel("<ul>" + "".join(f"<li>{escape(c)}</li>" for c in contraindications)
                        + "</ul>")
        listed.setStyleSheet(f"color: {RED};")
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText(self.tr(
            "The clinical justification, e.g. \"BP controlled on review, cardiology cleared\""))
        self.message = MessageLabel()
        # the reason may run to several lines: Enter is a new line, Ctrl+Enter records
        self.ok_button = ActionButton(self.tr("Record override"), shortcut="Ctrl+Return")
        self.ok_button.clicked.connect(self.record)
        buttons = button_row(Button(self.tr("Cancel"), on_click=self.reject), self.ok_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Treat despite:")))
        layout.addWidget(listed)
        reason_label = QLabel(self.tr("&Reason"))
        reason_label.setBuddy(self.reason)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.setMinimumWidth(480)
        self.reason.setFocus()

    def record(self) -> None:
        """Record the override; a refusal stays here with the reason typed."""
        outcome = self._attempt(self.reason.toPlainText())
        if outcome.ok:
            self.accept()
            return
        self.message.show_error(outcome.error or "")
        self.reason.setFocus()


class ScreeningDialog(QDialog):
    """The screening of one course, opened (and created if needed) for ``course_id``.

    Attributes used by tests: ``history``, ``medications``, ``allergies``,
    ``systolic``, ``diastolic``, ``consent``, ``questions`` (field -> combo),
    ``errors`` (field -> MessageLabel), ``lab_test``, ``lab_result``,
    ``lab_taken_on``, ``add_lab_button``, ``labs_table``, ``remove_lab_button``,
    ``contraindications``, ``cautions``, ``blocking``, ``status``, ``message``,
    ``override_button``, ``approve_button``, ``override_dialog``, ``view``.
    """

    def __init__(self, ctx: UiContext, course_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.course_id = course_id
        self.view: ScreeningView | None = None
        self.override_dialog: OverrideDialog | None = None
        self.setWindowTitle(self.tr("Eligibility screening"))
        # as wide as the form and the review need side by side (the layout says), no less
        self.setMinimumHeight(560)
        self.errors: dict[str, MessageLabel] = {}

        self.header = QLabel()
        self.header.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.message = MessageLabel()

        # --- history, medications, allergies -------------------------------------------
        self.history = self._text_box("history_summary", 70)
        self.medications = self._text_box("medications", 90)
        self.medications.setPlaceholderText(self.tr("One per line, with dose; \"none\" if none"))
        self.medications_found = QLabel()
        self.medications_found.setWordWrap(True)
        self.allergies = self._text_box("allergies", 50)
        self.allergies.setPlaceholderText(self.tr("\"none known\" if none"))
        history_box = QGroupBox(self.tr("History, medications, allergies"))
        history_form = QFormLayout(history_box)
        self._add_row(history_form, self.tr("&History summary"), self.history,
                      "history_summary")
        self._add_row(history_form, self.tr("Current &medications"), self.medications,
                      "medications")
        history_form.addRow("", self.medications_found)
        self._add_row(history_form, self.tr("A&llergies"), self.allergies, "allergies")

        # --- baseline BP and consent -----------------------------------------------------
        self.systolic = self._line("baseline_systolic_mmhg", self.tr("systolic"))
        self.diastolic = self._line("baseline_diastolic_mmhg", self.tr("diastolic"))
        bp = QWidget()
        bp_layout = QHBoxLayout(bp)
        bp_layout.setContentsMargins(0, 0, 0, 0)
        bp_layout.addWidget(self.systolic)
        bp_layout.addWidget(QLabel("/"))
        bp_layout.addWidget(self.diastolic)
        bp_layout.addWidget(QLabel("mmHg"))
        bp_layout.addStretch(1)
        self.consent = self._line("consent_signed_on", "YYYY-MM-DD")
        baseline_box = QGroupBox(self.tr("Baseline and consent"))
        baseline_form = QFormLayout(baseline_box)
        bp_label = QLabel(self.tr("Baseline &BP"))
        bp_label.setBuddy(self.systolic)
        baseline_form.addRow(bp_label, bp)
        for name in ("baseline_systolic_mmhg", "baseline_diastolic_mmhg"):
            baseline_form.addRow("", self._error_label(name))
        self._add_row(baseline_form, self.tr("&Consent signed on"), self.consent,
                      "consent_signed_on")

        # --- yes/no questions -----------------------------------------------------------
        self.questions: dict[str, ComboBox] = {}
        questions_box = QGroupBox(self.tr("Questions (Not asked until answered)"))
        grid = QGridLayout(questions_box)
        for row, (name, label) in enumerate(YES_NO_QUESTIONS.items()):
            # a kit combo: scrolling the form must not answer a question on the way past
            combo = ComboBox()
            combo.addItems([self.tr("Not asked"), self.tr("No"), self.tr("Yes")])
            combo.setAccessibleName(label)
            combo.activated.connect(lambda index, n=name: self._commit(n, ANSWERS[index]))
            self.questions[name] = combo
            text = QLabel(label)
            text.setBuddy(combo)
            grid.addWidget(text, row, 0)
            grid.addWidget(combo, row, 1)
            grid.addWidget(self._error_label(name), row, 2)
        grid.setColumnStretch(2, 1)

        # --- labs ----------------------------------------------------------------------
        self.labs_model = LabsModel(self)
        self.labs_table = make_table(self.labs_model)
        self.labs_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.labs_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch)
        self.labs_table.setMaximumHeight(140)
        self.remove_lab_button = ActionButton(self.tr("&Remove selected lab"))
        self.remove_lab_button.clicked.connect(self.remove_selected_lab)
        self.lab_test = QLineEdit()
        self.lab_test.setPlaceholderText(self.tr("Test, e.g. ALT"))
        self.lab_result = QLineEdit()
        self.lab_result.setPlaceholderText(self.tr("Result with unit"))
        self.lab_taken_on = QLineEdit()
        self.lab_taken_on.setPlaceholderText(self.tr("Taken on YYYY-MM-DD"))
        self.add_lab_button = ActionButton(self.tr("&Add lab"))
        self.add_lab_button.clicked.connect(self.add_lab)
        self.add_lab_button.bind_enter(self.lab_taken_on)
        entry = QHBoxLayout()
        for widget in (self.lab_test, self.lab_result, self.lab_taken_on, self.add_lab_button):
            entry.addWidget(widget)
        labs_box = QGroupBox(self.tr("Labs"))
        labs_layout = QVBoxLayout(labs_box)
        labs_layout.addWidget(self.labs_table)
        labs_layout.addWidget(self.remove_lab_button, 0, Qt.AlignmentFlag.AlignLeft)
        labs_layout.addLayout(entry)
        labs_layout.addWidget(self._error_label("labs"))

        # --- review and the physician's decisions ----------------------------------------
        self.contraindications = QLabel()
        self.cautions = QLabel()
        self.blocking = QLabel()
        for shown in (self.contraindications, self.cautions, self.blocking):
            shown.setWordWrap(True)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.contraindications.setStyleSheet(f"color: {RED};")
        self.cautions.setStyleSheet(f"color: {AMBER};")
        self.override_line = QLabel()
        self.override_line.setWordWrap(True)
        self.override_button = ActionButton(self.tr("&Override contraindication…"))
        self.override_button.clicked.connect(self.start_override)
        self.approve_button = ActionButton(self.tr("Approve &screening"))
        self.approve_button.clicked.connect(self.approve)
        review_box = QGroupBox(self.tr("Review"))
        review_layout = QVBoxLayout(review_box)
        review_layout.addWidget(self.contraindications)
        review_layout.addWidget(self.cautions)
        review_layout.addWidget(self.blocking)
        review_layout.addWidget(self.override_line)
        decisions = QHBoxLayout()
        decisions.addWidget(self.override_button)
        decisions.addWidget(self.approve_button)
        decisions.addStretch(1)
        review_layout.addLayout(decisions)

        close = Button(self.tr("Close"), on_click=self.accept)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)

        content = QVBoxLayout()
        for box in (history_box, baseline_box, questions_box, labs_box):
            content.addWidget(box)
        host = QWidget()
        host.setLayout(content)
        self.page = ScrollingPage(host)
        # the form's own width at least (it scrolls down, never sideways): on a narrow
        # screen (1366x768 at 125 %) the review column gives way instead
        self.page.setMinimumWidth(host.minimumSizeHint().width()
                                  + self.page.verticalScrollBar().sizeHint().width())
        side = QVBoxLayout()
        side.addWidget(review_box)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.page, 3)
        middle.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.status)
        layout.addWidget(self.message)
        layout.addLayout(middle, 1)
        layout.addLayout(bottom)

        self._load()
        place_window(self, "screening", 980, 680)  # within the screen, as last left
        self.history.setFocus()

    # --- building blocks -------------------------------------------------------------------

    def _error_label(self, name: str) -> MessageLabel:
        label = MessageLabel()
        self.errors[name] = label
        return label

    def _add_row(self, form: QFormLayout, text: str, widget: QWidget, name: str) -> None:
        label = QLabel(text)
        label.setBuddy(widget)
        form.addRow(label, widget)
        form.addRow("", self._error_label(name))

    def _text_box(self, name: str, height: int) -> QPlainTextEdit:
        box = QPlainTextEdit()
        box.setTabChangesFocus(True)
        box.setMinimumHeight(height)
        box.setMaximumHeight(height * 2)
        box.setObjectName(name)
        box.installEventFilter(self)
        return box

    def _line(self, name: str, placeholder: str) -> QLineEdit:
        line = QLineEdit()
        line.setObjectName(name)
        line.setPlaceholderText(placeholder)
        line.setMaximumWidth(140)
        line.editingFinished.connect(lambda n=name, w=line: self._commit(n, w.text()))
        return line

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """Multi-line text is committed when its field is left."""
        if event.type() == QEvent.Type.FocusOut and isinstance(obj, QPlainTextEdit) \
                and obj.objectName() in _TEXT_FIELDS:
            self._commit_text(obj.objectName())
        return super().eventFilter(obj, event)

    def _text_widget(self, name: str) -> QPlainTextEdit | QLineEdit:
        widgets: dict[str, QPlainTextEdit | QLineEdit] = {
            "history_summary": self.history, "medications": self.medications,
            "allergies": self.allergies, "baseline_systolic_mmhg": self.systolic,
            "baseline_diastolic_mmhg": self.diastolic, "consent_signed_on": self.consent}
        return widgets[name]

    @staticmethod
    def _typed(widget: QPlainTextEdit | QLineEdit) -> str:
        return widget.toPlainText() if isinstance(widget, QPlainTextEdit) else widget.text()

    # --- loading and showing -------------------------------------------------------------

    def _role(self) -> str:
        return self.ctx.actor().role

    def _load(self) -> None:
        course_id = self.course_id
        outcome = self.ctx.run(lambda db: screening_view(db, course_id))
        if outcome.ok and outcome.value is None and may(self._role(), Permission.SCREEN):
            actor, clock = self.ctx.actor(), self.ctx.clock
            started = self.ctx.run(lambda db: start_screening(db, actor, course_id, clock))
            if not started.ok:
                self.message.show_error(started.error or "")
            outcome = self.ctx.run(lambda db: screening_view(db, course_id))
        if outcome.error:
            self.message.show_error(outcome.error)
        elif outcome.value is None:
            self.message.show_error(self.tr(
                "No screening was recorded for this course; a nurse or physician records it."))
        self._show(outcome.value)

    def reload(self, keep: str | None = None) -> None:
        """Show the screening as stored now; ``keep`` leaves that field's typed text alone."""
        course_id = self.course_id
        outcome = self.ctx.run(lambda db: screening_view(db, course_id))
        if outcome.ok:
            self._show(outcome.value, keep=keep)

    def _show(self, view: ScreeningView | None, keep: str | None = None) -> None:
        self.view = view
        editable = view is not None and may(self._role(), Permission.SCREEN)
        for widget in (self.history, self.medications, self.allergies, self.systolic,
                       self.diastolic, self.consent, self.lab_test, self.lab_result,
                       self.lab_taken_on, self.add_lab_button, self.remove_lab_button,
                       *self.questions.values()):
            widget.setEnabled(editable)
        if view is None:
            self._show_decisions(None)
            return
        self.header.setText(f"<b>{escape(view.patient_name)}</b>  {escape(view.mrn)}  —  "
                            f"{escape(view.indication)}")
        f = view.findings
        values: dict[str, object] = {
            "history_summary": f.history_summary, "medications": f.medications,
            "allergies": f.allergies, "baseline_systolic_mmhg": f.baseline_systolic_mmhg,
            "baseline_diastolic_mmhg": f.baseline_diastolic_mmhg,
            "consent_signed_on": f.consent_signed_on.isoformat() if f.consent_signed_on else None,
        }
        for name, value in values.items():
            if name == keep:
                continue
            widget = self._text_widget(name)
            text = "" if value is None else str(value)
            if self._typed(widget) != text:
                if isinstance(widget, QPlainTextEdit):
                    widget.setPlainText(text)
                else:
                    widget.setText(text)
        for name, combo in self.questions.items():
            combo.setCurrentIndex(ANSWERS.index(getattr(f, name)))
        self.labs_model.set_rows(f.labs)
        found = view.review.medications_found
        self.medications_found.setText("" if not found else self.tr("Recognised: ") + "; ".join(
            f"{', '.join(names)} ({MEDICATION_CLASS_QUESTIONS[cls][1]})"
            for cls, names in found.items()))
        self._show_review(view)
        self._show_decisions(view)

    def _show_review(self, view: ScreeningView) -> None:
        review = view.review
        if review.contraindications:
            self.contraindications.setText(
                f"<b>{ALERT_MARK} {self.tr('Contraindications')}</b><ul>"
                + "".join(f"<li>{escape(c.text)}</li>" for c in review.contraindications)
                + "</ul>")
        else:
            self.contraindications.setText(self.tr("No contraindication recorded."))
        if review.cautions:
            self.cautions.setText(
                f"<b>{self.tr('Cautions')}</b><ul>"
                + "".join(f"<li>{escape(c.text)}</li>" for c in review.cautions) + "</ul>")
        else:
            self.cautions.setText(self.tr("No caution recorded."))
        if view.approved:
            self.blocking.setText("")
            self.blocking.hide()
        elif view.approval_problems:
            self.blocking.show()
            self.blocking.setText(
                f"<b>{self.tr('Blocks approval')}</b><ul>"
                + "".join(f"<li>{escape(p)}</li>" for p in view.approval_problems) + "</ul>")
        else:
            self.blocking.show()
            self.blocking.setText(self.tr("Complete: ready for a physician's approval."))
        if view.overridden and view.override_at_utc is not None:
            self.override_line.setText(
                self.tr("Override by %1, %2: %3").replace("%1", view.override_by_name or "")
                .replace("%2", stamp(view.override_at_utc, self.ctx.tz))
                .replace("%3", view.override_reason or ""))
            self.override_line.show()
        else:
            self.override_line.hide()

    def _show_decisions(self, view: ScreeningView | None) -> None:
        physician = may(self._role(), Permission.APPROVE_SCREENING)
        if view is not None and view.approved and view.approved_at_utc is not None:
            self.status.setText(f"{OK_MARK} " + self.tr("Approved by %1, %2").replace(
                "%1", view.approved_by_name or "").replace(
                "%2", stamp(view.approved_at_utc, self.ctx.tz)))
            self.status.setStyleSheet("")
        else:
            self.status.setText(self.tr("Not approved yet: the course cannot start until a "
                                        "physician approves the screening."))
            self.status.setStyleSheet(f"color: {RED};")
        has_contra = view is not None and bool(view.review.contraindications)
        if not physician:
            only = self.tr("Only a physician can override a contraindication.")
            self.override_button.setEnabled(False)
            self.override_button.setToolTip(only)
            self.approve_button.setEnabled(False)
            self.approve_button.setToolTip(self.tr("Only a physician can approve a screening."))
            return
        self.override_button.setEnabled(has_contra)
        self.override_button.setToolTip("" if has_contra else self.tr(
            "There is no contraindication to override."))
        if view is None:
            self.approve_button.setEnabled(False)
            self.approve_button.setToolTip("")
        elif view.approved:
            self.approve_button.setEnabled(False)
            self.approve_button.setToolTip(self.tr("Already approved."))
        elif view.approval_problems:
            self.approve_button.setEnabled(False)
            self.approve_button.setToolTip("\n".join(view.approval_problems))
        else:
            self.approve_button.setEnabled(True)
            self.approve_button.setToolTip("")

    # --- committing ----------------------------------------------------------------------

    def _commit_text(self, name: str) -> None:
        widget = self._text_widget(name)
        self._commit(name, self._typed(widget))

    def _stored_text(self, name: str) -> str:
        assert self.view is not None
        value = getattr(self.view.findings, name)
        if value is None:
            return ""
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    def _commit(self, name: str, value: object) -> None:
        """Store one field; on a refusal keep what was typed and say why beside it."""
        view = self.view
        if view is None:
            return
        if name in _TEXT_FIELDS or name in _LINE_FIELDS:
            assert isinstance(value, str)
            if value.strip() == self._stored_text(name):
                self.errors[name].clear_message()
                return
        elif getattr(view.findings, name) is value:
            return
        actor, clock = self.ctx.actor(), self.ctx.clock

        def save_on(version: int) -> Outcome[ScreeningView]:
            return self.ctx.run(lambda db: update_screening(
                db, actor, view.screening_id, name, value, expected_version=version,
                clock=clock))

        outcome = save_on(view.version)
        # a stale form: saved at once when only other fields changed, else the user chooses
        settled = settle_conflict(self, outcome, getattr(view.findings, name), save_on)
        if settled is outcome:  # the user kept the stored answer: show it
            self.errors[name].show_error(outcome.error or "")
            self.reload()
            return
        outcome = settled or outcome
        if outcome.value is None:
            self.errors[name].show_error(outcome.error or "")
            # the rest of the form shows what is stored; a combo goes back to its stored answer
            self.reload(keep=name if name in _TEXT_FIELDS + _LINE_FIELDS else None)
            return
        self.errors[name].clear_message()
        self._after_change(view, outcome.value)

    def _after_change(self, before: ScreeningView, after: ScreeningView) -> None:
        self._show(after)
        notes = []
        if after.approval_withdrawn:
            notes.append(self.tr("The approval by %1 was withdrawn because the screening "
                                 "changed; a physician must approve it again.")
                         .replace("%1", before.approved_by_name or ""))
        if after.override_withdrawn:
            notes.append(self.tr("The override no longer covers the new contraindication; "
                                 "a physician must record a new one."))
        if notes:
            self.message.show_error(" ".join(notes))

    def add_lab(self) -> None:
        """Add the lab typed in the entry row; it is cleared once stored."""
        view = self.view
        if view is None:
            return
        actor, clock = self.ctx.actor(), self.ctx.clock
        test, result, taken = (self.lab_test.text(), self.lab_result.text(),
                               self.lab_taken_on.text())
        outcome = self.ctx.run(lambda db: add_lab(
            db, actor, view.screening_id, test=test, result=result, taken_on=taken,
            expected_version=view.version, clock=clock))
        if outcome.value is None:
            self.errors["labs"].show_error(outcome.error or "")
            self.reload()
            return
        self.errors["labs"].clear_message()
        for line in (self.lab_test, self.lab_result, self.lab_taken_on):
            line.clear()
        self._after_change(view, outcome.value)
        self.lab_test.setFocus()

    def remove_selected_lab(self) -> None:
        """Remove the lab selected in the table."""
        view = self.view
        if view is None:
            return
        index = self.labs_table.currentIndex()
        if not index.isValid():
            self.errors["labs"].show_error(self.tr("Select the lab to remove in the list."))
            return
        row = index.row()
        actor, clock = self.ctx.actor(), self.ctx.clock
        outcome = self.ctx.run(lambda db: remove_lab(
            db, actor, view.screening_id, row, expected_version=view.version, clock=clock))
        if outcome.value is None:
            self.errors["labs"].show_error(outcome.error or "")
            self.reload()
            return
        self.errors["labs"].clear_message()
        self._after_change(view, outcome.value)

    def _flush_text(self) -> bool:
        """Commit typed text not committed yet (the dialog is closing); False on a refusal."""
        if self.view is None or not may(self._role(), Permission.SCREEN):
            return True
        for name in _TEXT_FIELDS + _LINE_FIELDS:
            if self._typed(self._text_widget(name)).strip() != self._stored_text(name):
                self._commit(name, self._typed(self._text_widget(name)))
                if self.errors[name].isVisible():
                    self._text_widget(name).setFocus()
                    return False
        return True

    def done(self, result: int) -> None:
        """Closing commits what was typed, like leaving the field would.

        A refused value keeps the dialog open with the reason beside the field,
        so nothing typed is lost silently; correct or clear it, then close.
        """
        if self._flush_text():
            super().done(result)

    # --- the physician's decisions -----------------------------------------------------------

    def start_override(self) -> OverrideDialog | None:
        """Ask the physician for the justification (non-blocking dialog)."""
        view = self.view
        if view is None:
            return None
        dialog = OverrideDialog([c.text for c in view.review.contraindications],
                                self._override_with, self)
        dialog.accepted.connect(self.reload)
        self.override_dialog = dialog
        dialog.open()
        return dialog

    def _override_with(self, reason: str) -> Outcome[ScreeningView]:
        view = self.view
        assert view is not None
        actor, clock = self.ctx.actor(), self.ctx.clock
        outcome = self.ctx.run(lambda db: override_contraindications(
            db, actor, view.screening_id, reason=reason, expected_version=view.version,
            clock=clock))
        if outcome.error:
            self.reload()
        return outcome

    def approve(self) -> None:
        """Approve the screening as shown; a refusal lists every problem."""
        view = self.view
        if view is None:
            return
        actor, clock = self.ctx.actor(), self.ctx.clock
        outcome = self.ctx.run(lambda db: approve_screening(
            db, actor, view.screening_id, expected_version=view.version, clock=clock))
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            self.reload()
            return
        self.message.show_info(f"{OK_MARK} " + self.tr("Screening approved."))
        self._show(outcome.value)
