"""The vitals panel, driven from the keyboard as a nurse would, checked against the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.domain.session_state import SessionAction
from ketalog.services.booking import schedule_session
from ketalog.services.session.entries import record_vitals
from ketalog.services.session.state import change_state
from ketalog.services.session_detail import VitalRow
from ketalog.store.models import TreatmentSession, VitalSign
from ketalog.ui.core.context import SessionController
from ketalog.ui.core.style import ALERT_MARK
from ketalog.ui.session.panels.vitals_model import VitalsTableModel
from ketalog.ui.session.panels.vitals_panel import VitalsPanel
from tests.ui.conftest import BASELINE, NURSE, Chair

Make = Callable[..., VitalsPanel]
FULL = ("128", "82", "71", "97", "15", "36.8", "38", "2")


@pytest.fixture
def make_panel(qtbot: QtBot, chair: Chair) -> Make:
    """A shown panel on the chair's session, moved to ``state`` first."""

    def make(state: str | None = None, controller: SessionController | None = None
             ) -> VitalsPanel:
        if state is not None:
            chair.to(state)
        controller = controller or chair.controller()
        panel = VitalsPanel(controller, chair.drafts)
        qtbot.addWidget(panel)
        panel.resize(1100, 600)
        panel.show()
        qtbot.waitExposed(panel)
        panel.activateWindow()
        controller.reload()
        return panel

    return make


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def type_line(qtbot: QtBot, panel: VitalsPanel, values: tuple[str, ...],
              time: str | None = None) -> None:
    """Type values from SBP on, Tab between fields, Enter at the end."""
    if time is not None:
        panel.time_edit.setFocus()
        qtbot.waitUntil(lambda: panel.time_edit.hasFocus())
        qtbot.keyClicks(panel.time_edit, time)
        qtbot.keyClick(panel.time_edit, Qt.Key.Key_Tab)
    else:
        panel.focus_entry()
    qtbot.waitUntil(lambda: panel.sbp.hasFocus())
    for number, value in enumerate(values):
        if value:
            qtbot.keyClicks(focused(), value)
        if number < len(values) - 1:
            qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    qtbot.keyClick(focused(), Qt.Key.Key_Return)


def stored(chair: Chair) -> list[VitalSign]:
    with chair.db() as db:
        return list(db.scalars(select(VitalSign).where(VitalSign.session_id == chair.session_id)
                               .order_by(VitalSign.id)))


def test_a_typed_reading_is_stored_exactly_and_the_line_is_ready_for_the_next(
        qtbot: QtBot, chair: Chair, make_panel: Make) -> None:
    panel = make_panel("checked_in")
    chair.clock.advance(5)  # 09:05
    type_line(qtbot, panel, FULL)

    [row] = stored(chair)
    assert (row.systolic_mmhg, row.diastolic_mmhg, row.heart_rate_bpm, row.spo2_percent,
            row.resp_rate_per_min, row.temperature_c, row.etco2_mmhg, row.pain_score) == (
        128, 82, 71, 97, 15, Decimal("36.8"), 38, 2)
    assert row.taken_at_utc.replace(tzinfo=UTC) == datetime(2026, 11, 21, 9, 5, tzinfo=UTC)
    assert row.alert_codes == ""
    assert all(edit.text() == "" for edit in panel.fields.values())
    assert panel.sbp.hasFocus()
    assert panel.message.isVisible() and panel.message.text() == "Saved 09:05"
    assert chair.drafts.get(chair.session_id, "vitals") == {}
    assert panel.model.rowCount() == 1
    assert panel.model.index(0, VitalsTableModel.BP).data() == "128/82"
    assert panel.model.index(0, VitalsTableModel.TIME).data() == "09:05"
    assert not panel.alert_box.isVisible()


def test_slash_in_systolic_moves_to_diastolic_as_bp_is_written(
        qtbot: QtBot, chair: Chair, make_panel: Make) -> None:
    panel = make_panel("checked_in")
    panel.focus_entry()
    qtbot.waitUntil(lambda: panel.sbp.hasFocus())
    qtbot.keyClicks(panel.sbp, "118")
    qtbot.keyClick(panel.sbp, Qt.Key.Key_Slash)
    assert panel.dbp.hasFocus()
    qtbot.keyClicks(panel.dbp, "76")
    qtbot.keyClick(panel.dbp, Qt.Key.Key_Return)
    [row] = stored(chair)
    assert (row.systolic_mmhg, row.diastolic_mmhg, row.heart_rate_bpm) == (118, 76, None)


