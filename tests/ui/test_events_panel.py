"""The events panel: flags, interventions and adverse events as a nurse records them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.store.models import AdverseEvent, EventFlag, Intervention
from ketalog.ui.core.context import SessionController
from ketalog.ui.session.panels.events_panel import (
    AdverseEventsTableModel,
    EventsPanel,
    FlagsTableModel,
    InterventionsTableModel,
    parse_clock_time,
)
from tests.ui.conftest import Chair


def _open(chair: Chair, qtbot: QtBot, state: str = "infusing"
          ) -> tuple[EventsPanel, SessionController]:
    chair.to(state)
    controller = chair.controller()
    panel = EventsPanel(controller, chair.drafts)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    controller.reload()
    return panel, controller


def _click(qtbot: QtBot, widget) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_flag_dissociation_then_resolve_stores_onset_and_resolution(
        chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    onset = chair.clock.now
    qtbot.keyClicks(panel.flag_note, "emergence, calm with reassurance")
    _click(qtbot, panel.flag_buttons["dissociation"])
    with chair.db() as db:
        flag = db.scalars(select(EventFlag)).one()
        assert (flag.kind, flag.note, flag.resolved_at_utc) == (
            "dissociation", "emergence, calm with reassurance", None)
        assert flag.onset_at_utc.replace(tzinfo=UTC) == onset
    assert not panel.flag_buttons["dissociation"].isEnabled()  # no second open flag
    assert panel.flag_buttons["sedation"].isEnabled()
    assert panel.flag_note.text() == ""
    assert list(panel.open_flags.buttons) == [flag.id]
    assert panel.flags_model.index(0, FlagsTableModel.RESOLVED).data() == "⚠ open"
    # the nurse resolves it twelve minutes later, from the keyboard: a stray Enter on
    # arrival resolves nothing, Down chooses the flag, Enter resolves it
    chair.clock.advance(12)
    assert panel.open_flags.buttons[flag.id].focusPolicy() == Qt.FocusPolicy.NoFocus
    panel.open_flags.setFocus()
    qtbot.keyClick(panel.open_flags, Qt.Key.Key_Return)
    with chair.db() as db:
        assert db.get(EventFlag, flag.id).resolved_at_utc is None  # type: ignore[union-attr]
    qtbot.keyClick(panel.open_flags, Qt.Key.Key_Down)
    assert panel.open_flags.cursor_item() == flag.id
    qtbot.keyClick(panel.open_flags, Qt.Key.Key_Return)
    with chair.db() as db:
        stored = db.get(EventFlag, flag.id)
        assert stored is not None and stored.resolved_at_utc is not None
        assert stored.resolved_at_utc.replace(tzinfo=UTC) == onset + timedelta(minutes=12)
    assert panel.open_flags.buttons == {}
    assert panel.flag_buttons["dissociation"].isEnabled()
    assert panel.flags_model.index(0, FlagsTableModel.RESOLVED).data() == "✓ 09:15"


def test_formulary_intervention_prefills_and_records_with_given_by(
        chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    assert panel.given_by.placeholderText() == "Nora Reyes, RN"
    panel.drug.setFocus()
    line_edit = panel.drug.lineEdit()
    assert line_edit is not None
    qtbot.keyClicks(line_edit, "ondansetron")
    assert (panel.dose.text(), panel.unit.currentText(), panel.route.currentText()) == (
        "4", "mg", "IV")
    qtbot.keyClick(line_edit, Qt.Key.Key_Return)  # moves on to the dose, does not record
    assert panel.focusWidget() is panel.dose
    qtbot.keyClicks(panel.indication, "nausea")
    qtbot.keyClicks(panel.outcome, "settled in 10 min")
    qtbot.keyClick(panel.outcome, Qt.Key.Key_Return)
    with chair.db() as db:
        given = db.scalars(select(Intervention)).one()
        assert (given.drug, given.dose, given.dose_unit, given.route, given.given_by_name,
                given.indication, given.outcome) == (
            "ondansetron", Decimal("4"), "mg", "IV", "Nora Reyes, RN", "nausea",
            "settled in 10 min")
        assert given.given_at_utc.replace(tzinfo=UTC) == chair.clock.now
    assert panel.drug.currentText() == "" and panel.dose.text() == ""
    assert panel.interventions_model.index(0, InterventionsTableModel.DOSE).data() == "4 mg"
    assert panel.interventions_model.index(0, InterventionsTableModel.GIVEN_BY).data() == (
        "Nora Reyes, RN")
    assert panel.focusWidget() is panel.drug


def test_free_text_intervention_with_time_and_other_giver(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    line_edit = panel.drug.lineEdit()
    assert line_edit is not None
    qtbot.keyClicks(line_edit, "oxygen via nasal cannula")
    qtbot.keyClicks(panel.dose, "2")
    qtbot.keyClicks(panel.given_at, "09:01")
    qtbot.keyClicks(panel.given_by, "Sam Okafor, RN")
    _click(qtbot, panel.record_intervention_button)
    # a dose needs a unit: the service's words, nothing stored
    assert "unit" in panel.intervention_message.text()
    with chair.db() as db:
        assert db.scalars(select(Intervention)).all() == []
    panel.unit.setEditText("L/min")
    _click(qtbot, panel.record_intervention_button)
    with chair.db() as db:
        given = db.scalars(select(Intervention)).one()
        assert (given.drug, given.given_by_name) == ("oxygen via nasal cannula",
                                                     "Sam Okafor, RN")
        assert given.given_at_utc.replace(tzinfo=UTC) == datetime(2026, 11, 21, 9, 1,
                                                                  tzinfo=UTC)


def test_bad_time_is_refused_on_screen(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    panel.drug.setEditText("midazolam")
    qtbot.keyClicks(panel.given_at, "9:7")
    _click(qtbot, panel.record_intervention_button)
    assert "HH:MM" in panel.intervention_message.text()
    assert panel.focusWidget() is panel.given_at
    with chair.db() as db:
        assert db.scalars(select(Intervention)).all() == []


def test_adverse_event_recorded_and_resolved(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    _click(qtbot, panel.record_adverse_button)
    assert "Choose the event" in panel.adverse_message.text()  # no kind picked yet
    panel.ae_kind.setCurrentIndex(panel.ae_kind.findData("hypertension"))
    panel.ae_severity.setCurrentIndex(panel.ae_severity.findData("moderate"))
    qtbot.keyClicks(panel.ae_description, "BP 186/104 at 30 min")
    qtbot.keyClicks(panel.ae_action, "infusion paused, physician notified")
    qtbot.keyClick(panel.ae_action, Qt.Key.Key_Return)
    with chair.db() as db:
        event = db.scalars(select(AdverseEvent)).one()
        assert (event.kind, event.severity, event.description, event.action_taken,
                event.resolved_at_utc) == (
            "hypertension", "moderate", "BP 186/104 at 30 min",
            "infusion paused, physician notified", None)
    assert panel.adverse_model.index(0, AdverseEventsTableModel.KIND).data() == "hypertension"
    assert panel.ae_kind.currentIndex() == 0
    chair.clock.advance(20)
    _click(qtbot, panel.open_adverse.buttons[event.id])
    with chair.db() as db:
        stored = db.get(AdverseEvent, event.id)
        assert stored is not None and stored.resolved_at_utc is not None
    assert panel.open_adverse.buttons == {}
    assert panel.adverse_model.index(0, AdverseEventsTableModel.RESOLVED).data() == "✓ 09:23"


def test_intervention_draft_survives_a_new_panel(chair: Chair, qtbot: QtBot) -> None:
    panel, controller = _open(chair, qtbot)
    qtbot.keyClicks(panel.indication, "agitation")
    panel.drug.setEditText("lorazepam")
    again = EventsPanel(controller, chair.drafts)
    qtbot.addWidget(again)
    assert again.drug.currentText() == "lorazepam"
    assert again.dose.text() == "0.5"
    assert again.indication.text() == "agitation"



def test_parse_clock_time() -> None:
    now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    berlin = ZoneInfo("Europe/Berlin")
    assert parse_clock_time("", now, berlin) is None
    assert parse_clock_time("09:45", now, berlin) == datetime(2026, 11, 21, 8, 45, tzinfo=UTC)
    assert parse_clock_time("0945", now, berlin) == datetime(2026, 11, 21, 8, 45, tzinfo=UTC)
    for bad in ("9", "24:00", "12:60", "noon"):
        try:
            parse_clock_time(bad, now, berlin)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_events_models_pass_the_model_tester(chair: Chair, qtbot: QtBot,  # type: ignore[no-untyped-def]
                                             qtmodeltester) -> None:
    panel, _ = _open(chair, qtbot)
    _click(qtbot, panel.flag_buttons["sedation"])
    panel.drug.setEditText("labetalol")
    _click(qtbot, panel.record_intervention_button)
    panel.ae_kind.setCurrentIndex(panel.ae_kind.findData("headache"))
    _click(qtbot, panel.record_adverse_button)
    for model in (panel.flags_model, panel.interventions_model, panel.adverse_model):
        assert model.rowCount() == 1
        qtmodeltester.check(model)
