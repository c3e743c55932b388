"""The vial at the chair: which container the dose is drawn from, and where every mL went.

Ketamine is Schedule III: each dose prepared names the container it came from,
the volume drawn, the volume the patient received, and what was left, wasted
before a witness (who types their own user name and password and signs with
their own key) or returned to stock (issue 19, item 2). The container is named
by scanning the vial's GS1 DataMatrix (a USB scanner types like a keyboard
into :class:`ScanEdit`) or picked from the containers on hand; a scan that will
not do is refused right under the scan field, and nothing is written.

The box lives in the Dose tab under the order. The remainder still to account
for is shown plainly, in mL; discharge and the nursing record are refused
while there is one (the services say why).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from ketalog.domain.clinic_time import clock_text
from ketalog.domain.controlled_substances import format_ml
from ketalog.domain.session_state import SessionState
from ketalog.domain.vial_barcode import GROUP_SEPARATOR, GROUP_SEPARATOR_STAND_INS
from ketalog.services.context import Actor
from ketalog.services.identity import ProofPurpose
from ketalog.services.session_view import SessionView
from ketalog.services.stock import (
    DRAW_STATES,
    SETTLE_STATES,
    draw_for_session,
    record_administered,
    return_to_stock,
    waste_remainder,
)
from ketalog.services.stock_view import (
    ChairContainer,
    ChairDraw,
    ChairStock,
    ScannedVial,
    chair_stock,
    draw_volume_for,
    match_scan,
)
from ketalog.ui.core.context import SessionController
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, MessageLabel, big_font
from ketalog.ui.start.credentials import CredentialsRow
from ketalog.ui.widgets import ActionButton, ComboBox

#: The key that puts the keyboard in the scan field (the F1 list names it).
SCAN_KEY = "Alt+V"
#: What the scan field shows for a group separator (GS) the scanner typed.
SHOWN_SEPARATOR = GROUP_SEPARATOR_STAND_INS[0]


def _ml(value: Decimal) -> str:
    """A volume as typed in a field ("0.8", "4"), without the unit."""
    return f"{value.normalize():f}"


class ScanEdit(QLineEdit):
    """The scan field: keeps the group separator a scanner types, which a line edit drops.

    A scanner sends the GS between variable-length fields as a control
    character (Ctrl+]); QLineEdit refuses control characters, so it is put in
    as its visible symbol U+241D, which the parser reads as GS again
    (domain.vial_barcode.GROUP_SEPARATOR_STAND_INS).
    """

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """GS goes in as its symbol; every other key as usual."""
        if event.text() == GROUP_SEPARATOR:
            self.insert(SHOWN_SEPARATOR)
            return
        super().keyPressEvent(event)


#: While the dose is prepared or running, what was drawn is expected to be open.
DOSE_UNDER_WAY = frozenset({SessionState.CHECKED_IN, SessionState.INFUSING,
                            SessionState.PAUSED})


class VialBox(QGroupBox):
    """Scan or pick the vial, record the draw, then the volume given and the remainder."""

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Controlled substance: the vial and every mL drawn"), parent)
        self.setObjectName("vial_box")
        self.controller = controller
        self.view: SessionView | None = None
        self.stock = ChairStock(False, (), ())
        self._scanned: ScannedVial | None = None
        self._draw_prefill: tuple[int, str] | None = None
        self._settle_prefill: tuple[int, str, str] | None = None

        self.summary_label = QLabel()
        self.summary_label.setObjectName("unreconciled")
        self.summary_label.setWordWrap(True)
        big_font(self.summary_label, 14)
        self.draws_label = QLabel()
        self.draws_label.setWordWrap(True)

        # naming the container: scan, or pick
        self.scan_edit = ScanEdit()
        self.scan_edit.setObjectName("vial_scan")
        self.scan_edit.setPlaceholderText(self.tr("scan the square code on the vial"))
        self.scan_edit.returnPressed.connect(self.scan)
        self.scan_label = QLabel(self.tr("Vial scan (%1)").replace("%1", SCAN_KEY))
        self._scan_key = QShortcut(QKeySequence(SCAN_KEY), self)
        self._scan_key.setContext(Qt.ShortcutContext.WindowShortcut)
        self._scan_key.activated.connect(self.focus_scan)
        self.scan_message = MessageLabel()
        self.scan_message.setObjectName("scan_message")
        self.container_combo = ComboBox()
        self.container_combo.setObjectName("vial_container")
        self.container_combo.setPlaceholderText(self.tr("or pick the container"))
        self.container_combo.activated.connect(self._picked)
        self.vial_facts = QLabel()
        self.vial_facts.setObjectName("vial_facts")
        self.vial_facts.setWordWrap(True)
        self.draw_edit = QLineEdit()
        self.draw_edit.setObjectName("volume_drawn_ml")
        self.draw_button = ActionButton(self.tr("Record draw"), shortcut="Alt+U")
        self.draw_button.clicked.connect(self.record_draw)
        self.draw_button.bind_enter(self.draw_edit)
        self.draw_area = QWidget()
        draw_form = QFormLayout(self.draw_area)
        draw_form.setContentsMargins(0, 0, 0, 0)
        draw_form.addRow(self.scan_label, self.scan_edit)
        draw_form.addRow("", self.scan_message)
        draw_form.addRow(self.tr("Container"), self.container_combo)
        draw_form.addRow("", self.vial_facts)
        draw_row = QHBoxLayout()
        draw_row.addWidget(self.draw_edit, 1)
        draw_row.addWidget(self.draw_button)
        draw_form.addRow(self.tr("Volume drawn (mL)"), draw_row)

        # accounting for the open draw: given, then the remainder wasted or returned
        self.settle_title = QLabel()
        self.settle_title.setWordWrap(True)
        self.given_edit = QLineEdit()
        self.given_edit.setObjectName("volume_given_ml")
        self.given_button = ActionButton(self.tr("Record given"), shortcut="Alt+J")
        self.given_button.clicked.connect(self.record_given)
        self.given_button.bind_enter(self.given_edit)
        self.remainder_edit = QLineEdit()
        self.remainder_edit.setObjectName("remainder_ml")
        self.remainder_edit.returnPressed.connect(self.focusNextChild)
        self.manner_edit = QLineEdit()
        self.manner_edit.setObjectName("waste_manner")
        self.manner_edit.setText(self.tr("into the drug waste container"))
        self.manner_edit.returnPressed.connect(self.focusNextChild)
        self.witness = CredentialsRow(self.tr("witness"), "waste_witness")
        self.witness.submitted.connect(self.waste)
        self.waste_button = ActionButton(self.tr("Waste before the witness"))
        self.waste_button.clicked.connect(self.waste)
        self.waste_button.owner_fields.append(self.witness.password_edit)
        self.return_button = ActionButton(self.tr("Return to stock"), shortcut="Alt+H")
        self.return_button.clicked.connect(self.return_remainder)
        self.settle_area = QWidget()
        settle_form = QFormLayout(self.settle_area)
        settle_form.setContentsMargins(0, 0, 0, 0)
        settle_form.addRow(self.settle_title)
        given_row = QHBoxLayout()
        given_row.addWidget(self.given_edit, 1)
        given_row.addWidget(self.given_button)
        settle_form.addRow(self.tr("Given to the patient (mL)"), given_row)
        settle_form.addRow(self.tr("Remainder (mL)"), self.remainder_edit)
        settle_form.addRow(self.tr("How it is wasted"), self.manner_edit)
        witness_row = QHBoxLayout()
        witness_row.addWidget(self.witness, 1)
        witness_row.addWidget(self.waste_button)
        settle_form.addRow(self.tr("Witness"), witness_row)
        settle_form.addRow("", self.return_button)

        self.message = MessageLabel()
        self.message.setObjectName("vial_message")
        for button in (self.draw_button, self.given_button, self.waste_button,
                       self.return_button):
            button.refused.connect(self.message.show_error)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.draws_label)
        layout.addWidget(self.draw_area)
        layout.addWidget(self.settle_area)
        layout.addWidget(self.message)
        self.hide()

    def focus_chain(self) -> list[QWidget]:
        """The box's fields in the order the nurse fills them (for the panel's Tab order)."""
        return [self.scan_edit, self.container_combo, self.draw_edit, self.given_edit,
                self.remainder_edit, self.manner_edit, self.witness.username_edit,
                self.witness.password_edit]

    # --- showing --------------------------------------------------------------------

    def show_view(self, view: SessionView) -> None:
        """Read the session's draws and the containers on hand; keep what is being typed."""
        if self.view is not None and self.view.detail.id != view.detail.id:
            self._forget_typing()
        self.view = view
        sid, now = view.detail.id, view.now
        outcome = self.controller.ctx.run(lambda db: chair_stock(db, sid, now))
        if outcome.value is not None:
            self.stock = outcome.value
        ordered = view.detail.dose is not None
        # isHidden, not isVisible: the Dose tab may be behind another one
        shown = self.stock.keeps_books and (ordered or bool(self.stock.draws))
        self.setHidden(not shown)
        if not shown:
            return
        state = view.detail.state
        self._show_summary(dose_under_way=state in DOSE_UNDER_WAY)
        self._fill_containers()
        may_draw = state in DRAW_STATES and view.entry_refusal is None
        self.draw_area.setVisible(may_draw)
        self._show_settle(state in SETTLE_STATES)

    def _show_summary(self, *, dose_under_way: bool) -> None:
        stock = self.stock
        open_ml = stock.unreconciled_ml
        if open_ml > 0 and dose_under_way:
            # the drawn dose is in the syringe or running in the bag: nothing is wrong yet,
            # so no alarm colour (a red line through every infusion would teach nurses to
            # ignore it when it matters, after the dose)
            self.summary_label.setText(self.tr(
                "%1 drawn, for this dose: once it has ended, record what was given and waste "
                "the rest before a witness or return it.").replace("%1", format_ml(open_ml)))
            self.summary_label.setStyleSheet("")
        elif open_ml > 0:
            lots = [d.lot_number for d in stock.open_draws]
            words = (self.tr("lot %1").replace("%1", lots[0]) if len(lots) == 1 else "; ".join(
                self.tr("%1 of lot %2").replace("%1", format_ml(d.unreconciled_ml))
                .replace("%2", d.lot_number) for d in stock.open_draws))
            self.summary_label.setText(f"{ALERT_MARK} " + self.tr(
                "%1 not yet accounted for (%2): record what was given, and waste the rest "
                "before a witness or return it.").replace("%1", format_ml(open_ml))
                .replace("%2", words))
            self.summary_label.setStyleSheet("color: #8b0000;")
        elif stock.draws:
            self.summary_label.setText(f"{OK_MARK} " + self.tr(
                "Every mL drawn is accounted for."))
            self.summary_label.setStyleSheet("")
        else:
            self.summary_label.setText(self.tr(
                "Nothing drawn yet: scan the vial (%1) or pick its container, then record "
                "the volume drawn.").replace("%1", SCAN_KEY))
            self.summary_label.setStyleSheet("")
        tz = self.controller.ctx.tz
        lines = [self._draw_line(d, clock_text(d.drawn_at_utc, tz)) for d in stock.draws]
        self.draws_label.setText("\n".join(lines))
        self.draws_label.setVisible(bool(lines))

    def _draw_line(self, draw: ChairDraw, at: str) -> str:
        parts = [self.tr("%1 drawn at %2 by %3 from %4, lot %5").replace(
            "%1", format_ml(draw.drawn_ml)).replace("%2", at).replace("%3", draw.drawn_by)
            .replace("%4", draw.product_name).replace("%5", draw.lot_number)]
        for volume, words in ((draw.given_ml, self.tr("%1 given")),
                              (draw.wasted_ml, self.tr("%1 wasted before a witness")),
                              (draw.returned_ml, self.tr("%1 returned to stock"))):
            if volume > 0:
                parts.append(words.replace("%1", format_ml(volume)))
        return "• " + "; ".join(parts)

    def _fill_containers(self) -> None:
        usable = [c for c in self.stock.on_hand if c.unusable is None]
        current = self.container_combo.currentData()
        self.container_combo.clear()
        for container in usable:
            self.container_combo.addItem(self._container_text(container), container.container_id)
        index = self.container_combo.findData(current) if current is not None else -1
        self.container_combo.setCurrentIndex(index)
        if index < 0:
            self._scanned = None
        self._show_container()

    def _container_text(self, c: ChairContainer) -> str:
        serial = self.tr(", serial %1").replace("%1", c.serial) if c.serial else ""
        return (self.tr("%1, lot %2, expires %3%4: %5 left (%6)")
                .replace("%1", c.product_name).replace("%2", c.lot_number)
                .replace("%3", c.expiry_date.isoformat()).replace("%4", serial)
                .replace("%5", format_ml(c.balance_ml)).replace("%6", c.location_name))

    def chosen(self) -> ChairContainer | None:
        """The container picked or scanned, as the books hold it now."""
        return self.stock.container(self.container_combo.currentData())

    def _show_container(self) -> None:
        container = self.chosen()
        self.draw_button.setEnabled(container is not None)
        self.draw_button.setToolTip("" if container is not None else self.tr(
            "Scan the vial or pick its container first."))
        if container is None:
            self.vial_facts.setText("")
            self.draw_edit.clear()
            self._draw_prefill = None
            return
        facts = []
        scanned = self._scanned
        if scanned is not None and scanned.container.container_id == container.container_id:
            facts.append(f"{OK_MARK} " + self.tr(
                "Scanned: lot %1, expires %2%3.").replace("%1", scanned.scan.lot_number)
                .replace("%2", scanned.scan.expiry_date.isoformat())
                .replace("%3", self.tr(", serial %1").replace("%1", scanned.scan.serial)
                         if scanned.scan.serial else ""))
        wanted = self.stock.ordered_mg_per_ml
        if wanted is not None and container.strength_mg_per_ml != wanted:
            facts.append(f"{ALERT_MARK} " + self.tr(
                "This container is %1 mg/mL; the dose was ordered at %2 mg/mL. The volume "
                "below is worked out for the ordered mg at %1 mg/mL.")
                .replace("%1", _ml(container.strength_mg_per_ml)).replace("%2", _ml(wanted)))
        self.vial_facts.setText("\n".join(facts))
        volume = draw_volume_for(self.stock, container)
        prefill = (container.container_id, _ml(volume) if volume is not None else "")
        if prefill != self._draw_prefill:
            self._draw_prefill = prefill
            self.draw_edit.setText(prefill[1])

    def _show_settle(self, may_settle: bool) -> None:
        draws = self.stock.open_draws
        draw = draws[0] if draws else None
        self.settle_area.setVisible(draw is not None and may_settle)
        if draw is None or not may_settle:
            self._settle_prefill = None
            return
        more = len(draws) - 1
        title = self.tr("Draw of %1 from lot %2: %3 not yet accounted for.").replace(
            "%1", format_ml(draw.drawn_ml)).replace("%2", draw.lot_number).replace(
            "%3", format_ml(draw.unreconciled_ml))
        if more:
            title += " " + self.tr("Then %1 more draw(s).").replace("%1", str(more))
        if not self.stock.dose_given:
            title += " " + self.tr("The volume given is filled in from the pump's log when "
                                   "the infusion ends.")
        self.settle_title.setText(title)
        given = draw.suggested_given_ml
        remainder = draw.unreconciled_ml - (given or Decimal(0))
        # while the pump runs nothing is prefilled: a remainder is known once the dose ends
        prefill = (draw.draw_id, _ml(given) if given is not None else "",
                   _ml(remainder) if given is not None else "")
        if prefill != self._settle_prefill:
            self._settle_prefill = prefill
            self.given_edit.setText(prefill[1])
            self.remainder_edit.setText(prefill[2])

    def next_field(self) -> QWidget | None:
        """Where the next value goes: the scan, the volume given, or the remainder."""
        if self.isHidden() or self.view is None:
            return None
        if not self.settle_area.isHidden() and self.stock.dose_given:
            draw = self.stock.open_draws[0]
            return (self.remainder_edit if draw.given_ml > 0 or draw.suggested_given_ml == 0
                    else self.given_edit)
        if not self.draw_area.isHidden() and not self.stock.draws:
            return self.scan_edit
        return None

    def _forget_typing(self) -> None:
        for edit in (self.scan_edit, self.draw_edit, self.given_edit, self.remainder_edit):
            edit.clear()
        self.witness.clear()
        self._scanned = None
        self._draw_prefill = self._settle_prefill = None
        self.scan_message.clear_message()
        self.message.clear_message()

    # --- naming the container ---------------------------------------------------------

    def focus_scan(self) -> None:
        """Alt+V: the keyboard to the scan field, ready for the scanner (or says why not)."""
        if self.isHidden() or self.draw_area.isHidden():
            return
        self.scan_edit.setFocus()
        self.scan_edit.selectAll()

    def scan(self) -> bool:
        """Match the scanned code to its container; a refusal is shown under the field."""
        typed = self.scan_edit.text()
        if not typed.strip():
            return False
        chosen = self.container_combo.currentData() if self._scanned is None else None
        clock = self.controller.ctx.clock
        outcome = self.controller.ctx.run(lambda db: match_scan(
            db, typed, now=clock(), chosen_container_id=chosen))
        if outcome.error or outcome.value is None:
            self.scan_message.show_error(outcome.error or "")
            self.scan_edit.selectAll()  # the next scan replaces it
            return False
        self.scan_message.clear_message()
        found = outcome.value
        self._scanned = found
        self.scan_edit.clear()
        index = self.container_combo.findData(found.container.container_id)
        self.container_combo.setCurrentIndex(index)
        self._show_container()
        self.draw_edit.setFocus()
        self.draw_edit.selectAll()
        return True

    def _picked(self, _index: int) -> None:
        self._scanned = None
        self.scan_message.clear_message()
        self._show_container()

    # --- acting -------------------------------------------------------------------------

    def _act(self, action: Callable[[Session, Actor], object]) -> bool:
        outcome = self.controller.act(action)
        if outcome.error:
            self.message.show_error(outcome.error)
            return False
        self.message.clear_message()
        return True

    def record_draw(self) -> bool:
        """Record the volume drawn from the chosen container for this session."""
        container = self.chosen()
        if container is None or self.view is None:
            self.message.show_error(self.tr("Scan the vial or pick its container first."))
            return False
        sid, cid, clock = self.view.detail.id, container.container_id, self.controller.ctx.clock
        volume = self.draw_edit.text()
        done = self._act(lambda db, actor: draw_for_session(
            db, actor, session_id=sid, container_id=cid, volume_ml=volume, clock=clock))
        if done:
            self._scanned = None
            self._draw_prefill = None
            self.container_combo.setCurrentIndex(-1)
            self._show_container()
        return done

    def _open_draw(self) -> ChairDraw | None:
        draws = self.stock.open_draws
        return draws[0] if draws else None

    def record_given(self) -> bool:
        """Record the part of the open draw the patient received."""
        draw = self._open_draw()
        if draw is None:
            return False
        draw_id, clock, volume = draw.draw_id, self.controller.ctx.clock, self.given_edit.text()
        done = self._act(lambda db, actor: record_administered(
            db, actor, draw_id=draw_id, volume_ml=volume, clock=clock))
        if done:
            draw = self._open_draw()
            if draw is not None and draw.draw_id == draw_id:
                self.remainder_edit.setText(_ml(draw.unreconciled_ml))
                self.remainder_edit.setFocus()
                self.remainder_edit.selectAll()
        return done

    def waste(self) -> bool:
        """Waste the remainder before the witness, who typed their own name and password."""
        draw = self._open_draw()
        if draw is None:
            return False
        if not self.manner_edit.text().strip():
            self.witness.password_edit.clear()  # asked first: a missing manner costs no attempt
            self.message.show_error(self.tr("Say how the remainder is wasted."))
            self.manner_edit.setFocus()
            return False
        missing = self.witness.missing()
        if missing:
            self.message.show_error(missing)
            return False
        credentials = self.witness.take()
        draw_id, clock = draw.draw_id, self.controller.ctx.clock
        volume, manner = self.remainder_edit.text(), self.manner_edit.text()

        def act(db: Session, actor: Actor) -> int:
            # the witness's password and the waste are one user action
            proof = credentials.proof(db, workstation=actor.workstation,
                                      purpose=ProofPurpose.WITNESS_WASTE, clock=clock)
            return waste_remainder(db, actor, draw_id=draw_id, volume_ml=volume,
                                   manner=manner, witness_proof=proof, clock=clock)

        done = self._act(act)
        self.witness.settle(credentials, done)
        if done:
            self._settle_prefill = None
        return done

    def return_remainder(self) -> bool:
        """Put the remainder back into its container (where the clinic allows it)."""
        draw = self._open_draw()
        if draw is None:
            return False
        draw_id, clock, volume = draw.draw_id, self.controller.ctx.clock, self.remainder_edit.text()
        done = self._act(lambda db, actor: return_to_stock(
            db, actor, draw_id=draw_id, volume_ml=volume, clock=clock))
        if done:
            self._settle_prefill = None
        return done
