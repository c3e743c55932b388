"""The physician's order at the chair, driven as the people would.

The physician signs a standing order from the course window (password last,
Enter signs); the nurse's dose starts from it and follows it; a dose that
departs is refused in the physician's words; the nurse records a read-back
verbal order and the dose is ordered; the physician co-signs it from the
waiting list with their own password.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ketalog.services.orders import standing_order_in_force
from ketalog.store.models import DoseOrder, PhysicianOrderRecord
from ketalog.ui.board.waiting_page import WaitingPage
from ketalog.ui.course.course_actions import add_course_actions
from ketalog.ui.course.course_page import CourseDialog
from ketalog.ui.course.order_dialog import StandingOrderDialog
from ketalog.ui.session.panels.dose_panel import DosePanel
from ketalog.ui.widgets.buttons import ActionButton
from tests.staff import NURSE, PHYSICIAN, password_of
from tests.ui.conftest import Chair, open_panel


def _retype(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def _course_id(chair: Chair) -> int:
    with chair.db() as db:
        from ketalog.services.session.common import load_session

        return load_session(db, chair.session_id).course_id


def _doses(chair: Chair) -> list[tuple[str, int | None]]:
    with chair.db() as db:
        rows = db.execute(select(DoseOrder.dose_mg_per_kg, DoseOrder.physician_order_id)
                          .order_by(DoseOrder.id)).all()
    return [(f"{d.normalize():f}", o) for d, o in rows]


def test_the_course_window_offers_the_order_to_physicians_only(qtbot: QtBot,
                                                              chair: Chair) -> None:
    for actor, allowed in ((PHYSICIAN, True), (NURSE, False)):
        chair.actor[0] = actor
        window = CourseDialog(chair.ctx, _course_id(chair))
        qtbot.addWidget(window)
        button = add_course_actions(window)["standing_order"]
        assert button.isEnabled() is allowed
        assert button.text() == "Physician's order…"


def test_order_then_dose_then_verbal_order_then_cosignature(qtbot: QtBot,
                                                          chair: Chair) -> None:
    course = _course_id(chair)
    # 1. the physician signs a new standing order: 0.5 mg/kg, titration up to 0.75
    chair.actor[0] = PHYSICIAN
    dialog = StandingOrderDialog(chair.ctx, course)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "Standing order by Ada Lindqvist, MD" in dialog.in_force.text()
    assert dialog.dose_edit.text() == "0.5" and dialog.duration_edit.text() == "40"
    assert isinstance(dialog.sign_button, ActionButton)
    _retype(qtbot, dialog.ceiling_edit, "0.75")
    dialog.password.setFocus()
    qtbot.keyClicks(dialog.password, "wrong")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert "password is wrong" in dialog.message.text()
    assert dialog.password.text() == ""
    qtbot.keyClicks(dialog.password, password_of("ada"))
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.order_id is not None
    with chair.db() as db:
        in_force = standing_order_in_force(db, course)
    assert in_force is not None and in_force.id == dialog.order_id
    assert in_force.order.describe() == "0.5 mg/kg over 40 min, titration up to 0.75 mg/kg"

    # 2. the nurse's dose starts from the order and follows it
    chair.actor[0] = NURSE
    chair.to("checked_in")
    panel, _ = open_panel(chair, qtbot, DosePanel)
    box = panel.physician_order
    assert "Standing order by Ada Lindqvist, MD" in box.summary.text()
    assert "titration up to 0.75 mg/kg · ✓ signed" in box.summary.text()
    assert panel.fields["dose_mg_per_kg"].text() == "0.5"
    _retype(qtbot, panel.fields["dose_mg_per_kg"], "0.7")
    assert not box.departure.isVisible() and not box.verbal_box.isVisible()
    qtbot.mouseClick(panel.order_button, Qt.MouseButton.LeftButton)
    assert _doses(chair) == [("0.7", dialog.order_id)]

    # 3. a dose departing from it is refused, in the physician's words
    _retype(qtbot, panel.fields["dose_mg_per_kg"], "0.9")
    departure = ("Ada Lindqvist, MD ordered 0.5 mg/kg over 40 min, titration up to 0.75 mg/kg;"
                 " this dose is 0.9 mg/kg, above the titration ceiling: a new physician order "
                 "or a verbal order is needed.")
    assert box.departure.text() == f"⚠ {departure}"
    assert box.verbal_box.isVisible()
    qtbot.mouseClick(panel.order_button, Qt.MouseButton.LeftButton)
    assert departure in panel.message.text()
    assert len(_doses(chair)) == 1

    # 4. the physician orders 0.9 by phone: read back, recorded, and the dose ordered
    assert box.physician_combo.currentText() == "Ada Lindqvist, MD"
    box.read_back.setFocus()
    qtbot.keyClick(box.read_back, Qt.Key.Key_Return)  # not read back yet: refused
    assert "read back" in box.verbal_message.text()
    qtbot.keyClick(box.read_back, Qt.Key.Key_Space)
    assert box.read_back.isChecked()
    qtbot.keyClick(box.read_back, Qt.Key.Key_Return)
    with chair.db() as db:
        verbal = db.scalar(select(PhysicianOrderRecord.id)
                           .where(PhysicianOrderRecord.kind == "verbal"))
        counted = db.scalar(select(func.count()).select_from(PhysicianOrderRecord))
    assert verbal is not None and counted == 3  # two standing orders, one verbal
    assert _doses(chair)[-1] == ("0.9", verbal)
    assert "Verbal order by Ada Lindqvist, MD" in box.summary.text()
    assert "awaiting the physician's co-signature" in box.summary.text()
    assert not box.verbal_box.isVisible()

    # 5. the physician co-signs from the waiting list
    chair.actor[0] = PHYSICIAN
    page = WaitingPage(chair.ctx)
    qtbot.addWidget(page)
    page.show()
    assert page.orders_table.isVisible()
    cells = [page.orders_model.index(0, c).data() for c in range(5)]
    assert cells[3] == "0.9 mg/kg over 40 min" and cells[4] == "Nora Reyes, RN"
    page.cosign_password.setFocus()
    qtbot.keyClicks(page.cosign_password, password_of("ada"))
    qtbot.keyClick(page.cosign_password, Qt.Key.Key_Return)
    assert "co-signed" in page.orders_message.text()
    assert not page.orders_table.isVisible()
    with chair.db() as db:
        row = db.get(PhysicianOrderRecord, verbal)
        assert row is not None and row.cosigned_at_utc == chair.clock.now


def test_a_nurse_sees_no_cosign_list(qtbot: QtBot, chair: Chair) -> None:
    chair.to("checked_in")
    with chair.db() as db:
        from tests.play import verbal_order

        verbal_order(db, chair.session_id, chair.clock, "0.6")
    page = WaitingPage(chair.ctx)
    qtbot.addWidget(page)
    page.show()
    assert not page.orders_table.isVisible()
