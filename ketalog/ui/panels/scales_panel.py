"""In-session scales at the chair: MOAA/S, CADSS-6 (or -23), nausea, anxiety, pain.

One click records a quick score; the keyboard selects first and commits with
Enter, so a stray key press never stores a score. Multi-item forms (CADSS,
and the Aldrete form of the discharge panel) take one digit per item, move
to the next item by themselves, and record with Enter.

This module also holds the small pieces the other chair-side panels share:
:class:`RowsTableModel`, :class:`ChoiceRow`, :class:`ItemsForm`,
:class:`EnterButton` and :func:`local_hhmm`.
"""

from __future__ import annotations

import textwrap
import time as _time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.scales import SCALES, ScaleDefinition, get_scale
from ketalog.services.session_detail import ScoreRow
from ketalog.services.session_view import SessionView
from ketalog.services.sessions import record_scale
from ketalog.ui.context import DraftStore, SessionController
from ketalog.ui.style import DISABLED_HINT, OK_MARK, MessageLabel, big_font

Index = QModelIndex | QPersistentModelIndex
_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
#: Seconds within which a "1" then "0" typed on a 0-10 row means 10.
_TWO_DIGIT_WINDOW_S = 1.5


def local_hhmm(at_utc: datetime | None, tz: ZoneInfo) -> str:
    """A stored UTC instant as the clinic's wall-clock time ("14:05"); "" for none."""
    return "" if at_utc is None else at_utc.astimezone(tz).strftime("%H:%M")


# --- shared pieces --------------------------------------------------------------------


