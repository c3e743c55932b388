"""Scored items as the keyboard and the mouse both reach them.

:class:`ChoiceRow` is one item (MOAA/S, an Aldrete item, a 0-10 rating):
one button per value with its anchor, and ONE stop in the Tab order. The
keyboard moves a cursor over the values (digits, arrows, Home, End); the
value buttons themselves never take the focus, so Tab walks item to item and
never through eleven buttons of one rating.

:class:`ItemsForm` is a multi-item instrument (CADSS, Aldrete, PHQ-9, the
C-SSRS with its skip logic): Tab follows the items in order, a digit scores
the item and moves to the next, Enter records. Once recorded, the form shows
what was recorded (total, time, author) until "Record another" where
repeating makes sense.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from time import monotonic

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.scales import ScaleDefinition, skipped_items
from ketalog.ui.core.style import OK_MARK, MessageLabel, big_font
from ketalog.ui.widgets.buttons import ENTER_KEYS, ActionButton, Button, plain_key

#: Seconds within which a "1" then "0" typed on a 0-10 row means 10.
TWO_DIGIT_WINDOW_S = 1.5
#: The value under the keyboard's cursor, and the row that has the focus.
_ROW_STYLE = """
ChoiceRow:focus { border: 2px solid #2f6f8f; border-radius: 4px; }
QPushButton[cursor="true"] { border: 3px solid #2f6f8f; }
"""


def _focused(widget: QWidget) -> bool:
    """Whether ``widget`` has (or, its window inactive, would have) the keyboard focus."""
    return widget.window().focusWidget() is widget


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
    """One item: a button per value, one focus stop, a keyboard cursor over the values.

    Two modes:

    * commit (``checkable=False``): a click records at once (``chosen``). The
      keyboard is two steps so a stray key stores nothing: a digit or an
      arrow puts the cursor on a value ("1" then "0" quickly is 10), then
      Enter or Space records the value under the cursor.
    * form (``checkable=True``): a click, a digit or an arrow sets the item's
      value, shown checked with the check mark until the form is recorded
      or cleared; Enter is left to the form (it records the form).
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
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(_ROW_STYLE)
        self._cursor: int | None = None
        self._last_digit: tuple[str, float] | None = None
        self._texts: dict[int, str] = {}
        self.buttons: dict[int, QPushButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(checkable)
        layout = QVBoxLayout(self) if vertical else QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
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
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the row is the one focus stop
            button.setAutoDefault(False)
            button.setToolTip(f"{value}: {anchor}" if anchor else str(value))
            button.setAccessibleName(f"{value} {anchor}".strip())
            big_font(button, points, bold=not anchor or vertical)
            if vertical:
                button.setStyleSheet("text-align: left; padding: 6px 10px;")
            # Multi-line anchors: the row layout under-reads the button's height
            # hint, so pin the height the text needs.
            button.setMinimumHeight(max(40, button.sizeHint().height()))
            button.setMinimumWidth(36)
            # may shrink to that width in a narrow column (a 0-10 row has 11)
            button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _checked=False, v=value: self._clicked(v))
            button.toggled.connect(lambda on, v=value: self._mark(v, on))
            self._group.addButton(button, value)
            self.buttons[value] = button
            layout.addWidget(button)

    # --- value ------------------------------------------------------------------------

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
        self._set_cursor(value if _focused(self) else None)

    def cursor_value(self) -> int | None:
        """The value under the keyboard's cursor (None until a key chose one)."""
        return self._cursor

    def focus_choice(self) -> None:
        """Put the keyboard on this item (the cursor on its value, if it has one)."""
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- drawing ----------------------------------------------------------------------

    def _mark(self, value: int, checked: bool) -> None:
        text = self._texts[value]
        self.buttons[value].setText(f"{OK_MARK} {text}" if checked else text)

    def _set_cursor(self, value: int | None) -> None:
        if value == self._cursor:
            return
        for old in (self._cursor, value):
            if old is None or old not in self.buttons:
                continue
            button = self.buttons[old]
            button.setProperty("cursor", old == value)
            button.style().unpolish(button)
            button.style().polish(button)
        self._cursor = value

    def focusInEvent(self, event: QFocusEvent) -> None:
        """Arriving on a scored item shows the cursor on its value."""
        super().focusInEvent(event)
        if self.checkable:
            self._set_cursor(self.value())

    def focusOutEvent(self, event: QFocusEvent) -> None:
        """Leaving the item hides the cursor: a later Enter cannot record it."""
        super().focusOutEvent(event)
        self._set_cursor(None)
        self._last_digit = None

    # --- acting -----------------------------------------------------------------------

    def _clicked(self, value: int) -> None:
        self._set_cursor(value if _focused(self) else None)
        self.chosen.emit(value)

    def _pick(self, value: int) -> None:
        """The keyboard chose ``value``: set it (form) or put the cursor on it (commit)."""
        self._set_cursor(value)
        if self.checkable:
            self.buttons[value].setChecked(True)
            self.chosen.emit(value)

    def _digit(self, text: str) -> int:
        now = monotonic()
        previous = self._last_digit
        self._last_digit = (text, now)
        if (previous and previous[0] == "1" and text == "0" and 10 in self.buttons
                and now - previous[1] <= TWO_DIGIT_WINDOW_S):
            self._last_digit = None
            return 10
        return int(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Digits and arrows choose, Enter or Space records (commit mode)."""
        if not plain_key(event):
            super().keyPressEvent(event)
            return
        key, text = event.key(), event.text()
        if len(text) == 1 and text.isascii() and text.isdigit():  # not "²" (AZERTY)
            value = self._digit(text)
            if value in self.buttons:
                self._pick(value)
            return
        if key in (*ENTER_KEYS, Qt.Key.Key_Space) and not self.checkable:
            if self._cursor is not None and not event.isAutoRepeat():
                self.chosen.emit(self._cursor)
            return
        if key == Qt.Key.Key_Space and self.checkable:
            return  # nothing to toggle: a value is chosen by digit or arrow
        back = (Qt.Key.Key_Left, Qt.Key.Key_Up) if self.vertical else (Qt.Key.Key_Left,)
        ahead = (Qt.Key.Key_Right, Qt.Key.Key_Down) if self.vertical else (Qt.Key.Key_Right,)
        last = len(self.values) - 1
        current = self._cursor if self._cursor is not None else self.value()
        position = self.values.index(current) if current in self.values else None
        if key in back:
            target = 0 if position is None else max(position - 1, 0)
        elif key in ahead:
            target = 0 if position is None else min(position + 1, last)
        elif key == Qt.Key.Key_Home:
            target = 0
        elif key == Qt.Key.Key_End:
            target = last
        else:
            super().keyPressEvent(event)  # Tab, Enter in a form: the parent's
            return
        self._pick(self.values[target])


class ItemsForm(QWidget):
    """A multi-item instrument: one row per item in Tab order, the total shown live.

    Nothing is stored until the owner records ``values()`` on ``submitted``
    (the Record button or Enter anywhere in the form); the service judges
    completeness and ranges and its message goes to :attr:`message`. After
    recording, :meth:`show_recorded` shows the result in place of the entry
    rows; ``repeatable`` forms then offer "Record another".
    """

    #: A value was set or cleared (keep the draft).
    changed = Signal()
    #: Record was asked for.
    submitted = Signal()

    def __init__(self, scale: ScaleDefinition, parent: QWidget | None = None, *,
                 repeatable: bool = True) -> None:
        super().__init__(parent)
        self.rows: dict[int, ChoiceRow] = {}
        self.labels: dict[int, QLabel] = {}
        self.repeatable = repeatable
        self._grid_host = QWidget()
        self.total_label = QLabel()
        self.total_label.setWordWrap(True)
        big_font(self.total_label, 14)
        self.record_button = ActionButton()
        self.record_button.clicked.connect(self.submitted.emit)
        self.recorded_label = QLabel()
        self.recorded_label.setObjectName("recorded")
        self.recorded_label.setWordWrap(True)
        big_font(self.recorded_label, 13)
        self.another_button = Button(self.tr("Record another"))
        self.another_button.clicked.connect(lambda _checked=False: self.new_entry())
        self.message = MessageLabel()
        recorded = QHBoxLayout()
        recorded.addWidget(self.recorded_label, 1)
        recorded.addWidget(self.another_button)
        self.recorded_box = QWidget()
        self.recorded_box.setLayout(recorded)
        self.recorded_box.hide()
        footer = QHBoxLayout()
        footer.addWidget(self.total_label, 1)
        footer.addWidget(self.record_button)
        self.footer = QWidget()
        self.footer.setLayout(footer)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.recorded_box)
        layout.addWidget(self._grid_host)
        layout.addWidget(self.footer)
        layout.addWidget(self.message)
        self._scale = scale
        self._showing_recorded = False
        self.set_scale(scale)

    @property
    def scale(self) -> ScaleDefinition:
        """The instrument shown."""
        return self._scale

    @property
    def showing_recorded(self) -> bool:
        """Whether the form shows a recorded result rather than entry rows."""
        return self._showing_recorded

    def set_scale(self, scale: ScaleDefinition) -> None:
        """Show another instrument (CADSS-6 / CADSS-23, PHQ-9 / GAD-7); values are cleared."""
        self._scale = scale
        old = self._grid_host
        self._grid_host = QWidget()
        grid = QGridLayout(self._grid_host)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        self.rows = {}
        self.labels = {}
        for line, item in enumerate(scale.items):
            label = QLabel(f"{item.number}. {item.text}" if len(scale.items) > 1 else item.text)
            label.setWordWrap(True)
            big_font(label, 11)
            row = ChoiceRow(choice_values(scale, item.anchors), item.anchors, checkable=True,
                            points=10)
            row.setAccessibleName(label.text())
            label.setBuddy(row)
            row.chosen.connect(lambda _v, number=item.number: self._picked(number))
            grid.addWidget(label, 2 * line, 0)
            grid.addWidget(row, 2 * line + 1, 0)
            self.rows[item.number] = row
            self.labels[item.number] = label
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.replaceWidget(old, self._grid_host)
        old.hide()  # out of the Tab chain now, not when the event loop deletes it
        old.deleteLater()
        # rows made now would come last in the window's Tab chain: put them in item order
        chain = list(self.rows.values())
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)
        # Enter in any item records the form (keyPressEvent below)
        self.record_button.owner_fields[:] = chain
        self.record_button.setText(self.tr("Record %1").replace("%1", scale.name))
        self.message.clear_message()
        self._apply_skips()
        self._update_total()
        # shown now, not on the event loop's next turn: Tab must find the new rows at once
        self._grid_host.setVisible(not self._showing_recorded)

    def first_row(self) -> ChoiceRow:
        """The row of the first item (where Tab enters the form)."""
        return self.rows[self._scale.items[0].number]

    def last_row(self) -> ChoiceRow:
        """The row of the last item."""
        return self.rows[self._scale.items[-1].number]

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
            row.set_value(int(text) if text.isascii() and text.isdigit() else None)
        self._apply_skips()
        self._update_total()

    def clear(self) -> None:
        """Empty every item."""
        for row in self.rows.values():
            row.set_value(None)
        self._apply_skips()
        self._update_total()

    def focus_first(self) -> None:
        """Put the keyboard on the first item not yet scored (else the first)."""
        for item in self._scale.items:
            row = self.rows[item.number]
            if row.value() is None and row.isEnabled():
                row.focus_choice()
                return
        self.first_row().focus_choice()

    # --- recorded ---------------------------------------------------------------------

    def show_recorded(self, text: str, values: Sequence[int] = ()) -> None:
        """Show what was recorded (``text``: result, time, author) instead of the entry."""
        self._showing_recorded = True
        for item, value in zip(self._scale.items, values, strict=False):
            self.rows[item.number].set_value(value)
        self.recorded_label.setText(f"{OK_MARK} {text}")
        self.recorded_box.show()
        self.another_button.setVisible(self.repeatable)
        self._grid_host.hide()
        self.footer.hide()

    def new_entry(self, *, focus: bool = True) -> None:
        """Back to an empty form for another score ("Record another")."""
        self._showing_recorded = False
        self.recorded_box.hide()
        self._grid_host.show()
        self.footer.show()
        self.clear()
        self.message.clear_message()
        if focus:
            self.focus_first()

    # --- scoring ----------------------------------------------------------------------

    def _picked(self, number: int) -> None:
        self._apply_skips()
        self._update_total()
        self.changed.emit()
        if _focused(self.rows[number]):
            following = [item.number for item in self._scale.items
                         if item.number > number and self.rows[item.number].isEnabled()]
            if following:
                self.rows[following[0]].focus_choice()

    def _apply_skips(self) -> None:
        """Questions not asked after an answer (C-SSRS 3-5 after "no" to 2): "No", greyed."""
        answers = {number: row.value() for number, row in self.rows.items()}
        skipped = skipped_items(self._scale.code, answers)
        for number, row in self.rows.items():
            if number in skipped:
                row.set_value(skipped[number])
            row.setEnabled(number not in skipped)
            self.labels[number].setEnabled(number not in skipped)

    def _update_total(self) -> None:
        values = self.values()
        scored = [v for v in values if v is not None]
        text = self.tr("Total %1 / %2").replace("%1", str(sum(scored))).replace(
            "%2", str(self._scale.max_total))
        missing = len(values) - len(scored)
        if missing:
            text += "  " + self.tr("(%1 of %n items still to score)", "", len(values)).replace(
                "%1", str(missing))
        else:
            text += "  " + self.tr("(Enter records)")
        self.total_label.setText(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter anywhere in the form records it."""
        if event.key() in ENTER_KEYS and plain_key(event) and not self._showing_recorded:
            if not event.isAutoRepeat():
                self.submitted.emit()
            return
        super().keyPressEvent(event)


def on_enter(widget: QWidget, action: Callable[[], object]) -> QObject:
    """Call ``action`` on plain Enter in ``widget`` (returns the filter, kept by the widget)."""

    class _Filter(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                    and event.key() in ENTER_KEYS and plain_key(event)):
                action()
                return True
            return False

    flt = _Filter(widget)
    widget.installEventFilter(flt)
    return flt