@pytest.mark.parametrize(
    ("values", "message", "field"),
    [
        (("120", "80", "72", "101"), "SpO2 101 % is impossible; enter 50-100 %.", "spo2"),
        (("120", "125", "72", "98"), "Diastolic 125 must be lower than systolic 120.", "dbp"),
        (("120", "80", "0", "98"), "Heart rate 0 bpm is impossible; enter 20-250 bpm.", "hr"),
    ],
)
def test_an_impossible_value_is_refused_with_the_domains_words_and_nothing_is_lost(
        qtbot: QtBot, chair: Chair, make_panel: Make, values: tuple[str, ...], message: str,
        field: str) -> None:
    panel = make_panel("checked_in")
    type_line(qtbot, panel, values)

    assert stored(chair) == []
    assert panel.message.isVisible()
    assert message in panel.message.text()
    assert panel.message.text().startswith(ALERT_MARK)
    typed = [edit.text() for edit in panel.fields.values()][: len(values)]
    assert tuple(typed) == values
    offending = getattr(panel, field)
    assert offending.hasFocus()
    assert message in offending.toolTip()
    draft = chair.drafts.get(chair.session_id, "vitals")
    assert draft["spo2_percent"] == values[3]

    # correct the one field and press Enter again: stored, nothing retyped
    offending.selectAll()
    qtbot.keyClicks(offending, {"spo2": "99", "dbp": "78", "hr": "64"}[field])
    qtbot.keyClick(offending, Qt.Key.Key_Return)
    assert len(stored(chair)) == 1
    assert panel.message.text().startswith("Saved")


def test_an_empty_line_is_refused_and_focus_stays_on_systolic(
        qtbot: QtBot, chair: Chair, make_panel: Make) -> None:
    panel = make_panel("checked_in")
    type_line(qtbot, panel, ("",))
    assert stored(chair) == []
    assert "No measurement entered" in panel.message.text()
    assert panel.sbp.hasFocus()