class RowsTableModel(QAbstractTableModel):
    """A read-only table over plain row objects (each with an ``id``).

    Subclasses give :meth:`headers` and :meth:`cell`; rows come from the
    session view, so ``data()`` never queries.
    """

    RowIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, tz: ZoneInfo, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tz = tz
        self._rows: list[Any] = []

    def headers(self) -> tuple[str, ...]:
        """Column titles (translated)."""
        raise NotImplementedError

    def cell(self, row: Any, column: int) -> str:
        """Display text of one cell."""
        raise NotImplementedError

    def set_rows(self, rows: Sequence[Any]) -> None:
        """Show ``rows``: changed cells only when the same rows, else a reset."""
        new = list(rows)
        if [r.id for r in new] == [r.id for r in self._rows]:
            for i, (old_row, new_row) in enumerate(zip(self._rows, new, strict=True)):
                if old_row != new_row:
                    self._rows[i] = new_row
                    self.dataChanged.emit(self.index(i, 0),
                                          self.index(i, self.columnCount() - 1))
            return
        self.beginResetModel()
        self._rows = new
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        """The row object shown at ``row``."""
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        """One row per record; a table has no children."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        """The fixed columns."""
        return 0 if parent.isValid() else len(self.headers())

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles."""
        titles = self.headers()
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(titles)):
            return titles[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Display and tooltip text; the record id under RowIdRole."""
        if (not index.isValid() or not 0 <= index.row() < len(self._rows)
                or not 0 <= index.column() < len(self.headers())):
            return None
        row = self._rows[index.row()]
        if role == self.RowIdRole:
            return row.id
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cell(row, index.column())
        return None


def make_table(model: QAbstractTableModel, stretch_column: int | None = None) -> QTableView:
    """A compact read-only list view for a :class:`RowsTableModel`."""
    table = QTableView()
    table.setModel(model)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(True)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch_column is not None:
        header.setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)
    return table


class ScrollingPage(QScrollArea):
    """A panel's content that scrolls instead of being squeezed in a short tab.

    Keeps the focused field in view, so typing never goes on out of sight.
    """

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(content)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._follow_focus)

    def _follow_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        content = self.widget()
        if new is not None and content is not None and content.isAncestorOf(new):
            self.ensureWidgetVisible(new, 10, 10)


def hint(text: str) -> QLabel:
    """A short how-to line under a section title (wraps; never the only place a rule is)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {DISABLED_HINT.name()};")
    return label


def panel_layout(panel: QWidget, top: QWidget, content: QVBoxLayout) -> ScrollingPage:
    """Lay out a panel: ``top`` (the entry refusal) always in view, the rest scrolling."""
    host = QWidget()
    host.setLayout(content)
    page = ScrollingPage(host)
    outer = QVBoxLayout(panel)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(top)
    outer.addWidget(page, 1)
    return page


class EnterButton(QPushButton):
    """A push button that Enter presses too (outside dialogs Qt only uses Space)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Press on Enter or Return."""
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.key() in _ENTER_KEYS and plain:
            self.click()
            return
        super().keyPressEvent(event)


def choice_values(scale: ScaleDefinition, item_anchors: Mapping[int, str]) -> list[int]:
    """The values of one item in the order the instrument prints them.

    Fully anchored items keep the printed order (MOAA/S 5 to 0, Aldrete 2 to
    0); partly anchored ones (0-10 ratings) run upwards.
    """
    full = list(range(scale.item_min, scale.item_max + 1))
    if set(item_anchors) == set(full):
        return list(item_anchors)
    return full


class ChoiceRow(QWidget):
    """One button per value of one item, with the value's anchor on it.

    Two modes:

    * commit (``checkable=False``): a click records at once; the keyboard is
      two steps so a stray key stores nothing: a digit selects (focuses) that
      value (``1`` then ``0`` quickly selects 10), Enter or Space records it.
    * form (``checkable=True``): a click or a digit sets the item's value,
      which stays shown as checked until the form is recorded or cleared.

    Left/Right (Up/Down when stacked), Home and End move between the values.
    A checked value also carries the check mark, so the choice never shows
    by shading alone.
    """

    #: A value was picked (commit mode: record it; form mode: the item's new value).
    chosen = Signal(int)

    def __init__(self, values: Sequence[int], anchors: Mapping[int, str], *,
                 checkable: bool, points: int = 13, wrap: int = 16, vertical: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values = tuple(values)
        self.checkable = checkable
        self.vertical = vertical
        self._last_digit: tuple[str, float] | None = None
        self._texts: dict[int, str] = {}
        self.buttons: dict[int, QPushButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(checkable)
        layout = QVBoxLayout(self) if vertical else QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3 if vertical else 4)
        for value in self.values:
            anchor = anchors.get(value, "")
            if not anchor:
                text = str(value)
            elif vertical:
                text = f"{value}   " + textwrap.fill(anchor, 2 * wrap).replace("\n", "\n      ")
            else:
                text = f"{value}\n{textwrap.fill(anchor, wrap)}"
            button = QPushButton(text)
            self._texts[value] = text
            button.setCheckable(checkable)
            button.setToolTip(f"{value}: {anchor}" if anchor else str(value))
            button.setAccessibleName(f"{value} {anchor}".strip())
            big_font(button, points, bold=not anchor or vertical)
            if vertical:
                button.setStyleSheet("text-align: left; padding: 6px 10px;")
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            # Multi-line anchors: the row layout under-reads the button's height
            # hint, so pin the height the text needs.
            button.setMinimumHeight(max(40, button.sizeHint().height()))
            button.setMinimumWidth(36)
            # may shrink to that width in a narrow column (a 0-10 row has 11)
            button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            button.installEventFilter(self)
            button.clicked.connect(lambda _checked=False, v=value: self.chosen.emit(v))
            button.toggled.connect(lambda on, v=value: self._mark(v, on))
            self._group.addButton(button, value)
            self.buttons[value] = button
            layout.addWidget(button)

    def _mark(self, value: int, checked: bool) -> None:
        text = self._texts[value]
        self.buttons[value].setText(f"{OK_MARK} {text}" if checked else text)

    def value(self) -> int | None:
        """The checked value (form mode), or None."""
        checked = self._group.checkedButton()
        return None if checked is None else self._group.id(checked)

    def set_value(self, value: int | None) -> None:
        """Check ``value`` (None clears) without emitting ``chosen``."""
        if value is None:
            self._group.setExclusive(False)
            for button in self.buttons.values():
                button.setChecked(False)
            self._group.setExclusive(self.checkable)
        elif value in self.buttons:
            self.buttons[value].setChecked(True)

    def focus_choice(self) -> None:
        """Put the keyboard on the checked value, else the first one."""
        current = self.value()
        target = self.buttons[current] if current is not None else self.buttons[self.values[0]]
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _focused_value(self, obj: QObject) -> int | None:
        for value, button in self.buttons.items():
            if button is obj:
                return value
        return None

    def _digit(self, text: str) -> int | None:
        now = _time.monotonic()
        previous = self._last_digit
        self._last_digit = (text, now)
        if (previous and previous[0] == "1" and text == "0" and 10 in self.buttons
                and now - previous[1] <= _TWO_DIGIT_WINDOW_S):
            self._last_digit = None
            return 10
        return int(text)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """Digits select, Enter records (commit mode), arrows move."""
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        current = self._focused_value(obj)
        if current is None:
            return False
        key = event.key()
        text = event.text()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers not in (Qt.KeyboardModifier.NoModifier,):
            return False
        if len(text) == 1 and text.isdigit():
            value = self._digit(text)
            if value not in self.buttons:
                return True
            if self.checkable:
                self.buttons[value].setChecked(True)
                self.chosen.emit(value)
            else:
                self.buttons[value].setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        if key in _ENTER_KEYS and not self.checkable:
            self.buttons[current].click()
            return True
        position = self.values.index(current)
        last = len(self.values) - 1
        back, ahead = ((Qt.Key.Key_Left, Qt.Key.Key_Up) if self.vertical else (Qt.Key.Key_Left,),
                       (Qt.Key.Key_Right, Qt.Key.Key_Down) if self.vertical
                       else (Qt.Key.Key_Right,))
        if key in back:
            target = max(position - 1, 0)
        elif key in ahead:
            target = min(position + 1, last)
        elif key == Qt.Key.Key_Home:
            target = 0
        elif key == Qt.Key.Key_End:
            target = last
        else:
            return False
        self.buttons[self.values[target]].setFocus(Qt.FocusReason.TabFocusReason)
        return True


class ItemsForm(QWidget):
    """A multi-item instrument (CADSS, Aldrete): one row per item, total shown live.

    Nothing is stored until the owner records ``values()`` on ``submitted``
    (the Record button or Enter anywhere in the form); the service judges
    completeness and ranges and its message goes to :attr:`message`.
    """

    #: A value was set or cleared (keep the draft).
    changed = Signal()
    #: Record was asked for.
    submitted = Signal()

    def __init__(self, scale: ScaleDefinition, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[int, ChoiceRow] = {}
        self._grid_host = QWidget()
        self.total_label = QLabel()
        big_font(self.total_label, 14)
        self.record_button = EnterButton()
        self.record_button.clicked.connect(self.submitted.emit)
        self.message = MessageLabel()
        footer = QHBoxLayout()
        footer.addWidget(self.total_label)
        footer.addStretch(1)
        footer.addWidget(self.record_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._grid_host)
        layout.addLayout(footer)
        layout.addWidget(self.message)
        self._scale = scale
        self.set_scale(scale)

    @property
    def scale(self) -> ScaleDefinition:
        """The instrument shown."""
        return self._scale

    def set_scale(self, scale: ScaleDefinition) -> None:
        """Show another instrument (CADSS-6 / CADSS-23); values are cleared."""
        self._scale = scale
        old = self._grid_host
        self._grid_host = QWidget()
        grid = QGridLayout(self._grid_host)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        self.rows = {}
        for line, item in enumerate(scale.items):
            label = QLabel(f"{item.number}. {item.text}" if len(scale.items) > 1 else item.text)
            label.setWordWrap(True)
            big_font(label, 11)
            row = ChoiceRow(choice_values(scale, item.anchors), item.anchors, checkable=True,
                            points=10)
            label.setBuddy(row.buttons[row.values[0]])
            row.chosen.connect(lambda _v, number=item.number: self._picked(number))
            grid.addWidget(label, 2 * line, 0)
            grid.addWidget(row, 2 * line + 1, 0)
            self.rows[item.number] = row
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.replaceWidget(old, self._grid_host)
        old.deleteLater()
        self.record_button.setText(self.tr("Record %1").replace("%1", scale.name))
        self.message.clear_message()
        self._update_total()

    def values(self) -> list[int | None]:
        """Item values in item order (None where not yet scored)."""
        return [self.rows[item.number].value() for item in self._scale.items]

    def draft(self) -> dict[str, str]:
        """The values as draft text, ``{"item_1": "2", ...}``."""
        return {f"item_{n}": "" if row.value() is None else str(row.value())
                for n, row in self.rows.items()}

    def restore(self, draft: Mapping[str, str]) -> None:
        """Show a kept draft (unknown keys and values are ignored)."""
        for number, row in self.rows.items():
            text = draft.get(f"item_{number}", "")
            row.set_value(int(text) if text.isdigit() else None)
        self._update_total()

    def clear(self) -> None:
        """Empty every item."""
        for row in self.rows.values():
            row.set_value(None)
        self._update_total()

    def focus_first(self) -> None:
        """Put the keyboard on the first item not yet scored (else the first)."""
        for item in self._scale.items:
            if self.rows[item.number].value() is None:
                self.rows[item.number].focus_choice()
                return
        self.rows[self._scale.items[0].number].focus_choice()

    def _picked(self, number: int) -> None:
        self._update_total()
        self.changed.emit()
        numbers = [item.number for item in self._scale.items]
        position = numbers.index(number)
        focus = self.focusWidget()
        if focus is not None and focus in self.rows[number].buttons.values():
            if position + 1 < len(numbers):
                self.rows[numbers[position + 1]].focus_choice()
            else:
                self.record_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _update_total(self) -> None:
        values = self.values()
        scored = [v for v in values if v is not None]
        text = self.tr("Total %1 / %2").replace("%1", str(sum(scored))).replace(
            "%2", str(self._scale.max_total))
        missing = len(values) - len(scored)
        if missing:
            text += "\n" + self.tr("(%1 of %2 items still to score)").replace(
                "%1", str(missing)).replace("%2", str(len(values)))
        self.total_label.setText(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter anywhere in the form records it."""
        if event.key() in _ENTER_KEYS:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


# --- scales panel ---------------------------------------------------------------------


class ScoresTableModel(RowsTableModel):
    """Scores recorded in the session, newest first: time, scale, total, band, items."""

    TIME, SCALE, TOTAL, BAND, ITEMS = range(5)

    def headers(self) -> tuple[str, ...]:
        """Column titles."""
        return (self.tr("Time"), self.tr("Scale"), self.tr("Total"), self.tr("Band"),
                self.tr("Items"))

    def cell(self, row: ScoreRow, column: int) -> str:
        """Display text of one cell."""
        scale = SCALES.get(row.scale)
        if column == self.TIME:
            return local_hhmm(row.taken_at_utc, self._tz)
        if column == self.SCALE:
            return scale.name if scale else row.scale
        if column == self.TOTAL:
            return f"{row.total} / {scale.max_total}" if scale else str(row.total)
        if column == self.BAND:
            return row.band or ""
        if column == self.ITEMS:
            if scale is None or len(scale.items) == 1:
                return ""
            return "  ".join(f"{item.number}:{value}"
                             for item, value in zip(scale.items, row.item_scores, strict=False))
        return ""


#: The 0-10 ratings offered as quick entry, in screen order.
QUICK_RATINGS = ("nausea", "anxiety", "pain")


class ScalesPanel(QWidget):
    """Sedation, dissociation and symptom scores for the open session.

    Attributes used by tests and the main window: ``moaas`` (ChoiceRow),
    ``ratings`` (code -> ChoiceRow), ``cadss_form`` (ItemsForm), ``full_cadss``
    (QCheckBox), ``scores_model``, ``message``, ``entry_message``, ``entry_area``.
    """

    DRAFT_FORM = "scales.cadss"

    def __init__(self, controller: SessionController, drafts: DraftStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._drafts = drafts if drafts is not None else DraftStore()
        self._view: SessionView | None = None
        self._session_id: int | None = None
        tz = controller.ctx.tz

        self.entry_message = MessageLabel()
        self.message = MessageLabel()
        self.entry_area = QWidget()
        entry = QVBoxLayout(self.entry_area)
        entry.setContentsMargins(0, 0, 0, 0)

        moaas = get_scale("moaas")
        sedation = QGroupBox(self.tr("Sedation (MOAA/S)"))
        self.moaas = ChoiceRow(choice_values(moaas, moaas.items[0].anchors),
                               moaas.items[0].anchors, checkable=False, points=14,
                               vertical=True)
        self.moaas.chosen.connect(lambda v: self._record_quick("moaas", v))
        self.moaas_last = QLabel()
        box = QVBoxLayout(sedation)
        box.addWidget(hint(self.tr("Click records at once; or type the score, then Enter.")))
        box.addWidget(self.moaas)
        box.addWidget(self.moaas_last)
        entry.addWidget(sedation)

        ratings = QGroupBox(self.tr("Nausea, anxiety, pain (0-10)"))
        grid = QGridLayout(ratings)
        grid.addWidget(hint(self.tr("Click records at once; or type the number (1 then 0 "
                                    "for 10), then Enter.")), 0, 0)
        self.ratings: dict[str, ChoiceRow] = {}
        self.rating_last: dict[str, QLabel] = {}
        for line, code in enumerate(QUICK_RATINGS):
            scale = get_scale(code)
            anchors = scale.items[0].anchors
            row = ChoiceRow(choice_values(scale, anchors), {}, checkable=False, points=13)
            for value, anchor in anchors.items():
                row.buttons[value].setToolTip(f"{value}: {anchor}")
            row.chosen.connect(lambda v, c=code: self._record_quick(c, v))
            name = QLabel(f"{scale.name}")
            big_font(name, 13)
            name.setBuddy(row.buttons[0])
            name.setToolTip("; ".join(f"{v} = {a}" for v, a in anchors.items()))
            last = QLabel()
            title = QHBoxLayout()
            title.addWidget(name)
            title.addWidget(last, 1)
            grid.addLayout(title, 2 * line + 1, 0)
            grid.addWidget(row, 2 * line + 2, 0)
            self.ratings[code] = row
            self.rating_last[code] = last
        entry.addWidget(ratings)

        dissociation = QGroupBox(self.tr("Dissociation (CADSS)"))
        self.full_cadss = QCheckBox(self.tr("Full CADSS-23 (all 23 items, 0-92)"))
        self.full_cadss.toggled.connect(self._switch_cadss)
        self.cadss_form = ItemsForm(get_scale("cadss6"))
        self.cadss_form.changed.connect(self._keep_draft)
        self.cadss_form.submitted.connect(self._record_cadss)
        box = QVBoxLayout(dissociation)
        box.addWidget(hint(self.tr("Score at the peak (end of infusion). One digit per item "
                                   "moves to the next; Enter records.")))
        box.addWidget(self.full_cadss)
        box.addWidget(self.cadss_form)
        entry.addWidget(dissociation)

        self.scores_model = ScoresTableModel(tz, self)
        self.scores_table = make_table(self.scores_model, ScoresTableModel.ITEMS)

        self.scores_table.setMinimumHeight(160)
        layout = QVBoxLayout()
        layout.addWidget(self.entry_area)
        layout.addWidget(self.message)
        layout.addWidget(QLabel(self.tr("Scores recorded (newest first)")))
        layout.addWidget(self.scores_table, 1)
        self.page = panel_layout(self, self.entry_message, layout)

        # Alt+4 (SessionPage.show_panel) lands on the sedation score.
        self.setFocusProxy(self.moaas.buttons[self.moaas.values[0]])
        self.entry_area.setEnabled(False)
        controller.view_changed.connect(self.show_view)
        if controller.view is not None:
            self.show_view(controller.view)

    # -- view -------------------------------------------------------------------------

    def show_view(self, view: SessionView) -> None:
        """Show the session as stored now; keep what is being typed."""
        if view.detail.id != self._session_id:
            self._session_id = view.detail.id
            self.message.clear_message()
            self._restore_draft()
        self._view = view
        self.entry_area.setEnabled(view.entry_refusal is None)
        if view.entry_refusal is None:
            self.entry_message.clear_message()
        else:
            self.entry_message.show_error(view.entry_refusal)
        scores = view.detail.scores
        self.scores_model.set_rows(sorted(scores, key=lambda s: (s.taken_at_utc, s.id),
                                          reverse=True))
        tz = self._controller.ctx.tz
        for code, label in [("moaas", self.moaas_last), *self.rating_last.items()]:
            latest = [s for s in scores if s.scale == code]
            label.setText("" if not latest else self.tr("Last: %1 at %2").replace(
                "%1", str(latest[-1].total)).replace("%2", local_hhmm(latest[-1].taken_at_utc, tz)))

    # -- actions ----------------------------------------------------------------------

    def _record(self, code: str, items: list[int | None],
                retry: Callable[[], object] | None = None) -> str | None:
        """Record one score; return None when stored, else the refusal."""
        if self._view is None:
            return self.tr("No session is open.")
        session_id = self._view.detail.id
        clock = self._controller.ctx.clock
        outcome = self._controller.act(
            lambda db, actor: record_scale(db, actor, session_id, code, items, clock=clock),
            retry=retry)
        return outcome.error

    def _confirmation(self, code: str) -> str:
        scale = get_scale(code)
        latest = [s for s in (self._view.detail.scores if self._view else ()) if s.scale == code]
        if not latest:
            return ""
        row = latest[-1]
        band = f" ({row.band})" if row.band else ""
        return self.tr("%1 %2 / %3%4 recorded at %5.").replace("%1", scale.name).replace(
            "%2", str(row.total)).replace("%3", str(scale.max_total)).replace(
            "%4", band).replace("%5", local_hhmm(row.taken_at_utc, self._controller.ctx.tz))

    def _record_quick(self, code: str, value: int) -> None:
        error = self._record(code, [value])
        if error:
            self.message.show_error(error)
        else:
            self.message.show_info(f"{OK_MARK} {self._confirmation(code)}")

    def _record_cadss(self) -> None:
        form = self.cadss_form
        code = form.scale.code
        error = self._record(code, form.values(), retry=self._record_cadss)
        if error:
            form.message.show_error(error)
            form.focus_first()
            return
        form.clear()
        form.message.show_info(f"{OK_MARK} {self._confirmation(code)}")
        if self._session_id is not None:
            self._drafts.clear(self._session_id, self.DRAFT_FORM)
        form.focus_first()

    def _switch_cadss(self, full: bool) -> None:
        kept = self.cadss_form.draft()
        self.cadss_form.set_scale(get_scale("cadss23" if full else "cadss6"))
        # Items common to both forms keep their values.
        self.cadss_form.restore(kept)
        self._keep_draft()

    # -- drafts -----------------------------------------------------------------------

    def _keep_draft(self) -> None:
        if self._session_id is None:
            return
        values = self.cadss_form.draft()
        if any(values.values()):
            values["form"] = self.cadss_form.scale.code
        self._drafts.put(self._session_id, self.DRAFT_FORM, values)

    def _restore_draft(self) -> None:
        assert self._session_id is not None
        draft = self._drafts.get(self._session_id, self.DRAFT_FORM)
        full = draft.get("form") == "cadss23"
        self.full_cadss.blockSignals(True)
        self.full_cadss.setChecked(full)
        self.full_cadss.blockSignals(False)
        if self.cadss_form.scale.code != ("cadss23" if full else "cadss6"):
            self.cadss_form.set_scale(get_scale("cadss23" if full else "cadss6"))
        self.cadss_form.clear()
        self.cadss_form.restore(draft)
        self.cadss_form.message.clear_message()
