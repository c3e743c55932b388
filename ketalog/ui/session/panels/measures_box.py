"""Patient-reported measures at check-in, item by item, and the suicide-risk safety prompt.

PHQ-9 and GAD-7 every visit, PCL-5 for PTSD courses, the pain NRS for pain
courses, MADRS when a clinician rates it. Each item shows its wording and
anchors; the total and band come from the domain when the form is recorded.
Half-filled forms are kept as drafts per session and measure, so switching
measure, patient or user loses nothing.

PHQ-9 item 9 above 0 opens the C-SSRS screen at once; the start of the
infusion waits for it (domain.safety), and a screen at moderate or high risk
waits for a physician's recorded review, which a signed-in physician writes here.

A measure recorded this visit shows as recorded (total, band, time, author):
each is scored once per visit, so no "Record another" is offered. The C-SSRS
follows its skip logic (items 3-5 only after "yes" to item 2).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.scales import check_in_measures, get_scale
from ketalog.services.access import Permission, may
from ketalog.services.safety import review_suicide_risk
from ketalog.services.session.entries import record_scale
from ketalog.services.session_detail import ScoreRow
from ketalog.services.session_view import SessionView
from ketalog.ui.core.context import DraftStore, SessionController
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, MessageLabel, alert_banner
from ketalog.ui.session.panels.scales_panel import local_hhmm, recorded_line, scores_closed_text
from ketalog.ui.widgets import ActionButton, ComboBox, ItemsForm

CLINICIAN_RATED = frozenset({"madrs"})


class MeasuresBox(QGroupBox):
    """Choose a measure, score it item by item, record it; the safety prompt below.

    Attributes used by tests: ``choice`` (QComboBox of scale codes), ``form``
    (ItemsForm), ``recorded`` (what this visit has), ``safety`` (the red frame),
    ``safety_text``, ``review_edit``, ``review_button``, ``message``.
    """

    DRAFT_PREFIX = "measures."

    def __init__(self, controller: SessionController, drafts: DraftStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Patient-reported measures (before the infusion)"), parent)
        self._controller = controller
        self._drafts = drafts
        self._view: SessionView | None = None
        self._session_id: int | None = None
        self._offered: tuple[str, ...] = ()
        #: the recorded score the form shows (None: the entry form)
        self._shown_score: int | None = None

        self.choice = ComboBox()
        self.choice.setObjectName("measure_choice")
        self.choice.currentIndexChanged.connect(self._switch)
        self.recorded = QLabel()
        self.recorded.setWordWrap(True)
        self.form = ItemsForm(get_scale("phq9"), repeatable=False)
        self.form.changed.connect(self._keep_draft)
        self.form.submitted.connect(self.record)
        self.message = MessageLabel()

        self.safety, self.safety_text = alert_banner("suicide_risk_banner")
        self.review_edit = QLineEdit()
        self.review_edit.setObjectName("risk_review")
        self.review_edit.setPlaceholderText(
            self.tr("physician's review: assessment and decision, then Enter"))
        self.review_button = ActionButton(self.tr("Record review"))
        self.review_button.clicked.connect(self.record_review)
        self.review_button.bind_enter(self.review_edit)
        self.review_button.refused.connect(self.message.show_error)
        review_row = QHBoxLayout()
        review_row.addWidget(self.review_edit, 1)
        review_row.addWidget(self.review_button)
        safety_layout = QVBoxLayout(self.safety)
        safety_layout.addWidget(self.safety_text)
        safety_layout.addLayout(review_row)
        self.safety.hide()

        chooser = QHBoxLayout()
        label = QLabel(self.tr("&Measure"))
        label.setBuddy(self.choice)
        chooser.addWidget(label)
        chooser.addWidget(self.choice, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.safety)
        layout.addLayout(chooser)
        layout.addWidget(self.recorded)
        layout.addWidget(self.form)
        layout.addWidget(self.message)

    # --- view ---------------------------------------------------------------------

    def show_view(self, view: SessionView) -> None:
        """Offer the course's measures, say what this visit has, raise the safety prompt."""
        new_session = view.detail.id != self._session_id
        self._view = view
        offered = check_in_measures(view.detail.indication)
        if offered != self._offered or new_session:
            self._offered = offered
            self._session_id = view.detail.id
            self.choice.blockSignals(True)
            self.choice.clear()
            for code in offered:
                scale = get_scale(code)
                rater = self.tr(" (clinician-rated)") if code in CLINICIAN_RATED else ""
                self.choice.addItem(f"{scale.name}{rater}", code)
            self.choice.blockSignals(False)
            self.message.clear_message()
            self._switch()
            if view.suicide_risk.positive and view.suicide_risk.cssrs_risk is None:
                self.choose("cssrs")  # the screen the start is waiting for comes first
        closed = scores_closed_text(view, self._controller.ctx.tz)
        self.setEnabled(view.entry_refusal is None and closed is None)
        self._show_recorded(view)
        self._show_form(view)
        self._show_safety(view)

    def _show_recorded(self, view: SessionView) -> None:
        tz = self._controller.ctx.tz
        latest = {}
        for score in view.detail.live_scores:
            if score.scale in self._offered:
                latest[score.scale] = score
        parts = []
        for code in self._offered:
            scale = get_scale(code)
            row = latest.get(code)
            if row is None:
                continue
            band = f" {row.band}" if row.band else ""
            parts.append(f"{OK_MARK} {scale.name} {row.total}{band} "
                         f"({local_hhmm(row.taken_at_utc, tz)})")
        self.recorded.setText(self.tr("This visit: ") + ("; ".join(parts) if parts
                                                        else self.tr("nothing recorded yet")))

    def _latest(self, view: SessionView, code: str) -> ScoreRow | None:
        rows = [s for s in view.detail.live_scores if s.scale == code]
        return rows[-1] if rows else None

    def _show_form(self, view: SessionView) -> None:
        """The measure on screen as recorded this visit, or its entry form."""
        row = self._latest(view, self.current_code())
        if row is not None:
            if not self.form.showing_recorded or row.id != self._shown_score:
                self.form.show_recorded(recorded_line(row, self._controller.ctx.tz),
                                        row.item_scores)
                self._shown_score = row.id
        elif self.form.showing_recorded:
            self.form.new_entry(focus=False)
            self._shown_score = None

    def _show_safety(self, view: SessionView) -> None:
        screen = view.suicide_risk
        if not screen.positive:
            self.safety.hide()
            return
        if screen.cssrs_risk is None:
            text = self.tr("PHQ-9 item 9 (thoughts of death or self-harm) is %1. Complete the "
                           "C-SSRS screen below before the infusion; the physician sees this "
                           "on the day board.").replace("%1", str(screen.phq9_item9))
        elif screen.needs_review:
            text = self.tr("C-SSRS screen: %1. A physician must review the patient and record "
                           "the review before the infusion starts.").replace(
                "%1", screen.cssrs_risk)
        else:
            who = (self.tr("; reviewed by %1").replace("%1", screen.reviewed_by)
                   if screen.reviewed_by else "")
            text = self.tr("PHQ-9 item 9 is %1; C-SSRS screen: %2%3.").replace(
                "%1", str(screen.phq9_item9)).replace("%2", screen.cssrs_risk).replace("%3", who)
        self.safety_text.setText(f"{ALERT_MARK} {text}")
        physician = may(self._controller.ctx.actor().role, Permission.REVIEW_SUICIDE_RISK)
        show_review = screen.needs_review
        self.review_edit.setVisible(show_review)
        self.review_button.setVisible(show_review)
        self.review_edit.setEnabled(physician)
        self.review_button.setEnabled(physician)
        if show_review and not physician:
            self.review_edit.setPlaceholderText(self.tr("only a physician can record the review: "
                                                        "call one (the day board shows it)"))
        self.safety.show()

    # --- entry --------------------------------------------------------------------

    def current_code(self) -> str:
        """The scale code of the measure on screen."""
        code = self.choice.currentData()
        return code if isinstance(code, str) else "phq9"

    def choose(self, code: str) -> None:
        """Show one measure (keeps every measure's draft)."""
        index = self.choice.findData(code)
        if index >= 0:
            self.choice.setCurrentIndex(index)

    def _switch(self) -> None:
        code = self.current_code()
        if self.form.showing_recorded:
            self.form.new_entry(focus=False)
            self._shown_score = None
        if self.form.scale.code != code:
            self.form.set_scale(get_scale(code))
        QWidget.setTabOrder(self.choice, self.form.first_row())  # Measure, then item 1...
        self.form.clear()
        if self._session_id is not None:
            self.form.restore(self._drafts.get(self._session_id, self.DRAFT_PREFIX + code))
        if self._view is not None:
            self._show_form(self._view)

    def _keep_draft(self) -> None:
        if self._session_id is not None:
            self._drafts.put(self._session_id, self.DRAFT_PREFIX + self.form.scale.code,
                             self.form.draft())

    def record(self) -> bool:
        """Record the measure on screen; PHQ-9 item 9 above 0 opens the C-SSRS next."""
        if self._view is None:
            return False
        code, items = self.form.scale.code, self.form.values()
        sid, clock = self._view.detail.id, self._controller.ctx.clock
        outcome = self._controller.act(
            lambda db, actor: record_scale(db, actor, sid, code, items, clock=clock))
        if outcome.error:
            self.form.message.show_error(outcome.error)
            self.form.focus_first()
            return False
        self._drafts.clear(sid, self.DRAFT_PREFIX + code)
        name = get_scale(code).name
        if code == "phq9" and items[8]:
            self.message.show_error(self.tr("PHQ-9 recorded. Item 9 is %1: the C-SSRS screen is "
                                            "open; ask its questions now.").replace(
                "%1", str(items[8])))
            self.choose("cssrs")
            self.form.focus_first()
        else:
            self.message.show_info(f"{OK_MARK} " + self.tr("%1 recorded.").replace("%1", name))
            self._next_measure()
        return True

    def _next_measure(self) -> None:
        """After recording, the keyboard goes to the measure chooser (the next measure)."""
        self.choice.setFocus()

    def record_review(self) -> bool:
        """A signed-in physician records the review of a moderate or high risk screen."""
        if self._view is None:
            return False
        sid, clock = self._view.detail.id, self._controller.ctx.clock
        text = self.review_edit.text()
        outcome = self._controller.act(
            lambda db, actor: review_suicide_risk(db, actor, sid, text, clock=clock))
        if outcome.error:
            self.message.show_error(outcome.error)
            return False
        self.review_edit.clear()
        self.message.show_info(f"{OK_MARK} " + self.tr("Review recorded; the infusion can start "
                                                       "when the other checks are met."))
        return True