def test_an_alert_reading_is_stored_flagged_and_asks_for_the_action_taken(
        qtbot: QtBot, chair: Chair, make_panel: Make) -> None:
    panel = make_panel("infusing")
    type_line(qtbot, panel, ("186", "100", "80", "97", "14"))

    rows = stored(chair)
    assert len(rows) == 2  # the baseline and this one
    alert = rows[-1]
    assert (alert.systolic_mmhg, alert.alert_codes, alert.action_note) == (186, "sbp_high", None)
    model = panel.model
    last = model.rowCount() - 1
    assert model.index(last, VitalsTableModel.BP).data() == f"{ALERT_MARK} 186/100"
    assert model.index(last, VitalsTableModel.BP).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(last, VitalsTableModel.HR).data(Qt.ItemDataRole.BackgroundRole) is None
    assert "SBP high" in model.index(last, VitalsTableModel.ALERTS).data()
    assert "above the alert threshold" in model.index(last, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert panel.alert_box.isVisible()
    assert "Systolic 186 mmHg is above the alert threshold" in panel.alert_message.text()
    assert panel.alert_message.text().startswith(ALERT_MARK)
    assert panel.note_edit.hasFocus()
    assert panel.message.text() == "Saved 09:03"

    qtbot.keyClick(panel.note_edit, Qt.Key.Key_Escape)  # later: Esc leaves it for SBP
    assert panel.sbp.hasFocus() and panel.alert_box.isVisible()
    panel.focus_entry()  # F2 on the page: the pending note is where the next value goes
    assert panel.note_edit.hasFocus()
    qtbot.keyClicks(panel.note_edit, "infusion paused, physician notified")
    qtbot.keyClick(panel.note_edit, Qt.Key.Key_Return)

    assert stored(chair)[-1].action_note == "infusion paused, physician notified"
    assert not panel.alert_box.isVisible()
    assert panel.sbp.hasFocus()
    assert "Action: infusion paused" in model.index(last, VitalsTableModel.ALERTS).data()


def test_an_unnoted_alert_is_asked_for_again_on_a_fresh_panel(
        qtbot: QtBot, chair: Chair, make_panel: Make) -> None:
    panel = make_panel("infusing")
    type_line(qtbot, panel, ("120", "80", "135", "97"))
    assert stored(chair)[-1].alert_codes == "hr_high"
    qtbot.keyClicks(panel.note_edit, "physician")  # half-typed, then the nurse walks away
    panel.close()

    again = make_panel()
    assert again.alert_box.isVisible()
    assert "Heart rate is above the alert threshold" in again.alert_message.text()
    assert again.note_edit.text() == "physician"


def test_a_refused_action_note_keeps_the_text(
        qtbot: QtBot, chair: Chair, make_panel: Make) -> None:
    panel = make_panel("infusing")
    type_line(qtbot, panel, ("120", "80", "72", "88"))
    qtbot.keyClicks(panel.note_edit, "   ")
    qtbot.keyClick(panel.note_edit, Qt.Key.Key_Return)
    assert "Write the action taken" in panel.message.text()
    assert stored(chair)[-1].action_note is None
    assert panel.alert_box.isVisible() and panel.note_edit.hasFocus()


def test_a_corrected_time_is_stored_as_typed(
        qtbot: QtBot, chair: Chair, make_panel: Make) -> None:
    panel = make_panel("checked_in")
    chair.clock.advance(50)  # 09:50 now; the reading was taken at 09:42
    type_line(qtbot, panel, ("124", "78", "70"), time="09:42")
    [row] = stored(chair)
    assert row.taken_at_utc.replace(tzinfo=UTC) == datetime(2026, 11, 21, 9, 42, tzinfo=UTC)
    assert panel.message.text() == "Saved 09:42"
    assert panel.time_edit.text() == ""


def test_a_time_in_a_non_utc_clinic_is_the_clinics_clock_time(
        qtbot: QtBot, chair: Chair, make_panel: Make) -> None:
    chair.ctx.tz = ZoneInfo("America/New_York")  # 09:00 UTC is 04:00 there (EST)
    panel = make_panel("checked_in")
    chair.clock.advance(30)
    type_line(qtbot, panel, ("124", "78"), time="0412")
    [row] = stored(chair)
    assert row.taken_at_utc.replace(tzinfo=UTC) == datetime(2026, 11, 21, 9, 12, tzinfo=UTC)
    assert panel.model.index(0, VitalsTableModel.TIME).data() == "04:12"


@pytest.mark.parametrize(("typed", "message"), [
    ("9:7x", "is not a clock time"),
    ("25:00", "is not a clock time"),
    ("10:30", "The reading time is in the future"),
])
def test_a_bad_time_is_refused_and_focus_goes_to_the_time(
        qtbot: QtBot, chair: Chair, make_panel: Make, typed: str, message: str) -> None:
    panel = make_panel("checked_in")
    chair.clock.advance(10)  # 09:10
    type_line(qtbot, panel, ("124", "78"), time=typed)
    assert stored(chair) == []
    assert message in panel.message.text()
    assert panel.time_edit.hasFocus()
    assert panel.time_edit.text() == typed and panel.sbp.text() == "124"


def _second_session(chair: Chair) -> int:
    with chair.db() as db:
        course = db.get(TreatmentSession, chair.session_id)
        assert course is not None
        sid = schedule_session(db, NURSE, course_id=course.course_id, chair="Chair 2",
                               scheduled_at=chair.clock.now, clock=chair.clock)
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=chair.clock)
    return sid


def test_a_draft_survives_switching_to_another_session_and_back(
        qtbot: QtBot, chair: Chair, make_panel: Make) -> None:
    other = _second_session(chair)
    controller = chair.controller()
    panel = make_panel("checked_in", controller)
    panel.focus_entry()
    qtbot.waitUntil(lambda: panel.sbp.hasFocus())
    qtbot.keyClicks(panel.sbp, "131")
    qtbot.keyClick(panel.sbp, Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "84")
    assert chair.drafts.get(chair.session_id, "vitals")["diastolic_mmhg"] == "84"

    controller.session_id = other
    controller.reload()
    assert panel.session_id == other
    assert panel.sbp.text() == "" and panel.dbp.text() == ""
    qtbot.keyClicks(panel.hr, "66")

    controller.session_id = chair.session_id
    controller.reload()
    assert (panel.sbp.text(), panel.dbp.text(), panel.hr.text()) == ("131", "84", "")

    # a new panel on the same drafts (the page was closed and opened again) too
    panel.close()
    again = make_panel()
    assert (again.sbp.text(), again.dbp.text()) == ("131", "84")
    qtbot.keyClick(again.dbp, Qt.Key.Key_Return)
    [row] = stored(chair)
    assert (row.systolic_mmhg, row.diastolic_mmhg) == (131, 84)
    assert chair.drafts.get(other, "vitals") == {"time": "", **{k: "" for k in again.fields},
                                                 "heart_rate_bpm": "66"}


