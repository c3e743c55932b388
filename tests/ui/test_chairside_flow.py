"""A whole session played through the main window as a nurse would, in simulated minutes.

Schedule (registering the patient), check in with the checklist, weigh, baseline
vitals, dose with independent verification, start, vitals every 10 minutes with
an alert and its action note, pause and resume, stop, MOAA/S and CADSS-6,
recovery vitals, discharge refused then allowed, a recovery note; then the
database must hold exactly what was entered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, select

from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store.models import (
    DoseOrder,
    DoseVerification,
    InfusionEvent,
    Note,
    PatientWeight,
    ScaleScore,
    TreatmentSession,
    VitalSign,
)
from ketalog.ui.board.schedule_dialog import ScheduleDialog
from ketalog.ui.main_window import MainWindow
from tests.conftest import FakeClock
from tests.helpers.databases import copy_sqlite_template
from tests.staff import NURSE, NURSE2, password_of, seed_staff
from tests.ui.conftest import activate

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = open_database(copy_sqlite_template(tmp_path / 'flow.sqlite3'))
    seed_staff(eng)
    yield eng
    eng.dispose()


def click(qtbot: QtBot, widget: QWidget) -> None:
    assert widget.isEnabled(), f"{widget.objectName() or widget} is disabled: {widget.toolTip()}"
    qtbot.mouseClick(widget, LEFT)


def type_enter(qtbot: QtBot, widget: QWidget, text: str) -> None:
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def enter_vitals(qtbot: QtBot, window: MainWindow, values: list[str]) -> None:
    """F2, then type SBP, DBP, HR, SpO2, RR into the entry line and press Enter."""
    page = window.session_page
    assert page is not None
    qtbot.keyClick(window, Qt.Key.Key_F2)
    panel = page.vitals  # type: ignore[attr-defined]
    for field, value in zip((panel.sbp, panel.dbp, panel.hr, panel.spo2, panel.rr), values,
                            strict=True):
        qtbot.keyClicks(field, value)
    qtbot.keyClick(panel.rr, Qt.Key.Key_Return)
    assert not panel.message.isVisible() or "Saved" in panel.message.text(), \
        panel.message.text()


def test_a_whole_session_at_the_chair(qtbot: QtBot, engine: Engine) -> None:
    clock = FakeClock()
    window = MainWindow(engine, "sqlite:///flow", clock=clock)
    qtbot.addWidget(window)
    activate(qtbot, window)
    # --- sign in at the log-in page, as the nurse starting her day does
    login = window.login_page
    qtbot.keyClicks(login.username, NURSE.username)
    qtbot.keyClicks(login.password, password_of(NURSE.username))
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    assert window.signed_in_label.text() == "Signed in: Nora Reyes, RN (nurse)"

    # --- schedule: register the patient and book a new course's first session
    dialog = ScheduleDialog(window.ctx, clock.now.date(), window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.family, "Okafor")
    qtbot.keyClicks(dialog.given, "Chidi")
    qtbot.keyClicks(dialog.birth, "1975-05-05")
    click(qtbot, dialog.register_button)
    dialog.protocol.setCurrentIndex(dialog.protocol.findText(
        "IV ketamine for depression", Qt.MatchFlag.MatchStartsWith))
    dialog.indication.setCurrentText("treatment-resistant depression")
    click(qtbot, dialog.schedule_button)
    assert dialog.session_id is not None
    sid = dialog.session_id
    # the consultation's screening, approved by the physician (its own dialog is tested
    # in test_screening_dialog); without it the start stays disabled
    from tests.play import screen_course

    with make_sessionmaker(engine)() as db:
        course_id = db.get_one(TreatmentSession, sid).course_id
        screen_course(db, course_id, clock)
    window.board.refresh()
    assert window.board.model.rowCount() == 1
    window.open_session(sid)
    page = window.session_page
    assert page is not None

    # --- check in, checklist, escort, weight
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    checkin = page.checkin  # type: ignore[attr-defined]
    assert page.tabs.currentWidget() is checkin  # type: ignore[attr-defined]
    click(qtbot, checkin.check_in_button)
    for box in checkin.checks.values():  # focus moves on after each tick; Space ticks
        qtbot.keyClick(box, Qt.Key.Key_Space)
    type_enter(qtbot, checkin.escort_edit, "Maria Okafor")
    type_enter(qtbot, checkin.weight_edit, "80")
    # PHQ-9 at check-in, item by item (item 9 is 0: nothing more to screen)
    measures = checkin.measures
    for number, value in enumerate([2, 2, 1, 2, 1, 1, 1, 0, 0], start=1):
        measures.form.rows[number].set_value(value)
    click(qtbot, measures.form.record_button)
    assert "PHQ-9 10 moderate" in measures.recorded.text()

    # --- baseline vitals
    clock.advance(3)
    enter_vitals(qtbot, window, ["124", "78", "72", "98", "14"])

    # --- dose, then the second nurse's independent check
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    dose = page.dose  # type: ignore[attr-defined]
    assert page.tabs.currentWidget() is dose  # type: ignore[attr-defined]
    assert dose.total_label.text() == "40.0 mg"
    assert "0.5 mg/kg x 80 kg = 40.0 mg" in dose.working_label.text()
    qtbot.keyClicks(dose.lot_edit, "KT555")
    click(qtbot, dose.order_button)
    # Sam works the dose out on his own (the prepared figures are hidden), types his
    # figures, then his own user name and password; Nora stays signed in
    assert dose.total_label.text() == "hidden until checked"
    assert "40.0 mg" not in dose.order_summary.text() and not dose.working_label.isVisible()
    type_enter(qtbot, dose.check_total_edit, "40")
    type_enter(qtbot, dose.check_rate_edit, "150")
    type_enter(qtbot, dose.verifier.username_edit, NURSE2.username)
    type_enter(qtbot, dose.verifier.password_edit, password_of(NURSE2.username))
    assert "Sam Okafor" in dose.verified_label.text()

    # --- start, vitals every 10 minutes, one alert with its action note, pause/resume
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    infusion = page.infusion  # type: ignore[attr-defined]
    clock.advance(2)
    started = clock.now
    click(qtbot, infusion.start_button)
    vitals = page.vitals  # type: ignore[attr-defined]
    for minute, sbp in ((10, "130"), (20, "134"), (30, "186")):
        clock.advance(10)
        enter_vitals(qtbot, window, [sbp, "84", "80", "97", "15"])
        del minute
    assert vitals.alert_box.isVisible() and vitals.note_edit.isVisible()
    assert vitals.alert_message.text().startswith("⚠")
    assert "186" in vitals.alert_message.text()
    type_enter(qtbot, vitals.note_edit, "Infusion paused, physician notified")
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClicks(infusion.reason_edit, "BP 186 systolic")
    click(qtbot, infusion.pause_button)
    clock.advance(5)
    click(qtbot, infusion.resume_button)
    clock.advance(10)
    enter_vitals(qtbot, window, ["138", "82", "78", "97", "14"])
    clock.advance(2)
    click(qtbot, infusion.stop_button)

    # --- MOAA/S and CADSS-6 at the end of the infusion
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    scales = page.scales  # type: ignore[attr-defined]
    assert page.tabs.currentWidget() is scales  # type: ignore[attr-defined]
    click(qtbot, scales.moaas.buttons[4])
    form = scales.cadss_form
    for number, value in zip(form.rows, (1, 2, 0, 1, 3, 0), strict=True):
        click(qtbot, form.rows[number].buttons[value])
    click(qtbot, form.record_button)

    # --- recovery, discharge refused then allowed, note (30 minutes of recovery)
    clock.advance(30)
    enter_vitals(qtbot, window, ["126", "80", "74", "98", "14"])
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.AltModifier)
    discharge = page.discharge  # type: ignore[attr-defined]
    assert not discharge.discharge_button.isEnabled()
    reasons = discharge.problems_label.text()
    assert "Aldrete" in reasons and "instructions" in reasons.lower()
    aldrete = discharge.aldrete_form
    for number, value in zip(aldrete.rows, (2, 2, 2, 2, 1), strict=True):
        click(qtbot, aldrete.rows[number].buttons[value])
    click(qtbot, aldrete.record_button)
    qtbot.keyClick(discharge.instructions, Qt.Key.Key_Space)
    qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.AltModifier)
    notes = page.notes  # type: ignore[attr-defined]
    qtbot.keyClicks(notes.text, "Tolerated well; oriented; walked out with escort.")
    click(qtbot, notes.add_button)
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.AltModifier)
    clock.advance(5)
    click(qtbot, discharge.discharge_button)
    assert "Discharged" in page.state.text()  # type: ignore[attr-defined]

    # --- the database holds exactly what was entered
    with make_sessionmaker(engine)() as db:
        session = db.get(TreatmentSession, sid)
        assert session is not None
        assert session.state == "discharged"
        assert (session.identity_confirmed, session.consent_on_file, session.npo_confirmed) == (
            True, True, True)
        assert session.escort_name == "Maria Okafor" and session.instructions_given
        assert session.dose_started_at_utc == started
        weights = db.scalars(select(PatientWeight.weight_kg)).all()
        assert weights == [Decimal(80)]
        rows = db.scalars(select(VitalSign).where(VitalSign.session_id == sid)
                          .order_by(VitalSign.taken_at_utc)).all()
        assert [(v.systolic_mmhg, v.diastolic_mmhg, v.heart_rate_bpm, v.spo2_percent,
                 v.resp_rate_per_min) for v in rows] == [
            (124, 78, 72, 98, 14), (130, 84, 80, 97, 15), (134, 84, 80, 97, 15),
            (186, 84, 80, 97, 15), (138, 82, 78, 97, 14), (126, 80, 74, 98, 14)]
        assert rows[3].alert_codes == "sbp_high"
        assert rows[3].action_note == "Infusion paused, physician notified"
        assert [r.taken_at_utc - started for r in rows[1:4]] == [
            timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=30)]
        order = db.scalars(select(DoseOrder).where(DoseOrder.session_id == sid)).one()
        assert (order.total_mg, order.drug_volume_ml, order.rate_ml_per_h, order.lot_number,
                order.prepared_by_name) == (Decimal(40), Decimal(4), Decimal(150), "KT555",
                                            "Nora Reyes, RN")
        verification = db.scalars(select(DoseVerification)).one()
        assert verification.verifier_name == "Sam Okafor, RN"
        events = db.scalars(select(InfusionEvent).where(InfusionEvent.session_id == sid)
                            .order_by(InfusionEvent.occurred_at_utc)).all()
        assert [(e.kind, e.reason) for e in events] == [
            ("start", None), ("pause", "BP 186 systolic"), ("resume", None), ("stop", None)]
        scores = db.scalars(select(ScaleScore).where(ScaleScore.session_id == sid)
                            .order_by(ScaleScore.id)).all()
        assert [(s.scale, s.total, json.loads(s.item_scores_json)) for s in scores] == [
            ("phq9", 10, [2, 2, 1, 2, 1, 1, 1, 0, 0]), ("moaas", 4, [4]),
            ("cadss6", 7, [1, 2, 0, 1, 3, 0]),
            ("aldrete", 9, [2, 2, 2, 2, 1])]
        note = db.scalars(select(Note).where(Note.session_id == sid)).one()
        assert (note.kind, note.author_name) == ("recovery", "Nora Reyes, RN")
        assert note.text == "Tolerated well; oriented; walked out with escort."
