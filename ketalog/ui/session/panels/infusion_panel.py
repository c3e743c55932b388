"""The running infusion: a big timer, mg delivered, time to the planned end, pump actions.

The timer is recomputed every second from the last stored view and the clock
(no database work per tick): while the pump runs, time and volume grow at the
current rate, exactly as the stored events would give them.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.clinic_time import clock_text
from ketalog.domain.infusion import InfusionProgress, duration_text
from ketalog.domain.session_state import SessionState
from ketalog.services.session.state import change_rate, change_state
from ketalog.services.session_view import SessionView
from ketalog.ui.core.context import SessionController
from ketalog.ui.core.style import ALERT_MARK, big_font, breakable
from ketalog.ui.widgets import ActionButton, SessionPanel

TICK_MS = 1000


mmss = duration_text


def progress_at(view: SessionView, now: datetime) -> InfusionProgress | None:
    """The stored progress carried forward from ``view.now`` to ``now``.

    Between two pump events the rate is constant, so running time and volume
    grow linearly; the bag caps the volume, as in the stored calculation.
    """
    progress, dose = view.progress, view.detail.dose
    if progress is None or dose is None:
        return None
    if not progress.running or now <= view.now:
        return progress
    span = Decimal((now - view.now).total_seconds()) / 60
    running_min = progress.running_min + span
    rate, bag = progress.current_rate_ml_per_h, dose.bag_volume_ml
    if rate is None or bag is None or bag <= 0:
        return dataclasses.replace(progress, running_min=running_min)
    volume = min(progress.delivered_ml + rate * span / 60, bag)
    remaining = progress.remaining_min
    if remaining is not None and rate > 0:
        remaining = (bag - volume) / rate * 60
    return dataclasses.replace(
        progress, running_min=running_min, delivered_ml=volume,
        delivered_mg=volume * dose.total_mg / bag, remaining_min=remaining,
    )


class InfusionPanel(SessionPanel):
    """Start, pause, resume, change the rate, stop; with the live timer and dose given.

    Every pump action is an :class:`ActionButton` with its own Alt key; the
    only field whose Enter acts is the reason field, whose Enter pauses the
    running pump, once, with the reason typed.
    """

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(controller, None, parent)

        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        big_font(self.state_label, 14)
        #: why the pump is paused or stopped early, whole, wrapped to the column at reading
        #: size (a reason may run to hundreds of characters)
        self.reason_shown = QLabel()
        self.reason_shown.setObjectName("reason_shown")
        self.reason_shown.setWordWrap(True)
        self.reason_shown.setTextFormat(Qt.TextFormat.PlainText)
        self.reason_shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reason_shown.setStyleSheet("QLabel#reason_shown { border-left: 3px solid #777; "
                                        "padding-left: 6px; }")
        big_font(self.reason_shown, 12, bold=False)
        self.reason_shown.hide()
        self.elapsed_label = QLabel("--:--")
        self.elapsed_label.setObjectName("elapsed")
        big_font(self.elapsed_label, 36)
        self.delivered_label = QLabel()
        self.delivered_label.setObjectName("delivered")
        big_font(self.delivered_label, 28)
        self.ordered_label = QLabel()
        self.remaining_label = QLabel()
        self.remaining_label.setObjectName("remaining")
        big_font(self.remaining_label, 28)
        self.rate_label = QLabel()
        self.rate_label.setObjectName("rate")
        big_font(self.rate_label, 18)
        self.end_hint = QLabel()
        self.end_hint.setWordWrap(True)
        big_font(self.end_hint, 13)
        grid = QFormLayout()
        grid.addRow(self.tr("Running time"), self.elapsed_label)
        grid.addRow(self.tr("Delivered"), self.delivered_label)
        grid.addRow("", self.ordered_label)
        grid.addRow(self.tr("To planned end"), self.remaining_label)

        self.start_button = ActionButton(self.tr("Start infusion"), shortcut="Alt+S")
        self.start_button.clicked.connect(self.start)
        self.start_reasons = QLabel()
        self.start_reasons.setWordWrap(True)
        self.start_reasons.setObjectName("start_reasons")
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("reason")
        self.reason_label = QLabel(self.tr("Reason"))
        self.reason_label.setBuddy(self.reason_edit)
        self.pause_button = ActionButton(self.tr("Pause"), shortcut="Alt+P")
        self.pause_button.clicked.connect(self.pause)
        self.pause_button.bind_enter(self.reason_edit)
        self.resume_button = ActionButton(self.tr("Resume"), shortcut="Alt+R")
        self.resume_button.clicked.connect(self.resume)
        self.stop_button = ActionButton(self.tr("Stop (planned end)"), shortcut="Alt+T")
        self.stop_button.clicked.connect(self.stop)
        self.stop_early_button = ActionButton(self.tr("Stop early"), shortcut="Alt+E")
        self.stop_early_button.clicked.connect(self.stop_early)
        self.rate_edit = QLineEdit()
        self.rate_edit.setObjectName("new_rate")
        self.rate_edit.setPlaceholderText(self.tr("new rate, mL/h"))
        self.rate_reason_edit = QLineEdit()
        self.rate_reason_edit.setObjectName("rate_reason")
        self.rate_reason_edit.setPlaceholderText(self.tr("why the rate changes, then Enter"))
        self.rate_edit.returnPressed.connect(self.rate_reason_edit.setFocus)
        self.rate_button = ActionButton(self.tr("Change rate"), shortcut="Alt+C")
        self.rate_button.clicked.connect(self.change_rate)
        self.rate_button.bind_enter(self.rate_reason_edit)

        actions = QGridLayout()  # two columns: fits the narrow session-page column
        actions.addWidget(self.pause_button, 0, 0)
        actions.addWidget(self.resume_button, 0, 0)  # never shown together with Pause
        actions.addWidget(self.stop_early_button, 0, 1)
        actions.addWidget(self.stop_button, 1, 0, 1, 2)
        reason_row = QHBoxLayout()
        reason_row.addWidget(self.reason_label)
        reason_row.addWidget(self.reason_edit, 1)
        self.rate_box = QGroupBox(self.tr("Rate change"))
        rate_form = QFormLayout(self.rate_box)
        rate_form.addRow(self.tr("New rate (mL/h)"), self.rate_edit)
        rate_form.addRow(self.tr("Reason"), self.rate_reason_edit)
        rate_form.addRow("", self.rate_button)
        layout = QVBoxLayout()
        layout.addWidget(self.state_label)
        layout.addWidget(self.reason_shown)
        layout.addLayout(grid)
        layout.addWidget(self.rate_label)
        layout.addWidget(self.end_hint)
        layout.addWidget(self.start_button)
        layout.addWidget(self.start_reasons)
        layout.addLayout(reason_row)
        layout.addLayout(actions)
        layout.addWidget(self.rate_box)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.set_content(layout)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.follow_session()

    # --- showing --------------------------------------------------------------------

    def show_view(self, view: SessionView) -> None:
        """Show the session as stored and enable what can be done now."""
        state = view.detail.state
        can_start = view.can("start_infusion")
        self.start_button.setEnabled(can_start)
        self.start_button.setToolTip(view.why_not("start_infusion"))
        self.start_button.setVisible(state in (SessionState.SCHEDULED, SessionState.CHECKED_IN))
        reasons = view.blocked.get("start_infusion", ())
        if reasons:
            self.start_reasons.setText(
                self.tr("Cannot start yet:") + "\n"
                + "\n".join(f"{ALERT_MARK} {reason}" for reason in reasons))
        self.start_reasons.setVisible(bool(reasons))
        for button, action in ((self.pause_button, "pause"), (self.resume_button, "resume"),
                               (self.stop_button, "stop_infusion"),
                               (self.stop_early_button, "stop_early")):
            possible = action in view.blocked
            button.setVisible(possible)
            button.setEnabled(possible)
            button.setToolTip(view.why_not(action))
        if state == SessionState.PAUSED:
            self.pause_button.setToolTip(self.tr(
                "The pump is paused: Resume (Alt+R) restarts it; Stop early (Alt+E) uses the "
                "reason typed."))
        running = state == SessionState.INFUSING
        self.rate_box.setVisible(running)
        pump_on = state in (SessionState.INFUSING, SessionState.PAUSED)
        for widget in (self.reason_label, self.reason_edit):
            widget.setVisible(pump_on)
        self.reason_edit.setPlaceholderText(
            self.tr("why you pause (Enter pauses) or stop early") if running
            else self.tr("why you stop early (Alt+E); Alt+R resumes"))
        self.state_label.setText(self._state_text(view))
        reason = self._reason_text(view)
        self.reason_shown.setText(breakable(reason))
        self.reason_shown.setVisible(bool(reason))
        self.tick()

    def next_field(self, view: SessionView) -> QWidget | None:
        """Alt+3: the reason field while the pump runs or is paused; else nowhere."""
        if view.detail.state in (SessionState.INFUSING, SessionState.PAUSED):
            return self.reason_edit
        return None

    def _state_text(self, view: SessionView) -> str:
        detail, tz = view.detail, self.controller.ctx.tz
        if detail.dose_started_at_utc is None:
            return self.tr("Infusion not started")
        started = clock_text(detail.dose_started_at_utc, tz)
        if detail.state == SessionState.INFUSING:
            return self.tr("Running since %1").replace("%1", started)
        if detail.state == SessionState.PAUSED:
            pause = self._last_pause(view)
            if pause is None:
                return self.tr("Paused")
            at = clock_text(pause.at_utc, tz)
            return (self.tr("Paused at %1, because:") if pause.detail
                    else self.tr("Paused at %1")).replace("%1", at)
        ended = detail.dose_ended_at_utc
        at = clock_text(ended, tz) if ended else "?"
        return (self.tr("Stopped at %1, because:") if detail.state_reason
                else self.tr("Stopped at %1")).replace("%1", at)

    @staticmethod
    def _last_pause(view: SessionView) -> Any:
        return next((e for e in reversed(view.detail.infusion_events) if e.kind == "pause"),
                    None)

    def _reason_text(self, view: SessionView) -> str:
        """The reason under the state line: the pause's, or the early stop's ("" for none)."""
        detail = view.detail
        if detail.dose_started_at_utc is None or detail.state == SessionState.INFUSING:
            return ""
        if detail.state == SessionState.PAUSED:
            pause = self._last_pause(view)
            return (pause.detail or "") if pause is not None else ""
        return detail.state_reason or ""

    def tick(self) -> None:
        """Refresh the timer from the last view and the clock (the QTimer calls this)."""
        view = self.view
        progress = progress_at(view, self.controller.ctx.clock()) if view else None
        dose = view.detail.dose if view else None
        if progress is None or dose is None:
            # before the double check the prepared figures are the second nurse's to work
            # out, not to read off this panel
            checked = dose if dose is not None and dose.verified_by_name is not None else None
            self.elapsed_label.setText("--:--")
            self.delivered_label.setText("0.0 mg" if dose else "—")
            self._show_ordered(checked.total_mg if checked else None)
            self.remaining_label.setText(mmss(Decimal(dose.duration_min))
                                         if dose and dose.duration_min else "--:--")
            rate = checked.rate_ml_per_h if checked else None
            self.rate_label.setText(self.tr("Planned rate: %1 mL/h").replace("%1", _whole(rate))
                                    if rate is not None else "")
            self.end_hint.setText("")
            return
        self.elapsed_label.setText(mmss(progress.running_min))
        self.delivered_label.setText(progress.delivered_mg_display)
        self._show_ordered(dose.total_mg)
        remaining = progress.remaining_min
        self.remaining_label.setText(mmss(remaining) if remaining is not None else "--:--")
        rate = progress.current_rate_ml_per_h
        self.rate_label.setText(self.tr("Rate: %1 mL/h").replace("%1", _whole(rate))
                                if rate is not None else "")
        if progress.running and remaining is not None and remaining <= 0:
            self.end_hint.setText(f"{ALERT_MARK} " + self.tr(
                "Planned end reached: stop the infusion."))
        else:
            self.end_hint.setText("")

    def _show_ordered(self, total_mg: Decimal | None) -> None:
        self.ordered_label.setText(self.tr("of %1 mg ordered").replace("%1", _one(total_mg))
                                   if total_mg is not None else "")

    # --- acting ---------------------------------------------------------------------

    def _move(self, action: str, reason: str | None = None) -> bool:
        clock = self.ctx.clock
        outcome = self.act(lambda db, actor, sid: change_state(
            db, actor, sid, action, reason=reason, clock=clock))
        return self.report(outcome)

    def _reason(self) -> str | None:
        return self.reason_edit.text().strip() or None

    def start(self) -> bool:
        """Start the infusion (refused with every unmet rule)."""
        return self._move("start_infusion")

    def pause(self) -> bool:
        """Pause the pump; the reason typed is required and stored with the event."""
        if self._move("pause", self._reason()):
            self.reason_edit.clear()
            return True
        self.reason_edit.setFocus()
        return False

    def resume(self) -> bool:
        """Restart the pump at the rate it last ran."""
        return self._move("resume")

    def stop(self) -> bool:
        """Stop at the planned end; recovery begins."""
        return self._move("stop_infusion", self._reason())

    def stop_early(self) -> bool:
        """Stop before the planned end; the reason typed is required."""
        if self._move("stop_early", self._reason()):
            self.reason_edit.clear()
            return True
        self.reason_edit.setFocus()
        return False

    def change_rate(self) -> bool:
        """Record a new pump rate with its own reason."""
        rate, reason = self.rate_edit.text().strip(), self.rate_reason_edit.text().strip()
        clock = self.ctx.clock
        outcome = self.act(lambda db, actor, sid: change_rate(
            db, actor, sid, rate, reason=reason or None, clock=clock))
        if not self.report(outcome):
            (self.rate_edit if not rate else self.rate_reason_edit).setFocus()
            return False
        self.rate_edit.clear()
        self.rate_reason_edit.clear()
        return True


def _one(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"


def _whole(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.quantize(Decimal(1), rounding=ROUND_HALF_UP):f}"
