"""The clinic outcomes window: a period, two tables with counts, the excluded counted."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDateTimeEdit
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session, sessionmaker

from ketalog.domain.outcomes import OutcomeRow
from ketalog.services.context import Actor
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.settings import set_setting
from ketalog.ui.board.outcomes_page import OutcomeRowsModel, OutcomesDialog, last_twelve_months
from ketalog.ui.core.context import UiContext
from tests.conftest import FakeClock
from tests.helpers.databases import copy_sqlite_template
from tests.services.test_outcomes import Visit, play_course
from tests.staff import ADMIN, NURSE, PHYSICIAN, seed_staff

NY = ZoneInfo("America/New_York")
IV = "IV ketamine for depression, 0.5 mg/kg over 40 min"
IM = "IM ketamine, 0.5 mg/kg"


@dataclass
class Clinic:
    factory: sessionmaker[Session]
    ctx: UiContext
    actor: list[Actor]


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    """November 2026: a responder and a remitter on IV, a PTSD non-responder on IM, an
    anxiety course with only a baseline; October 2025: one older IV responder."""
    engine = open_database(copy_sqlite_template(tmp_path / 'outcomes.sqlite3'))
    seed_staff(engine)
    factory = make_sessionmaker(engine)
    clock = FakeClock()
    nov = datetime(2026, 11, 2, 14, tzinfo=UTC)
    with factory() as db:
        set_setting(db, ADMIN, "clinic_timezone", "America/New_York")
        play_course(db, clock, family="Old", first=datetime(2025, 10, 6, 14, tzinfo=UTC),
                    visits=[Visit({"phq9": 20}), Visit({"phq9": 8})])
        play_course(db, clock, family="Alpha", first=nov,
                    visits=[Visit({"phq9": 22}), Visit({"phq9": 10})])
        play_course(db, clock, family="Bravo", first=nov,
                    visits=[Visit({"phq9": 22}), Visit({"phq9": 4})])
        play_course(db, clock, family="Charlie", first=nov, indication="PTSD",
                    protocol="im-ketamine-0.5", visits=[Visit({"pcl5": 50}), Visit({"pcl5": 40})])
        play_course(db, clock, family="Delta", first=nov, indication="anxiety",
                    visits=[Visit({"gad7": 14})])
    clock.now = datetime(2026, 11, 21, 15, tzinfo=UTC)
    actor: list[Actor] = [PHYSICIAN]
    yield Clinic(factory, UiContext(factory, NY, lambda: actor[0], clock), actor)
    engine.dispose()


def _dialog(qtbot: QtBot, clinic: Clinic) -> OutcomesDialog:
    dialog = OutcomesDialog(clinic.ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _cells(dialog: OutcomesDialog, which: str) -> list[list[str]]:
    model = dialog.indication_model if which == "indication" else dialog.protocol_model
    return [[model.index(r, c).data() for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def test_last_twelve_months_by_default_with_counts_and_the_excluded(
        qtbot: QtBot, clinic: Clinic, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, clinic)
    assert dialog.period() == (date(2025, 11, 22), date(2026, 11, 21))
    qtmodeltester.check(dialog.indication_model)
    qtmodeltester.check(dialog.protocol_model)
    model = dialog.indication_model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(8)] == [
        "Indication", "Primary scale", "Courses", "Patients", "Evaluable",
        "Excluded (missing scores)", "Response", "Remission"]
    assert _cells(dialog, "indication") == [
        ["treatment-resistant depression", "PHQ-9", "2", "2", "2", "0", "2 of 2 (100.0 %)",
         "1 of 2 (50.0 %)"],
        ["PTSD", "PCL-5", "1", "1", "1", "0", "0 of 1 (0.0 %)", "no rule"],
        ["anxiety", "GAD-7", "1", "1", "0", "1 (0 no baseline, 1 no follow-up)", "0 of 0",
         "0 of 0"],
        ["All courses", "PHQ-9 / PCL-5 / GAD-7", "4", "4", "3",
         "1 (0 no baseline, 1 no follow-up)", "2 of 3 (66.7 %)", "1 of 2 with a rule (50.0 %)"],
    ]
    assert model.index(3, 0).data(Qt.ItemDataRole.FontRole).bold()
    assert [row[0] for row in _cells(dialog, "protocol")] == [IM, IV, "All courses"]
    assert _cells(dialog, "protocol")[1][2:] == [
        "3", "3", "2", "1 (0 no baseline, 1 no follow-up)", "2 of 2 (100.0 %)",
        "1 of 2 (50.0 %)"]
    assert dialog.heading.text() == (
        "2025-11-22 – 2026-11-21: 4 courses (4 patients); response 2 of 3 (66.7 %); "
        "remission 1 of 2 with a rule (50.0 %)")
    assert dialog.excluded_label.text() == (
        "Excluded for missing scores: 1 of 4 courses — 0 no baseline, 1 no follow-up.")
    assert dialog.meaning.text().startswith(
        "A course is evaluable when it has a baseline score and at least one later score")


def test_moving_the_start_back_a_year_counts_the_older_course(
        qtbot: QtBot, clinic: Clinic) -> None:
    dialog = _dialog(qtbot, clinic)
    edit = dialog.date_from
    edit.setFocus()
    edit.setCurrentSection(QDateTimeEdit.Section.YearSection)
    qtbot.keyClick(edit, Qt.Key.Key_Down)  # 2025-11-22 -> 2024-11-22
    assert edit.date() == QDate(2024, 11, 22)
    qtbot.waitUntil(lambda: dialog.outcomes is not None and dialog.outcomes.total.courses == 5)
    assert _cells(dialog, "indication")[0][2:7] == ["3", "3", "3", "0", "3 of 3 (100.0 %)"]
    # a period with nothing in it
    dialog.date_to.setDate(QDate(2025, 1, 31))
    qtbot.waitUntil(lambda: dialog.outcomes is not None and dialog.outcomes.total.courses == 0)
    assert dialog.heading.text() == "No course began from 2024-11-22 – 2025-01-31."
    assert dialog.indication_model.rowCount() == 0


def test_the_end_before_the_start_is_refused_in_words(qtbot: QtBot, clinic: Clinic) -> None:
    dialog = _dialog(qtbot, clinic)
    dialog.date_to.setDate(QDate(2025, 1, 1))
    qtbot.waitUntil(lambda: dialog.message.isVisibleTo(dialog))
    assert dialog.message.text() == ("⚠ The period ends (2025-01-01) before it starts "
                                     "(2025-11-22); swap the dates.")
    assert dialog.indication_model.rowCount() == 0 and dialog.outcomes is None


def test_a_nurse_is_told_who_may_see_outcomes(qtbot: QtBot, clinic: Clinic) -> None:
    clinic.actor[0] = NURSE
    dialog = _dialog(qtbot, clinic)
    assert dialog.message.text().startswith(
        "⚠ Only an administrator or a physician can view the clinic's outcomes")
    assert dialog.indication_model.rowCount() == 0 and dialog.protocol_model.rowCount() == 0
    clinic.actor[0] = ADMIN
    dialog.refresh()
    assert not dialog.message.isVisibleTo(dialog) and dialog.indication_model.rowCount() == 4


def test_twelve_months_back_from_a_leap_day() -> None:
    assert last_twelve_months(date(2028, 2, 29)) == (date(2027, 3, 1), date(2028, 2, 29))
    assert last_twelve_months(date(2026, 1, 1)) == (date(2025, 1, 2), date(2026, 1, 1))


def test_a_refresh_keeps_the_selected_group_and_the_total_bold_and_last(
        qtbot: QtBot, clinic: Clinic) -> None:
    dialog = _dialog(qtbot, clinic)
    dialog.indication_table.selectRow(1)
    dialog.refresh()
    model = dialog.indication_model
    assert dialog.indication_table.currentIndex().row() == 1
    assert model.index(1, 0).data() == "PTSD"
    assert model.index(3, 0).data() == "All courses"
    assert model.index(3, 2).data(Qt.ItemDataRole.FontRole).bold()
    assert model.index(1, 2).data(Qt.ItemDataRole.FontRole) is None


def test_a_group_named_like_the_total_is_not_taken_for_it(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    def tally(group: str, courses: int) -> OutcomeRow:
        return OutcomeRow(group, ("phq9",), courses, courses, courses, 0, 0, 1, 1, 0)

    model = OutcomeRowsModel("Protocol")
    model.set_groups([tally("All courses", 1), tally("IV 0.5", 2)], tally("All courses", 3))
    qtmodeltester.check(model)
    assert [model.index(r, 0).data() for r in range(3)] == [
        "All courses", "IV 0.5", "All courses"]
    assert [model.index(r, 0).data(Qt.ItemDataRole.FontRole) is not None
            for r in range(3)] == [False, False, True]
    model.set_groups([])
    assert model.rowCount() == 0
