"""The widget kit every screen is built from, so each rule is written once.

* :mod:`.buttons`: state-changing buttons never take focus; Enter and Space
  press every other button alike.
* :mod:`.fields`: value widgets the wheel changes only while focused.
* :mod:`.choice`: scored items with one focus stop each, and multi-item forms.
* :mod:`.table`: one table model with declarative columns and id-keyed updates.
* :mod:`.panel`: the base of every chair-side panel.
* :mod:`.correction`: marking an entry "entered in error", for every list alike.
* :mod:`.flow`: labelled fields in a row that folds when the column is narrow.
"""

from ketalog.ui.widgets.buttons import ActionButton, Button, button_row
from ketalog.ui.widgets.choice import ChoiceRow, ItemsForm, choice_values
from ketalog.ui.widgets.correction import (
    CorrectionSource,
    EnteredInErrorAction,
    void_line,
    with_void,
)
from ketalog.ui.widgets.fields import (
    ComboBox,
    DateField,
    DateTimeField,
    DecimalSpinBox,
    PasswordField,
    Slider,
    SpinBox,
    TimeField,
)
from ketalog.ui.widgets.panel import ScrollingPage, SessionPanel, hint
from ketalog.ui.widgets.table import (
    ROW_ID_ROLE,
    SESSION_ID_ROLE,
    VOIDED_ROLE,
    Column,
    RowsModel,
    SessionTable,
    make_table,
)

__all__ = [
    "ROW_ID_ROLE", "SESSION_ID_ROLE", "VOIDED_ROLE", "ActionButton", "Button", "ChoiceRow",
    "Column", "ComboBox", "CorrectionSource", "DateField", "DateTimeField", "DecimalSpinBox",
    "EnteredInErrorAction", "ItemsForm", "PasswordField",
    "RowsModel", "ScrollingPage", "SessionPanel", "SessionTable", "Slider", "SpinBox", "TimeField",
    "button_row", "choice_values", "hint", "make_table", "void_line",
    "with_void",
]