def _cancel(chair: Chair) -> None:
    with chair.db() as db:
        change_state(db, NURSE, chair.session_id, SessionAction.CANCEL,
                     reason="patient unwell", clock=chair.clock)


@pytest.mark.parametrize("state", ["scheduled", "cancelled"])
def test_entry_is_disabled_with_the_reason_when_the_session_takes_no_entries(
        qtbot: QtBot, chair: Chair, make_panel: Make, state: str) -> None:
    if state == "cancelled":
        _cancel(chair)
    panel = make_panel()
    view = panel.view
    assert view is not None and view.entry_refusal
    assert not panel.entry_line.isEnabled()
    assert not panel.sbp.isEnabled() and not panel.time_edit.isEnabled()
    assert panel.refusal_label.isVisible()
    assert view.entry_refusal in panel.refusal_label.text()
    assert panel.sbp.toolTip() == view.entry_refusal
    if state == "scheduled":
        assert "check the patient in first" in panel.refusal_label.text().lower()
    qtbot.keyClicks(panel.sbp, "120")
    qtbot.keyClick(panel.sbp, Qt.Key.Key_Return)
    assert not panel.commit()
    assert stored(chair) == []


def test_entry_opens_when_the_patient_is_checked_in(
        qtbot: QtBot, chair: Chair, make_panel: Make) -> None:
    panel = make_panel()
    assert not panel.entry_line.isEnabled()
    with chair.db() as db:
        change_state(db, NURSE, chair.session_id, SessionAction.CHECK_IN, clock=chair.clock)
    panel.controller.reload()
    assert panel.entry_line.isEnabled() and not panel.refusal_label.isVisible()
    assert panel.sbp.toolTip() != ""
    assert "Baseline vitals due now" in panel.due_label.text()


def test_next_due_turns_overdue_when_the_clock_passes_it(
        qtbot: QtBot, chair: Chair, make_panel: Make) -> None:
    panel = make_panel("infusing")  # started 09:03, every 10 min
    assert panel.due_label.text() == "Next vitals due 09:13"
    assert not panel.due_label.font().bold()
    with qtbot.assertNotEmitted(panel.vitals_due):
        chair.clock.advance(5)
        panel.refresh_due()
    assert panel.due_label.text() == "Next vitals due 09:13"

    chair.clock.advance(6)  # 09:14
    with qtbot.waitSignal(panel.vitals_due) as due:
        panel.refresh_due()  # what the panel's timer does
    assert due.args == [chair.session_id, datetime(2026, 11, 21, 9, 13, tzinfo=UTC)]
    assert panel.due_label.text() == f"{ALERT_MARK} Vitals OVERDUE since 09:13"
    assert panel.due_label.font().bold()
    with qtbot.assertNotEmitted(panel.vitals_due):  # one reminder per due time
        panel.controller.reload()
    assert "OVERDUE since 09:13" in panel.due_label.text()

    type_line(qtbot, panel, ("130", "80"))
    assert panel.due_label.text() == "Next vitals due 09:24"


def _row(vid: int, minute: int, **kw: object) -> VitalRow:
    values: dict[str, object] = dict(
        id=vid, version=1, taken_at_utc=datetime(2026, 11, 21, 9, minute, tzinfo=UTC),
        systolic_mmhg=120, diastolic_mmhg=80, heart_rate_bpm=70, spo2_percent=98,
        resp_rate_per_min=14, temperature_c=None, etco2_mmhg=None, pain_score=None,
        alert_codes=(), action_note=None, voided=False)
    values.update(kw)
    return VitalRow(**values)  # type: ignore[arg-type]


