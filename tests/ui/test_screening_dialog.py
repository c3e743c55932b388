"""The screening form driven as a nurse and a physician would; the database is checked after
every accepted field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ketalog.domain.screening import YES_NO_QUESTIONS
from ketalog.services.booking import open_course
from ketalog.services.context import Actor
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.patients import register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.screening import start_screening, update_screening
from ketalog.store.models import Screening
from ketalog.ui.core.context import UiContext
from ketalog.ui.course.screening_dialog import ScreeningDialog
from tests.conftest import FakeClock
from tests.helpers.databases import copy_sqlite_template
from tests.staff import NURSE, NURSE2, PHYSICIAN, seed_staff
from tests.ui.conftest import activate, answer_conflict

LEFT = Qt.MouseButton.LeftButton


@dataclass
class Clinic:
    """A database with one course (José Ñúñez, IV depression) and no screening yet."""

    factory: sessionmaker[Session]
    clock: FakeClock
    ctx: UiContext
    course_id: int
    actor: list[Actor]

    def db(self) -> Session:
        return self.factory()


@pytest.fixture
def chair(tmp_path: Path) -> Iterator[Clinic]:
    engine = open_database(copy_sqlite_template(tmp_path / 'screening.sqlite3'))
    seed_staff(engine)
    factory = make_sessionmaker(engine)
    clock = FakeClock()
    with factory() as db:
        patient = register_patient(db, NURSE, family_name="Ñúñez", given_name="José",
                                   birth_date=date(1980, 3, 14), clock=clock)
        course_id = open_course(db, NURSE, patient_id=patient.id,
                                protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                                indication="treatment-resistant depression", clock=clock)
    actor: list[Actor] = [NURSE]
    ctx = UiContext(factory, ZoneInfo("UTC"), lambda: actor[0], clock)
    yield Clinic(factory, clock, ctx, course_id, actor)
    engine.dispose()


def stored(chair: Clinic) -> Screening:
    with chair.db() as db:
        row = db.scalars(select(Screening)).one()
        db.expunge(row)
        return row


def open_dialog(chair: Clinic, qtbot: QtBot) -> ScreeningDialog:
    dialog = ScreeningDialog(chair.ctx, chair.course_id)
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    return dialog


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def replace_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Select everything in a one-line field, type over it and press Enter."""
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_a_nurse_fills_the_screening_with_the_keyboard(qtbot: QtBot, chair: Clinic) -> None:
    dialog = open_dialog(chair, qtbot)
    assert stored(chair).version == 1  # opening the form started the screening
    assert focused() is dialog.history

    qtbot.keyClicks(dialog.history, "TRD, three failed SSRIs.")
    qtbot.keyClick(dialog.history, Qt.Key.Key_Tab)
    assert stored(chair).history_summary == "TRD, three failed SSRIs."
    assert focused() is dialog.medications

    qtbot.keyClicks(dialog.medications, "Lorazepam 1 mg at night")
    qtbot.keyClick(dialog.medications, Qt.Key.Key_Return)  # a new line, not a commit
    qtbot.keyClicks(dialog.medications, "Sertraline 100 mg")
    qtbot.keyClick(dialog.medications, Qt.Key.Key_Tab)
    assert stored(chair).medications == "Lorazepam 1 mg at night\nSertraline 100 mg"
    assert "lorazepam (a benzodiazepine)" in dialog.medications_found.text()

    qtbot.keyClicks(dialog.allergies, "none known")
    qtbot.keyClick(dialog.allergies, Qt.Key.Key_Tab)
    assert stored(chair).allergies == "none known"
    assert focused() is dialog.systolic

    # an impossible value is refused beside the field and stores nothing
    qtbot.keyClicks(dialog.systolic, "3000")
    qtbot.keyClick(dialog.systolic, Qt.Key.Key_Return)
    assert dialog.errors["baseline_systolic_mmhg"].isVisible()
    assert "outside 50-300 mmHg" in dialog.errors["baseline_systolic_mmhg"].text()
    assert dialog.systolic.text() == "3000"
    assert stored(chair).baseline_systolic_mmhg is None
    replace_text(qtbot, dialog.systolic, "150")
    assert not dialog.errors["baseline_systolic_mmhg"].isVisible()
    assert stored(chair).baseline_systolic_mmhg == 150
    qtbot.keyClick(dialog.systolic, Qt.Key.Key_Tab)
    assert focused() is dialog.diastolic
    qtbot.keyClicks(dialog.diastolic, "95")
    qtbot.keyClick(dialog.diastolic, Qt.Key.Key_Tab)
    assert stored(chair).baseline_diastolic_mmhg == 95
    assert "baseline BP 150/95 mmHg is raised" in dialog.cautions.text()

    assert focused() is dialog.consent
    qtbot.keyClicks(dialog.consent, "2026-11-22")
    qtbot.keyClick(dialog.consent, Qt.Key.Key_Return)
    assert "in the future" in dialog.errors["consent_signed_on"].text()
    assert stored(chair).consent_signed_on is None
    replace_text(qtbot, dialog.consent, "2026-11-20")
    assert stored(chair).consent_signed_on == date(2026, 11, 20)

    # yes/no questions: Down from "Not asked" answers No, again Yes; each change is stored
    for name, combo in dialog.questions.items():
        if name == "on_mood_stabiliser":
            continue
        combo.setFocus()
        qtbot.keyClick(combo, Qt.Key.Key_Down)
        assert getattr(stored(chair), name) is False, name
    assert ("Medications list lorazepam (a benzodiazepine) but Benzodiazepines is answered No"
            in dialog.blocking.text())
    benzo = dialog.questions["takes_benzodiazepine"]
    benzo.setFocus()
    qtbot.keyClick(benzo, Qt.Key.Key_Down)
    assert stored(chair).takes_benzodiazepine is True
    assert benzo.currentText() == "Yes"
    assert "benzodiazepine: may blunt the response" in dialog.cautions.text()
    assert "ready for a physician's approval" in dialog.blocking.text()

    # labs: typed in the entry row, Enter adds, the table lists them, removable
    dialog.lab_test.setFocus()
    qtbot.keyClicks(dialog.lab_test, "ALT")
    qtbot.keyClick(dialog.lab_test, Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "22 U/L")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is dialog.lab_taken_on
    qtbot.keyClicks(dialog.lab_taken_on, "2026-11-01")
    qtbot.keyClick(dialog.lab_taken_on, Qt.Key.Key_Return)
    assert json.loads(stored(chair).labs_json) == [
        {"test": "ALT", "result": "22 U/L", "taken_on": "2026-11-01"}]
    assert dialog.labs_model.rowCount() == 1
    assert dialog.lab_test.text() == ""
    qtbot.keyClicks(dialog.lab_test, "hCG")
    qtbot.keyClick(dialog.lab_test, Qt.Key.Key_Return)
    dialog.add_lab_button.click()
    assert "Enter the result with its unit" in dialog.errors["labs"].text()
    assert len(json.loads(stored(chair).labs_json)) == 1
    dialog.labs_table.selectRow(0)
    dialog.remove_lab_button.click()
    assert json.loads(stored(chair).labs_json) == []

    # only a physician decides
    assert not dialog.override_button.isEnabled()
    assert dialog.override_button.toolTip() == "Only a physician can override a contraindication."
    assert not dialog.approve_button.isEnabled()
    assert dialog.approve_button.toolTip() == "Only a physician can approve a screening."

    # typed but not yet committed text is kept when the dialog closes
    dialog.history.setFocus()
    qtbot.keyClick(dialog.history, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dialog.history, " Father: bipolar.")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert stored(chair).history_summary == "TRD, three failed SSRIs. Father: bipolar."


