"""The vitals grid as a Qt table model over plain VitalRow objects (no queries in data())."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QFont, QGuiApplication

from ketalog.domain.clinic_time import clock_text
from ketalog.services.session_detail import VitalRow
from ketalog.ui.core.style import ALERT_BACKGROUND, ALERT_MARK, DISABLED_HINT
from ketalog.ui.widgets import ROW_ID_ROLE, Column, RowsModel, void_line

Index = QModelIndex | QPersistentModelIndex

#: Which grid column an alert code belongs to (the cell that gets the mark).
ALERT_FIELDS: Mapping[str, str] = {
    "predose_bp_high": "bp",
    "sbp_high": "bp",
    "dbp_high": "bp",
    "hr_low": "hr",
    "hr_high": "hr",
    "spo2_low": "spo2",
    "rr_low": "rr",
}


class VitalsTableModel(RowsModel[VitalRow]):
    """Readings of one session, oldest first: one row per reading, one column per sign.

    Alerting cells carry the alert mark in their text, a bold font and a
    coloured background (colour is never the only signal); the last column
    names the alerts and the action note. Voided readings are struck out and
    labelled "entered in error".
    """

    TIME, BP, HR, SPO2, RR, TEMP, ETCO2, PAIN, ALERTS = range(9)
    _KEYS = ("time", "bp", "hr", "spo2", "rr", "temp", "etco2", "pain", "alerts")
    #: The reading's database id.
    VitalIdRole = ROW_ID_ROLE
    #: The alert codes of the reading (tuple of str); () for none.
    AlertCodesRole = Qt.ItemDataRole.UserRole + 2
    #: Whether the reading was voided (entered in error).
    VoidedRole = Qt.ItemDataRole.UserRole + 3

    def __init__(self, tz: ZoneInfo, parent: QObject | None = None, *,
                 font_points: int = 15) -> None:
        self._tz = tz
        self._messages: dict[int, tuple[str, ...]] = {}
        self._font_points = font_points
        self._fonts: dict[tuple[bool, bool], QFont] = {}
        super().__init__((), parent)
        self.set_columns([
            Column(title, self._cell_text(column), tooltip=self._tooltip, header_tip=tip)
            for column, (title, tip) in enumerate(zip(self.headers(), self.header_tips(),
                                                      strict=True))
        ])

    def _cell_text(self, column: int) -> Callable[[VitalRow], str]:
        """How a reading reads in ``column`` (alerting cells carry the mark)."""
        return lambda row: self._text(row, column, self._alerting(row, column))

    def remember_alert_messages(self, vital_id: int, messages: Iterable[str]) -> None:
        """Keep the service's full alert messages for a reading saved on this screen.

        Readings loaded from the database carry only alert codes; those get a
        generic sentence per code instead.
        """
        self._messages[vital_id] = tuple(messages)
        for row_number, row in enumerate(self._rows):
            if row.id == vital_id:
                self.dataChanged.emit(self.index(row_number, 0),
                                      self.index(row_number, self.columnCount() - 1),
                                      [Qt.ItemDataRole.ToolTipRole])

    # --- words -----------------------------------------------------------------------

    def headers(self) -> tuple[str, ...]:
        """Column titles, translated."""
        return (self.tr("Time"), self.tr("BP"), self.tr("HR"), self.tr("SpO2"),
                self.tr("RR"), self.tr("Temp"), self.tr("EtCO2"), self.tr("Pain"),
                self.tr("Alerts / action"))

    def header_tips(self) -> tuple[str, ...]:
        """Column titles spelled out with units (header tooltips)."""
        return (self.tr("Time taken (clinic time)"),
                self.tr("Blood pressure, systolic/diastolic (mmHg)"),
                self.tr("Heart rate (bpm)"), self.tr("Oxygen saturation (%)"),
                self.tr("Respiratory rate (breaths/min)"), self.tr("Temperature (°C)"),
                self.tr("End-tidal CO2 (mmHg)"), self.tr("Pain score (0-10)"),
                self.tr("Alerts raised and the action taken"))

    def alert_label(self, code: str) -> str:
        """Short name of an alert for the grid ("SBP high")."""
        labels = {
            "predose_bp_high": self.tr("Pre-dose BP high"),
            "sbp_high": self.tr("SBP high"),
            "dbp_high": self.tr("DBP high"),
            "hr_low": self.tr("HR low"),
            "hr_high": self.tr("HR high"),
            "spo2_low": self.tr("SpO2 low"),
            "rr_low": self.tr("RR low"),
        }
        return labels.get(code, code)

    def alert_sentence(self, code: str) -> str:
        """A generic sentence for an alert whose full message is not at hand."""
        sentences = {
            "predose_bp_high": self.tr("Pre-dose blood pressure is above the limit; a "
                                       "physician must acknowledge it before the dose starts."),
            "sbp_high": self.tr("Systolic is above the alert threshold."),
            "dbp_high": self.tr("Diastolic is above the alert threshold."),
            "hr_low": self.tr("Heart rate is below the alert threshold."),
            "hr_high": self.tr("Heart rate is above the alert threshold."),
            "spo2_low": self.tr("SpO2 is below the alert threshold."),
            "rr_low": self.tr("Respiratory rate is below the alert threshold."),
        }
        return sentences.get(code, code)

    def alert_messages(self, row: VitalRow) -> tuple[str, ...]:
        """The full alert messages of a reading (the service's, when known)."""
        known = self._messages.get(row.id)
        if known:
            return known
        return tuple(self.alert_sentence(code) for code in row.alert_codes)

    def local_time(self, row: VitalRow) -> str:
        """The reading's time in the clinic's time zone (HH:MM)."""
        return clock_text(row.taken_at_utc, self._tz)

    # --- Qt model --------------------------------------------------------------------

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Readings are read-only here: corrections are voids, made elsewhere."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Text and tooltips from the columns; font, alert background and roles per cell."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        column = index.column()
        if not 0 <= column < len(self._KEYS):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.FontRole:
            return self._font(bold=self._alerting(row, column), struck=row.voided)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(ALERT_BACKGROUND) if self._alerting(row, column) else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(DISABLED_HINT) if row.voided else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column == self.ALERTS:
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == self.AlertCodesRole:
            return row.alert_codes
        if role == self.VoidedRole:
            return row.voided
        return super().data(index, role)

    # --- helpers ---------------------------------------------------------------------

    def _alerting(self, row: VitalRow, column: int) -> bool:
        """Whether this cell shows an alert (voided readings raise none)."""
        if row.voided or not row.alert_codes:
            return False
        if column == self.ALERTS:
            return True
        key = self._KEYS[column]
        return any(ALERT_FIELDS.get(code) == key for code in row.alert_codes)

    def _text(self, row: VitalRow, column: int, alerting: bool) -> str:
        if column == self.TIME:
            return self.local_time(row)
        if column == self.ALERTS:
            return self._alerts_text(row)
        values: dict[int, int | Decimal | None] = {
            self.HR: row.heart_rate_bpm, self.SPO2: row.spo2_percent,
            self.RR: row.resp_rate_per_min, self.TEMP: row.temperature_c,
            self.ETCO2: row.etco2_mmhg, self.PAIN: row.pain_score,
        }
        if column == self.BP:
            if row.systolic_mmhg is None and row.diastolic_mmhg is None:
                text = ""
            else:
                text = f"{_show(row.systolic_mmhg)}/{_show(row.diastolic_mmhg)}"
        else:
            text = _show(values[column])
        return f"{ALERT_MARK} {text}" if alerting and text else text

    def _alerts_text(self, row: VitalRow) -> str:
        parts: list[str] = []
        if row.voided:
            parts.append(void_line(row.void, self._tz) if row.void is not None
                         else self.tr("entered in error"))
        if row.alert_codes and not row.voided:
            names = ", ".join(self.alert_label(code) for code in row.alert_codes)
            parts.append(f"{ALERT_MARK} {names}")
            if not row.action_note:
                parts.append(self.tr("no action noted yet"))
        if row.action_note:
            parts.append(self.tr("Action: %1").replace("%1", row.action_note))
        return " · ".join(parts)

    def _tooltip(self, row: VitalRow) -> str | None:
        lines: list[str] = []
        if row.voided:
            lines.append(self.tr("This reading was entered in error and is not counted."))
            if row.void is not None:
                lines.append(void_line(row.void, self._tz))
        lines.extend(f"{ALERT_MARK} {m}" for m in self.alert_messages(row))
        if row.action_note:
            lines.append(self.tr("Action taken: %1").replace("%1", row.action_note))
        elif row.alert_codes and not row.voided:
            lines.append(self.tr("No action note recorded yet."))
        return "\n".join(lines) or None

    def _font(self, *, bold: bool, struck: bool) -> QFont:
        key = (bold, struck)
        if key not in self._fonts:
            font = QFont(QGuiApplication.font())
            font.setPointSize(self._font_points)
            font.setBold(bold)
            font.setStrikeOut(struck)
            self._fonts[key] = font
        return self._fonts[key]


def _show(value: int | Decimal | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)