def test_vitals_model_passes_the_model_tester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = VitalsTableModel(ZoneInfo("Europe/Madrid"))
    qtmodeltester.check(model)
    rows = [
        _row(1, 0, temperature_c=Decimal("36.6"), pain_score=0),
        _row(2, 10, systolic_mmhg=186, diastolic_mmhg=112, alert_codes=("sbp_high", "dbp_high"),
             action_note="labetalol given"),
        _row(3, 20, spo2_percent=88, alert_codes=("spo2_low",)),
        _row(4, 30, systolic_mmhg=None, diastolic_mmhg=None, heart_rate_bpm=250, voided=True,
             alert_codes=("hr_high",)),
    ]
    model.set_rows(rows)
    qtmodeltester.check(model)
    model.remember_alert_messages(3, ["SpO2 88 % is below the alert threshold of 92 %; ..."])
    qtmodeltester.check(model)

    def cell(r: int, c: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> object:
        return model.index(r, c).data(role)

    assert model.rowCount() == 4 and model.columnCount() == 9
    assert cell(0, model.TIME) == "10:00"  # Madrid is UTC+1 in November
    assert cell(0, model.TEMP) == "36.6" and cell(0, model.PAIN) == "0"
    assert cell(0, model.ETCO2) == "" and cell(0, model.ALERTS) == ""
    assert cell(0, model.BP, Qt.ItemDataRole.BackgroundRole) is None
    assert cell(1, model.BP) == f"{ALERT_MARK} 186/112"
    assert cell(1, model.ALERTS) == f"{ALERT_MARK} SBP high, DBP high · Action: labetalol given"
    assert "labetalol given" in str(cell(1, model.BP, Qt.ItemDataRole.ToolTipRole))
    assert cell(2, model.SPO2) == f"{ALERT_MARK} 88"
    assert "no action noted yet" in str(cell(2, model.ALERTS))
    assert "below the alert threshold of 92 %" in str(cell(2, 0, Qt.ItemDataRole.ToolTipRole))
    # a voided reading is labelled and struck out, and raises nothing
    assert cell(3, model.ALERTS) == "entered in error"
    assert cell(3, model.HR) == "250" and cell(3, model.BP) == ""
    assert cell(3, model.HR, Qt.ItemDataRole.FontRole).strikeOut()  # type: ignore[attr-defined]
    assert cell(3, model.HR, Qt.ItemDataRole.BackgroundRole) is None
    assert cell(1, model.BP, Qt.ItemDataRole.FontRole).bold()  # type: ignore[attr-defined]
    assert cell(0, 0, model.VitalIdRole) == 1
    assert model.headerData(model.SPO2, Qt.Orientation.Horizontal) == "SpO2"
    model.set_rows([])
    qtmodeltester.check(model)


def test_the_newest_reading_stays_in_view(chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    with chair.db() as db:
        for _ in range(12):
            chair.clock.advance(10)
            record_vitals(db, NURSE, chair.session_id, BASELINE, clock=chair.clock)
        # the last one raises an alert: its action box takes room from the table
        record_vitals(db, NURSE, chair.session_id, dict(BASELINE, systolic_mmhg=188),
                      clock=chair.clock)
    controller = chair.controller()
    panel = VitalsPanel(controller, chair.drafts)
    qtbot.addWidget(panel)
    panel.resize(700, 400)
    panel.show()
    qtbot.waitExposed(panel)
    controller.reload()
    assert panel.alert_box.isVisible()
    last = panel.model.index(panel.model.rowCount() - 1, 0)
    qtbot.waitUntil(
        lambda: 0 <= panel.table.visualRect(last).bottom() <= panel.table.viewport().height())


def test_every_reading_fits_its_column_as_readings_arrive(chair: Chair, qtbot: QtBot) -> None:
    """Found under Xvfb: readings added after the grid was built showed BP as "" and time "…"."""
    chair.to("infusing")
    controller = chair.controller()
    panel = VitalsPanel(controller, chair.drafts)
    qtbot.addWidget(panel)
    panel.resize(800, 400)
    panel.show()
    qtbot.waitExposed(panel)
    controller.reload()
    for sbp in (121, 188):
        chair.clock.advance(10)
        with chair.db() as db:
            record_vitals(db, NURSE, chair.session_id, dict(BASELINE, systolic_mmhg=sbp),
                          clock=chair.clock)
        controller.reload()
    table, model = panel.table, panel.model
    qtbot.waitUntil(lambda: all(
        table.columnWidth(column) >= table.sizeHintForColumn(column)
        for column in range(model.columnCount() - 1)))