def fill_through_services(chair: Clinic, **answers: object) -> int:
    values: dict[str, object] = {
        "medications": "sertraline 100 mg", "allergies": "none known",
        "baseline_systolic_mmhg": 124, "baseline_diastolic_mmhg": 78,
        "consent_signed_on": date(2026, 11, 20),
        **dict.fromkeys((q for q in YES_NO_QUESTIONS if q != "on_mood_stabiliser"), False),
        **answers,
    }
    with chair.db() as db:
        sid = start_screening(db, NURSE, chair.course_id, chair.clock)
        version = 1
        for field, value in values.items():
            version = update_screening(db, NURSE, sid, field, value, expected_version=version,
                                       clock=chair.clock).version
    return sid


def test_a_physician_overrides_and_approves(qtbot: QtBot, chair: Clinic) -> None:
    fill_through_services(chair, psychosis_history=True)
    chair.actor[0] = PHYSICIAN
    dialog = open_dialog(chair, qtbot)
    assert "psychosis history" in dialog.contraindications.text()
    assert not dialog.approve_button.isEnabled()
    assert "Contraindication: psychosis history" in dialog.approve_button.toolTip()
    assert dialog.override_button.isEnabled()

    assert dialog.override_button.focusPolicy() == Qt.FocusPolicy.NoFocus
    qtbot.mouseClick(dialog.override_button, Qt.MouseButton.LeftButton)
    override = dialog.override_dialog
    assert override is not None and override.isVisible()
    override.ok_button.click()  # no reason yet
    assert override.isVisible()
    assert "clinical justification" in override.message.text()
    assert stored(chair).override_reason is None
    override.reason.insertPlainText("Single drug-induced episode in 2009; psychiatrist agrees.")
    override.ok_button.click()
    assert not override.isVisible()
    row = stored(chair)
    assert row.override_reason == "Single drug-induced episode in 2009; psychiatrist agrees."
    assert row.override_by_id == PHYSICIAN.user_id
    assert "Override by Ada Lindqvist, MD" in dialog.override_line.text()

    assert dialog.approve_button.isEnabled()
    qtbot.mouseClick(dialog.approve_button, LEFT)
    row = stored(chair)
    assert row.approved_by_id == PHYSICIAN.user_id and row.approved_at_utc is not None
    assert dialog.status.text().startswith("✓ Approved by Ada Lindqvist, MD")
    assert not dialog.approve_button.isEnabled()


