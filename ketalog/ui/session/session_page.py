"""The session screen: header, the chair-side panels, vitals grid and trend chart.

A red banner across the top says when a signed session no longer matches what
was signed, with each change in words.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.clinic_time import clock_text
from ketalog.domain.session_state import STATE_LABELS
from ketalog.domain.values import format_decimal
from ketalog.services.presence import Presence
from ketalog.services.session_view import SessionView
from ketalog.ui.core.context import DraftStore, SessionController, UiContext
from ketalog.ui.core.style import ALERT_MARK, MessageLabel, big_font, elided, wrapping_tooltip
from ketalog.ui.session.alerts_strip import AlertsStrip
from ketalog.ui.session.panels.checkin_panel import CheckInPanel
from ketalog.ui.session.panels.discharge_panel import DischargePanel
from ketalog.ui.session.panels.dose_panel import DosePanel
from ketalog.ui.session.panels.events_panel import EventsPanel
from ketalog.ui.session.panels.infusion_panel import InfusionPanel
from ketalog.ui.session.panels.notes_panel import NotesPanel
from ketalog.ui.session.panels.scales_panel import ScalesPanel
from ketalog.ui.session.panels.trend_chart import TrendChart
from ketalog.ui.session.panels.vitals_panel import VitalsPanel
from ketalog.ui.session.safety_strip import SafetyStrip
from ketalog.ui.session.signing_panel import SigningPanel
from ketalog.ui.widgets import Button
from ketalog.ui.widgets.windows import keep_splitter

#: The panels' column at most: every tab's title readable without scroll arrows (it is
#: narrower when the titles need less: 1366x768 at 125 % is 1093 px across).
PANEL_WIDTH = 600
TAB_STYLE = "QTabBar::tab { padding: 5px 7px; }"
#: The colour of "SIGNATURE NOT VALID" wherever it shows (as the tamper banner's).
NOT_VALID_RED = "#b00000"
#: The header's state line at most (a cancel or stop-early reason is cut here with "…",
#: read whole on hovering and in the panel).
HEADER_STATE_PX = 260
#: Changes listed in the banner; the Sign-off tab lists them all.
BANNER_CHANGES = 6


class SessionPage(QWidget):
    """One open session; every panel shares one :class:`SessionController`."""

    back_requested = Signal()
    document_requested = Signal(str)  # "session" (chart summary), "visit" or "course"

    def __init__(self, ctx: UiContext, session_id: int, drafts: DraftStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.controller = SessionController(ctx, session_id, self)
        # connected before the panels: the header clears old messages first, then
        # the panels may raise new ones (the vitals reminder) for the same view
        self.controller.view_changed.connect(self._show)
        self.patient = QLabel()
        big_font(self.patient, 18)
        self.facts = QLabel()
        big_font(self.facts, 12, bold=False)
        self.state = QLabel()
        big_font(self.state, 16)
        self.progress = QLabel()
        big_font(self.progress, 16)
        # allergies, age, sex, cautions, suicide risk: wraps, never cut (the board's words)
        self.safety_strip = SafetyStrip()
        self.presence = QLabel()
        self.presence.setObjectName("session_presence")
        self.presence.setStyleSheet("QLabel#session_presence { background: #e8f0ff; "
                                    "color: #123d7a; padding: 2px 6px; }")
        self.presence.hide()
        for label in (self.patient, self.facts, self.presence):
            label.setWordWrap(True)  # long names wrap instead of widening the window
            label.setMinimumWidth(200)
        self.message = MessageLabel()
        self.banner = QLabel()
        self.banner.setObjectName("tamper_banner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setStyleSheet("QLabel#tamper_banner { background: #b00000; color: white; "
                                  "padding: 8px; font-weight: bold; }")
        self.banner.hide()
        back = Button(self.tr("< Board (Esc)"), focusable=False)
        back.clicked.connect(self.back_requested)
        header = QHBoxLayout()
        names = QVBoxLayout()
        names.addWidget(self.patient)
        names.addWidget(self.facts)
        names.addWidget(self.safety_strip)
        names.addWidget(self.presence)
        header.addWidget(back)
        header.addLayout(names, 1)
        # the dose given over the state, right-aligned: the names keep the width to stay
        # on one line each on a narrow screen (1366x768 at 125 % is 1093 px across)
        now = QVBoxLayout()
        now.addWidget(self.progress, 0, Qt.AlignmentFlag.AlignRight)
        now.addWidget(self.state, 0, Qt.AlignmentFlag.AlignRight)
        now.addStretch(1)
        header.addSpacing(12)
        header.addLayout(now)
        summary = Button(self.tr("Chart summary..."), focusable=False)
        summary.setToolTip(self.tr("Preview, save or print the session summary (Ctrl+P)"))
        summary.clicked.connect(lambda: self.document_requested.emit("session"))
        visit = Button(self.tr("Visit report..."), focusable=False)
        visit.setToolTip(self.tr("The patient's take-home report (Ctrl+Shift+P)"))
        visit.clicked.connect(lambda: self.document_requested.emit("visit"))
        course = Button(self.tr("Course report..."), focusable=False)
        course.setToolTip(self.tr("Scores across this patient's course, response and remission"))
        course.clicked.connect(lambda: self.document_requested.emit("course"))
        self.course_button = course
        documents = QVBoxLayout()
        documents.addWidget(summary)
        documents.addWidget(visit)
        documents.addWidget(course)
        header.addLayout(documents)

        self.checkin = CheckInPanel(self.controller, drafts)
        self.dose = DosePanel(self.controller)
        self.infusion = InfusionPanel(self.controller)
        self.vitals = VitalsPanel(self.controller, drafts)
        self.chart = TrendChart(tz=ctx.tz)
        self.scales = ScalesPanel(self.controller, drafts)
        self.events = EventsPanel(self.controller, drafts)
        self.discharge = DischargePanel(self.controller, drafts)
        self.notes = NotesPanel(self.controller, drafts)
        self.signing = SigningPanel(self.controller)
        self.alerts_strip = AlertsStrip(self.controller)

        # One tab set for the seven panels, wide enough to read; vitals and the
        # chart keep the rest of the screen, the infusion's progress is in the header.
        self.tabs = QTabWidget()
        for number, (panel, title) in enumerate(
            ((self.checkin, self.tr("Check-in")), (self.dose, self.tr("Dose")),
             (self.infusion, self.tr("Infusion")), (self.scales, self.tr("Scales")),
             (self.events, self.tr("Events")), (self.discharge, self.tr("Discharge")),
             (self.notes, self.tr("Notes")), (self.signing, self.tr("Sign-off"))),
                start=1):
            self.tabs.addTab(panel, f"{number} {title}")
        self.tabs.setStyleSheet(TAB_STYLE)
        # every tab's title readable without scroll arrows, on a narrow screen too
        self.tabs.setMinimumWidth(min(PANEL_WIDTH, self.tabs.tabBar().sizeHint().width() + 4))
        middle = QSplitter(Qt.Orientation.Vertical)
        middle.addWidget(self.vitals)
        middle.addWidget(self.chart)
        middle.setStretchFactor(0, 3)
        middle.setStretchFactor(1, 2)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(middle)
        body.addWidget(self.tabs)
        body.setStretchFactor(0, 1)
        body.setStretchFactor(1, 0)
        keep_splitter(middle, "session/readings and chart")
        keep_splitter(body, "session/readings and panels")

        # Alt+1..7 come from the main window; the sign-off tab's key lives here
        sign_off = QShortcut(QKeySequence("Alt+8"), self)
        sign_off.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sign_off.activated.connect(lambda: self.show_panel(8))

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(header)
        layout.addWidget(self.message)
        layout.addWidget(self.alerts_strip)
        layout.addWidget(body, 1)
        self.controller.refused.connect(self.message.show_error)
        self.controller.presence_changed.connect(self._show_presence)
        self.controller.saved_later.connect(self._saved_later)
        self.vitals.vitals_due.connect(self._remind_vitals)

    @property
    def session_id(self) -> int:
        """The session this page shows."""
        return self.controller.session_id

    def _show(self, view: SessionView) -> None:
        d = view.detail
        self.message.clear_message()
        self.patient.setText(f"{d.patient_name}   {d.mrn}   born {d.birth_date.isoformat()}")
        course = f"infusion {view.infusion_label}" if view.infusion_label else ""
        when = clock_text(d.scheduled_at_utc, self.ctx.tz)
        self.facts.setText(f"{d.chair} {when} · {d.protocol_name} · {d.indication} · {course}")
        state = STATE_LABELS.get(d.state, d.state)
        if d.state_reason:  # in short here; whole on hovering and in its panel
            state = elided(self.state, f"{state} ({d.state_reason})", HEADER_STATE_PX)
        alerts = sum(1 for v in d.live_vitals if v.alert_codes and not v.action_note)
        if alerts or view.open_alerts:
            state = f"{ALERT_MARK} {state}"
        not_valid = view.signing.not_valid
        if not_valid:  # never "Signed" when the signature does not hold
            state = not_valid
        self.state.setText(state)
        self.state.setToolTip(not_valid or wrapping_tooltip(d.state_reason or ""))
        self.state.setStyleSheet(f"color: {NOT_VALID_RED}; font-weight: bold;" if not_valid
                                 else "")
        progress = view.progress
        if progress is not None and d.dose is not None:
            timing = progress.elapsed_display if d.dose.bag_volume_ml else ""
            total = format_decimal(d.dose.total_mg, 1)
            self.progress.setText(f"{progress.delivered_mg_display} of {total} mg  "
                                  f"{timing}".rstrip())
        else:
            self.progress.setText("")
        self.chart.set_view(view)
        self._show_banner(view)
        self._show_alerts(view)

    def _show_presence(self, others: tuple[Presence, ...]) -> None:
        """Soft "being edited by": who else has this session open, and where."""
        if not others:
            self.presence.hide()
            return
        people = "; ".join(
            self.tr("%1 on %2 since %3").replace("%1", p.display_name)
            .replace("%2", p.workstation)
            .replace("%3", clock_text(p.since_utc, self.ctx.tz))
            for p in others)
        self.presence.setText(self.tr("Also open: %1. Their entries appear here as they "
                                      "save them; talk before changing the same field.")
                              .replace("%1", people))
        self.presence.show()

    def _saved_later(self, count: int) -> None:
        self.message.show_info(self.tr("Connection back; waiting entries saved: %1.")
                               .replace("%1", str(count)))

    def _show_alerts(self, view: SessionView) -> None:
        """The safety strip under the patient's name: identity facts, cautions, risk."""
        self.safety_strip.show_facts(view.safety)

    def _show_banner(self, view: SessionView) -> None:
        check = view.signing.verification
        status = view.signing.status
        if check is None or not check.changes:
            if status is None or not status.not_valid:
                self.banner.hide()
                return
            # the content holds but the signature does not (no key, no audit row ...)
            shown = [f"• {line}" for line in status.findings[:BANNER_CHANGES]]
            self.banner.setText(f"{ALERT_MARK} {status.banner}\n" + "\n".join(shown))
            self.banner.show()
            return
        shown = [f"• {change}" for change in check.changes[:BANNER_CHANGES]]
        more = len(check.changes) - BANNER_CHANGES
        if more > 0:
            shown.append("• " + self.tr("and %1 more (Alt+8, Sign-off)").replace("%1", str(more)))
        self.banner.setText(f"{ALERT_MARK} " + self.tr(
            "This session was changed after it was signed") + "\n" + "\n".join(shown))
        self.banner.show()

    def _remind_vitals(self, _session_id: int, due_at: object) -> None:
        """A non-modal nudge when a reading falls due; the vitals banner stays until it is taken."""
        when = clock_text(due_at, self.ctx.tz) if isinstance(
            due_at, datetime) else ""
        self.message.show_error(self.tr("Vitals are due now (%1): F2 to enter them.")
                                .replace("%1", when))

    def reload(self) -> None:
        """Read the session again (after a timer tick or another workstation's change)."""
        self.controller.reload()

    def show_panel(self, number: int) -> None:
        """Alt+1..8: bring a panel forward and put the keyboard in it."""
        if 1 <= number <= self.tabs.count():
            self.tabs.setCurrentIndex(number - 1)
            self.tabs.currentWidget().setFocus()

    def focus_vitals(self) -> None:
        """F2: the vitals entry line, ready for the next reading."""
        self.vitals.focus_entry()
