"""The kit's rules as one assertion any test can make over any window, dialog or page.

``assert_follows_the_kit(widget)`` holds when, inside ``widget``:

* every button is a kit button or otherwise never takes the focus
  (:func:`ketalog.ui.widgets.buttons.is_safe_button`);
* no button that may take the focus reads like a state change ("Save",
  "Sign", "Unlock"...): those are kit ``ActionButton``\\ s, pressed by a click,
  their own key or Enter in their field, never by a stray Space;
* no state-changing button is a dialog's default (pressed by Enter in any field);
* every combo box, spin box, date or time field and slider is a kit one, so
  the wheel changes it only while it has the focus.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QRadioButton,
    QScrollBar,
    QSlider,
    QWidget,
)

from ketalog.ui.widgets.buttons import ActionButton, is_safe_button
from ketalog.ui.widgets.fields import VALUE_WIDGETS

#: First words of a button that changes stored state (or sends a document out of the app).
STATE_CHANGING_WORDS = (
    "save", "sign", "record", "delete", "remove", "submit", "print", "export", "unlock",
    "approve", "override", "mark", "schedule", "book", "register", "create", "cancel session",
    "stop", "start", "complete", "apply", "restore", "back up", "file", "verify", "add",
    "move", "reschedule",
)
#: Labels that start like a state change but only show a form again.
HARMLESS_LABELS = ("record another",)


def inside_calendar(widget: QWidget) -> bool:
    """Part of a date field's pop-up calendar (Qt's own, shown only on demand)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QCalendarWidget):
            return True
        parent = parent.parentWidget()
    return False


def value_widgets(root: QWidget) -> list[QWidget]:
    """Combo boxes, spin boxes, date and time fields and sliders (not scroll bars)."""
    found: list[QWidget] = []
    for kind in (QComboBox, QAbstractSpinBox, QSlider):
        found += [w for w in root.findChildren(kind)
                  if not isinstance(w, QScrollBar) and not inside_calendar(w)]
    return found


def _words(button: QAbstractButton) -> str:
    return button.text().replace("&", "").strip().lower()


def reads_like_a_state_change(button: QAbstractButton) -> bool:
    """The label starts with a word of :data:`STATE_CHANGING_WORDS`.

    A label ending in an ellipsis opens a dialog or a preview where the
    change is made, with kit buttons of its own.
    """
    text = _words(button)
    if _opens_a_dialog(text) or text in HARMLESS_LABELS:
        return False
    return any(text == w or text.startswith((w + " ", w + ".", w + "…"))
               for w in STATE_CHANGING_WORDS)


def _opens_a_dialog(text: str) -> bool:
    label = text.split("(")[0].strip()  # "Day log... (Ctrl+P)"
    return label.endswith(("…", "..."))


def kit_problems(root: QWidget) -> list[str]:
    """Every place under ``root`` where the kit's rules do not hold, in words."""
    problems: list[str] = []
    for button in root.findChildren(QAbstractButton):
        if inside_calendar(button) or isinstance(button, QCheckBox | QRadioButton):
            continue
        name = f"{type(button).__name__} {button.text()!r} ({button.objectName() or '-'})"
        if not is_safe_button(button):
            problems.append(f"{name}: takes the focus and is not a kit Button")
        elif (button.focusPolicy() != Qt.FocusPolicy.NoFocus
              and reads_like_a_state_change(button)):
            problems.append(f"{name}: changes state but may take the focus")
        if isinstance(button, ActionButton) and button.isDefault():
            problems.append(f"{name}: changes state and is the default (Enter in any field)")
    problems += [f"{type(w).__name__} ({w.objectName() or '-'}): not a kit value widget"
                 for w in value_widgets(root) if not isinstance(w, VALUE_WIDGETS)]
    return problems


def assert_follows_the_kit(widget: QWidget) -> None:
    """Fail with every breach of the kit's rules found under ``widget``."""
    problems = kit_problems(widget)
    assert problems == [], "\n".join([f"{type(widget).__name__}:", *problems])
