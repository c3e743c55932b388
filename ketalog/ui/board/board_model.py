"""The day board as the kit's row model over plain BoardRow objects (no queries in data()).

Columns are declared once (title, text, tooltip, alarm colour); the clock
columns (dose time, next vitals) read the board's ``now`` so a tick redraws
them without a database read. Rows are matched by session id, so a refresh
keeps the selection on the same patient.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtGui import QColor

from ketalog.domain.alerts import RaisedAlert
from ketalog.domain.clinic_time import clock_text
from ketalog.domain.infusion import duration_text, running_minutes
from ketalog.domain.session_state import STATE_LABELS, SessionState
from ketalog.services.board import BoardRow
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, OVERDUE_TEXT
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP
from ketalog.ui.widgets.table import SESSION_ID_ROLE, Column, RowsModel

#: Signature column words: short so the safety column keeps its width at 1366 px
#: (translated when shown, under the model's context).
SIGNATURE_WORDS = {
    "signed": (OK_MARK, QT_TRANSLATE_NOOP("BoardTableModel", "signed")),
    "ready": (ALERT_MARK, QT_TRANSLATE_NOOP("BoardTableModel", "to sign")),
    "nursing_open": (ALERT_MARK, QT_TRANSLATE_NOOP("BoardTableModel", "nursing open")),
    "not_valid": (ALERT_MARK, QT_TRANSLATE_NOOP("BoardTableModel", "NOT VALID")),
}


class BoardTableModel(RowsModel[BoardRow]):
    """Sessions of one day, one row each.

    Chair, time, patient, course, protocol, state, timer, next vitals,
    signature, then safety (open alerts, the suicide-risk prompt, cautions).
    """

    (CHAIR, TIME, PATIENT, MRN, COURSE, PROTOCOL, STATE, ELAPSED, NEXT_VITALS, SIGNED,
     ALERTS) = range(11)
    SessionIdRole = SESSION_ID_ROLE

    def __init__(self, tz: ZoneInfo, parent: Any = None) -> None:
        self._tz = tz
        self._now: datetime | None = None
        super().__init__(self._columns_declared(), parent, key=lambda row: row.session_id)

    def _columns_declared(self) -> tuple[Column[BoardRow], ...]:
        def alarm(on: bool) -> QColor | None:
            return OVERDUE_TEXT if on else None

        return (
            Column(QT_TRANSLATE_NOOP("Column", "Chair"), lambda r: r.chair),
            Column(QT_TRANSLATE_NOOP("Column", "Time"),
                   lambda r: clock_text(r.scheduled_at_utc, self._tz)),
            Column(QT_TRANSLATE_NOOP("Column", "Patient"), lambda r: r.patient_name),
            Column(QT_TRANSLATE_NOOP("Column", "MRN"), lambda r: r.mrn),
            Column(QT_TRANSLATE_NOOP("Column", "Infusion"), lambda r: r.infusion_label,
                   header_tip=QT_TRANSLATE_NOOP("Column", "Which infusion of the course this is")),
            Column(QT_TRANSLATE_NOOP("Column", "Protocol"), lambda r: r.protocol_name),
            Column(QT_TRANSLATE_NOOP("Column", "State"),
                   lambda r: STATE_LABELS.get(r.state, r.state)),
            Column(QT_TRANSLATE_NOOP("Column", "Dose time"), self._dose_time,
                   tooltip=lambda r: None,
                   header_tip=QT_TRANSLATE_NOOP(
                       "Column", "Running time of the infusion from the pump log (pauses do "
                       "not count)")),
            Column(QT_TRANSLATE_NOOP("Column", "Next vitals"), self._next_vitals,
                   tooltip=lambda r: self.tr("Vitals overdue") if self._overdue(r) else None,
                   colour=lambda r: alarm(self._overdue(r)), bold=self._overdue),
            Column(QT_TRANSLATE_NOOP("Column", "Signature"), self._signature,
                   tooltip=self._signature_hint,
                   colour=lambda r: alarm(bool(r.signature_not_valid)),
                   bold=lambda r: bool(r.signature_not_valid)),
            Column(QT_TRANSLATE_NOOP("Column", "Safety and cautions"), self._alerts,
                   colour=lambda r: alarm(bool(r.safety_alert or r.open_alerts)),
                   bold=lambda r: bool(r.safety_alert or r.open_alerts)),
        )

    # --- rows and clock ---------------------------------------------------------------

    def set_rows(self, rows: Sequence[BoardRow], now: datetime | None = None) -> None:
        """Show ``rows`` as of ``now`` (None keeps the time the board already has)."""
        if now is not None:
            self._now = now
        super().set_rows(rows)

    def set_now(self, now: datetime) -> None:
        """Advance the clock for timers and overdue marks without reloading."""
        self._now = now
        self.redraw(self.ELAPSED, self.NEXT_VITALS)

    # --- cells ------------------------------------------------------------------------

    def _overdue(self, row: BoardRow) -> bool:
        return self._now is not None and row.vitals_overdue(self._now)

    def _dose_time(self, row: BoardRow) -> str:
        if row.dose_started_at_utc is None or self._now is None:
            return ""
        if row.pump_events:  # running time from the pump log: a pause stops the clock
            return duration_text(running_minutes(row.pump_events, self._now))
        end = row.dose_ended_at_utc or self._now
        return duration_text(Decimal((end - row.dose_started_at_utc).total_seconds()) / 60)

    def _next_vitals(self, row: BoardRow) -> str:
        due = row.next_vitals_due_at_utc
        if due is None:
            return ""
        text = clock_text(due, self._tz)
        if not self._overdue(row):
            return text
        return f"{ALERT_MARK} " + self.tr("%1 OVERDUE").replace("%1", text)

    def _signature_word(self, key: str) -> str:
        mark, word = SIGNATURE_WORDS[key]
        return f"{mark} {self.tr(word)}"

    def _signature(self, row: BoardRow) -> str:
        if row.signature_not_valid:  # "signed" only when the signature holds
            return self._signature_word("not_valid")
        if row.signed:
            return self._signature_word("signed")
        if row.state != SessionState.DISCHARGED:
            return ""
        return self._signature_word("ready" if row.nursing_completed else "nursing_open")

    def _signature_hint(self, row: BoardRow) -> str | None:
        if row.signature_not_valid:
            return row.signature_not_valid
        if row.signed:
            return self.tr("Signed by the physician; changes only by addendum")
        if row.state != SessionState.DISCHARGED:
            return None
        if row.nursing_completed:
            return self.tr(
                "Unsigned: the nursing record is complete, awaiting the physician's signature")
        return self.tr("Unsigned: the nursing record is still open; a nurse completes it, "
                       "then a physician signs")

    def _alerts(self, row: BoardRow) -> str:
        """Open alerts (what, when, the action), PHQ-9 item 9 / C-SSRS, then the cautions."""
        parts = [self._open_alert(alert) for alert in row.open_alerts]
        if row.safety_alert:
            parts.append(f"{ALERT_MARK} {row.safety_alert}")
        if row.cautions:
            parts.append(self.tr("Caution: %1").replace("%1", ", ".join(row.cautions)))
        return "; ".join(parts)

    def _open_alert(self, alert: RaisedAlert) -> str:
        """"⚠ 10:42 Systolic high: BP 185/100, labetalol 10 mg IV; not acknowledged"."""
        when = clock_text(alert.raised_at_utc, self._tz)
        action = (alert.action_note or "").strip().rstrip(".") or self.tr("no action note")
        return f"{ALERT_MARK} " + (self.tr("%1 %2, %3; not acknowledged")
                                   .replace("%1", when).replace("%2", alert.message)
                                   .replace("%3", action))
