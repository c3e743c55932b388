"""The physician's order at the top of the dose panel, and a verbal order when the dose departs.

The nurse sees who ordered what and when before preparing anything, and the
dose fields start from the order. While the nurse types, the dose is judged
against the order with the domain's own rule (``domain.orders``): a dose that
departs says so in the physician's words and offers "Record a verbal order":
the physician chosen from the active physicians, the read-back ticked, then
the verbal order is recorded and the dose ordered, as one press.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from ketalog.domain.dosing import DoseCalculation
from ketalog.domain.orders import NO_ORDER, PhysicianOrder, check_dose_against_order, proposed_dose
from ketalog.services.orders import (
    OrderView,
    PhysicianChoice,
    SessionOrders,
    record_verbal_order,
    session_orders,
)
from ketalog.ui.core.context import SessionController
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, MessageLabel, big_font
from ketalog.ui.widgets import ActionButton, ComboBox


def _when(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def order_line(view: OrderView, tz: ZoneInfo) -> str:
    """One order in words: kind, who, when, what, and whether it is signed."""
    if view.kind == "standing":
        signed = (f"{OK_MARK} signed" if view.keyed
                  else f"{ALERT_MARK} NOT SIGNED with the physician's key")
        return (f"Standing order by {view.physician_name}, {_when(view.ordered_at_utc, tz)}: "
                f"{view.order.describe()} · {signed}")
    cosigned = (f"co-signed {_when(view.cosigned_at_utc, tz)}" if view.cosigned_at_utc
                else "awaiting the physician's co-signature")
    return (f"Verbal order by {view.physician_name}, {_when(view.ordered_at_utc, tz)}, "
            f"read back by {view.received_by_name}: {view.order.describe()} · {cosigned}")


class OrderBox(QGroupBox):
    """The order in force, how the typed dose stands against it, and the verbal order form.

    ``order_dose`` is the dose panel's own "order" action, pressed after a
    verbal order was recorded; ``proposed`` gives the dose as typed (its
    calculation and weight basis), None while the inputs are incomplete.
    """

    def __init__(self, controller: SessionController, order_dose: Callable[[], bool],
                 parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Physician's order"), parent)
        self.controller = controller
        self._order_dose = order_dose
        self.orders: SessionOrders | None = None
        self._protocol_code = ""
        self._proposed: tuple[DoseCalculation, str | None] | None = None
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        big_font(self.summary, 12)
        self.departure = MessageLabel()
        self.departure.setObjectName("order_departure")
        self.verbal_box = QWidget()
        self.physician_combo = ComboBox()
        self.physician_combo.setObjectName("verbal_physician")
        self.physician_combo.setPlaceholderText(self.tr("choose the physician who gave it"))
        self.read_back = QCheckBox(self.tr("I read the order back and the physician confirmed "
                                           "it"))
        self.read_back.setObjectName("verbal_read_back")
        self.verbal_button = ActionButton(self.tr("Record verbal order and order the dose"))
        self.verbal_button.setObjectName("record_verbal_order")
        self.verbal_button.clicked.connect(self.record_verbal)
        self.verbal_button.bind_enter(self.read_back)
        self.verbal_message = MessageLabel()
        form = QFormLayout(self.verbal_box)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(QLabel(self.tr("Record a verbal order for exactly this dose:")))
        form.addRow(self.tr("Ordered by"), self.physician_combo)
        form.addRow("", self.read_back)
        form.addRow("", self.verbal_button)
        form.addRow(self.verbal_message)
        self.verbal_box.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.departure)
        layout.addWidget(self.verbal_box)
        QWidget.setTabOrder(self.physician_combo, self.read_back)

    # --- showing ---------------------------------------------------------------------

    def load(self, protocol_code: str) -> SessionOrders | None:
        """Read the session's orders as stored now and show them."""
        self._protocol_code = protocol_code
        sid = self.controller.session_id
        outcome = self.controller.ctx.run(lambda db: session_orders(db, sid))
        if outcome.value is None:
            self.summary.setText(outcome.error or "")
            return self.orders
        self.orders = outcome.value
        self._show_orders(outcome.value)
        self._fill_physicians(outcome.value.physicians)
        self._judge()
        return self.orders

    def _show_orders(self, orders: SessionOrders) -> None:
        tz = self.controller.ctx.tz
        lines = []
        if orders.standing is not None:
            lines.append(order_line(orders.standing, tz))
        elif orders.order_required:
            lines.append(f"{ALERT_MARK} {NO_ORDER}")
        else:
            lines.append(self.tr("No standing order: this course was opened before ketalog "
                                 "recorded physicians' orders."))
        lines += [order_line(v, tz) for v in orders.verbal]
        self.summary.setText("\n".join(lines))

    def _fill_physicians(self, physicians: tuple[PhysicianChoice, ...]) -> None:
        keep = self.physician_combo.currentData()
        self.physician_combo.clear()
        for choice in physicians:
            self.physician_combo.addItem(choice.name, choice.user_id)
        index = self.physician_combo.findData(keep) if keep is not None else -1
        if index < 0 and self.orders is not None and self.orders.standing is not None:
            index = self.physician_combo.findData(self.orders.standing.physician_id)
        self.physician_combo.setCurrentIndex(index)

    def prefill(self) -> PhysicianOrder | None:
        """The order the dose fields start from: the newest verbal order, else the standing."""
        if self.orders is None:
            return None
        if self.orders.verbal:
            return self.orders.verbal[-1].order
        return self.orders.standing.order if self.orders.standing else None

    # --- judging the dose as typed -----------------------------------------------------

    def judge(self, calc: DoseCalculation | None, weight_basis: str | None) -> list[str]:
        """How the typed dose stands against the orders; shows the verbal order form if needed."""
        self._proposed = None if calc is None else (calc, weight_basis)
        return self._judge()

    def departures(self) -> list[str]:
        """Why the typed dose needs an order (empty: it follows one, or none is needed)."""
        orders = self.orders
        if orders is None or self._proposed is None:
            return []
        calc, basis = self._proposed
        proposed = proposed_dose(self._protocol_code, calc,
                                 basis if calc.weight_kg is not None else None)
        if any(not check_dose_against_order(v.order, proposed) for v in orders.verbal):
            return []
        if orders.standing is None:
            return [NO_ORDER] if orders.order_required else []
        return check_dose_against_order(orders.standing.order, proposed)

    def _judge(self) -> list[str]:
        reasons = self.departures()
        if reasons:
            self.departure.show_error("\n".join(reasons))
        else:
            self.departure.clear_message()
            self.read_back.setChecked(False)
            self.verbal_message.clear_message()
        self.verbal_box.setVisible(bool(reasons))
        return reasons

    # --- acting ------------------------------------------------------------------------

    def record_verbal(self) -> bool:
        """Record the verbal order for exactly the dose typed, then order the dose."""
        if self._proposed is None or not self.departures():
            return False
        physician = self.physician_combo.currentData()
        if physician is None:
            self.verbal_message.show_error(self.tr("Choose the physician who gave the order."))
            self.physician_combo.setFocus()
            return False
        calc, basis = self._proposed
        if calc.device_count is not None:
            dose: object = calc.device_count
        else:
            dose = calc.ordered_dose
        read_back = self.read_back.isChecked()
        sid, clock = self.controller.session_id, self.controller.ctx.clock
        weighted = calc.weight_kg is not None
        outcome = self.controller.act(lambda db, actor: record_verbal_order(
            db, actor, sid, physician_id=int(physician), dose=dose,
            duration_min=calc.duration_min, weight_basis=basis if weighted else None,
            read_back=read_back, clock=clock))
        if not outcome.ok:
            self.verbal_message.show_error(outcome.error or "")
            return False
        self.read_back.setChecked(False)
        self.verbal_message.clear_message()
        self.load(self._protocol_code)
        return self._order_dose()