def test_editing_an_approved_screening_warns_that_the_approval_was_withdrawn(
        qtbot: QtBot, chair: Clinic) -> None:
    from ketalog.services.screening import approve_screening

    sid = fill_through_services(chair)
    with chair.db() as db:
        approve_screening(db, PHYSICIAN, sid, clock=chair.clock)
    dialog = open_dialog(chair, qtbot)
    assert "Approved by Ada Lindqvist, MD" in dialog.status.text()
    combo = dialog.questions["takes_opioid"]
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert stored(chair).takes_opioid is True
    assert stored(chair).approved_at_utc is None
    assert ("The approval by Ada Lindqvist, MD was withdrawn because the screening changed"
            in dialog.message.text())
    assert dialog.status.text().startswith("Not approved yet")


def test_a_change_to_another_field_meanwhile_does_not_stop_an_answer(
        qtbot: QtBot, chair: Clinic) -> None:
    sid = fill_through_services(chair)
    dialog = open_dialog(chair, qtbot)
    assert dialog.view is not None
    with chair.db() as db:  # another workstation changes the allergies meanwhile
        update_screening(db, NURSE2, sid, "allergies", "penicillin (rash)",
                         expected_version=dialog.view.version, clock=chair.clock)
    dialog.history.setFocus()
    qtbot.keyClicks(dialog.history, "Late entry")
    dialog.medications.setFocus()
    assert QApplication.activeModalWidget() is None  # nothing to choose: another field
    assert stored(chair).history_summary == "Late entry"
    assert stored(chair).allergies == "penicillin (rash)"
    assert dialog.allergies.toPlainText() == "penicillin (rash)"  # the form shows both


def test_the_same_field_changed_meanwhile_offers_both_answers(
        qtbot: QtBot, chair: Clinic) -> None:
    sid = fill_through_services(chair)
    dialog = open_dialog(chair, qtbot)
    assert dialog.view is not None
    with chair.db() as db:
        update_screening(db, NURSE2, sid, "history_summary", "TRD since 2019",
                         expected_version=dialog.view.version, clock=chair.clock)
    dialog.history.setFocus()
    qtbot.keyClicks(dialog.history, "Late entry")
    seen = answer_conflict(qtbot, "keep")
    dialog.medications.setFocus()
    assert seen and seen[0].theirs.text() == "TRD since 2019"
    assert seen[0].yours.text() == "Late entry"
    assert stored(chair).history_summary == "TRD since 2019"  # kept, as chosen
    assert "changed by Sam Okafor, RN" in dialog.errors["history_summary"].text()


def test_scrolling_past_a_question_does_not_answer_it(qtbot: QtBot, chair: Clinic) -> None:
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent

    dialog = open_dialog(chair, qtbot)
    combo = dialog.questions["psychosis_history"]
    assert not combo.hasFocus()
    wheel = QWheelEvent(QPointF(5, 5), QPointF(combo.mapToGlobal(QPoint(5, 5))), QPoint(0, 0),
                        QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(combo, wheel)
    assert combo.currentIndex() == 0
    assert stored(chair).psychosis_history is None
