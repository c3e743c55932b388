"""The course window: header, chart, outcome words with the red flag, sessions that open."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ketalog.domain.session_state import SessionAction
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.session.entries import record_scale
from ketalog.services.session.state import change_state
from ketalog.ui.core.context import UiContext
from ketalog.ui.course.course_page import CourseDialog, CourseSessionsModel
from tests.conftest import FakeClock
from tests.helpers.databases import copy_sqlite_template
from tests.services.test_outcomes import Visit, items_for, play_course
from tests.staff import NURSE, PHYSICIAN, seed_staff

NY = ZoneInfo("America/New_York")


@dataclass
class Clinic:
    engine: Engine
    factory: sessionmaker[Session]
    clock: FakeClock
    ctx: UiContext
    course_id: int


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    """A depression course: PHQ-9 22, 20, 19 at three infusions, visit 4 checked in with 18,
    two more booked. Three infusions and no response: flagged."""
    engine = open_database(copy_sqlite_template(tmp_path / 'course.sqlite3'))
    seed_staff(engine)
    factory = make_sessionmaker(engine)
    clock = FakeClock()
    with factory() as db:
        course = play_course(db, clock, family="Ñúñez",
                             first=datetime(2026, 11, 2, 14, tzinfo=UTC),
                             visits=[Visit({"phq9": 22, "gad7": 15}), Visit({"phq9": 20}),
                                     Visit({"phq9": 19, "gad7": 7}),
                                     Visit({"phq9": 18}, "checked_in"),
                                     Visit(to="scheduled"), Visit(to="scheduled")])
    ctx = UiContext(factory, NY, lambda: PHYSICIAN, clock)
    yield Clinic(engine, factory, clock, ctx, course)
    engine.dispose()


def _dialog(qtbot: QtBot, clinic: Clinic) -> CourseDialog:
    dialog = CourseDialog(clinic.ctx, clinic.course_id)
    qtbot.addWidget(dialog)
    dialog.resize(1000, 900)
    dialog.show()
    return dialog


def test_header_outcomes_flag_and_sessions(qtbot: QtBot, clinic: Clinic,
                                           qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, clinic)
    assert dialog.patient_label.text().startswith("Ñúñez, Test   K")
    assert dialog.patient_label.text().endswith("born 1980-03-14")
    assert dialog.course_label.text() == (
        "treatment-resistant depression (judged on PHQ-9) · IV ketamine for depression, "
        "0.5 mg/kg over 40 min · Induction · Active · 3 of 6 infusions given, 2 booked")
    assert dialog.progress_label.text() == "infusion 3 of 6"
    assert isinstance(dialog.actions, QHBoxLayout) and dialog.actions.count() == 0

    texts = [label.text() for label in dialog.outcome_labels]
    assert texts == [
        "PHQ-9 (primary): baseline 22 (severe), latest 18 (moderately severe); change -4 "
        "(-18.2 %); response: no (≤ 11); remission: no (< 5)",
        "GAD-7: baseline 15 (severe), latest 7 (mild); change -8 (-53.3 %); response: yes "
        "(≤ 7.5); remission: no (< 5)",
    ]
    assert dialog.flag_label.isVisibleTo(dialog)
    assert dialog.flag_label.text() == (
        "⚠ PHQ-9: no response after 3 infusions (3 given since the baseline of 22, no score "
        "at or below 11 since; latest 18). Review the treatment plan.")
    assert "#b00000" in dialog.flag_label.styleSheet()

    model = dialog.model
    qtmodeltester.check(model)
    assert model.rowCount() == 6
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Infusion", "Date", "State", "Given (mg)", "mg/kg", "PHQ-9", "GAD-7"]
    first = [model.index(0, c).data() for c in range(model.columnCount())]
    assert first == ["1 of 6", "Mon 02 Nov 2026 09:00", "Recovering", "40.0", "0.5", "22", "15"]
    fourth = [model.index(3, c).data() for c in range(model.columnCount())]
    assert fourth == ["4 of 6", "Sun 08 Nov 2026 09:00", "Checked in", "—", "—", "18", "—"]
    assert model.index(5, CourseSessionsModel.STATE).data() == "Scheduled"


def test_chart_draws_each_scale_on_its_range_with_doses(qtbot: QtBot, clinic: Clinic) -> None:
    dialog = _dialog(qtbot, clinic)
    chart = dialog.chart
    assert chart.scales() == ("phq9", "gad7")
    assert chart.points("phq9") == [(0, 22), (1, 20), (2, 19), (3, 18)]
    assert chart.points("gad7") == [(0, 15), (2, 7)]
    assert chart.scale_range("phq9") == (0, 27) and chart.scale_range("gad7") == (0, 21)
    assert chart.reference_lines("phq9") == [("baseline", 22.0), ("response", 11.0),
                                             ("remission", 5.0)]
    assert chart.dose_bars() == [(0, Decimal("40.0")), (1, Decimal("40.0")),
                                 (2, Decimal("40.0"))]
    # higher scores are higher up, inside their own panel; sessions run left to right
    phq9, gad7 = chart.panel_rect("phq9"), chart.panel_rect("gad7")
    assert phq9.bottom() < gad7.top() < gad7.bottom() < chart.dose_rect().top()
    assert phq9.top() <= chart.y_of("phq9", 27) < chart.y_of("phq9", 5) <= phq9.bottom()
    assert chart.x_of(0) < chart.x_of(1) < chart.x_of(5) <= phq9.right()
    bar = chart.bar_rect(0, Decimal("40.0"))
    assert chart.dose_rect().contains(bar.center())
    image = chart.grab().toImage()
    assert image.width() == chart.width()  # painted without error


def test_enter_and_double_click_open_a_session(qtbot: QtBot, clinic: Clinic) -> None:
    dialog = _dialog(qtbot, clinic)
    ids = [dialog.model.row_at(r).session_id for r in range(dialog.model.rowCount())]
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Down)
    with qtbot.waitSignal(dialog.open_session) as opened:
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert opened.args == [ids[1]]
    with qtbot.waitSignal(dialog.open_session) as opened:
        dialog.table.doubleClicked.emit(dialog.model.index(3, 0))
    assert opened.args == [ids[3]]


def test_refresh_shows_the_fourth_infusion_and_a_responding_score(
        qtbot: QtBot, clinic: Clinic) -> None:
    dialog = _dialog(qtbot, clinic)
    sid4 = dialog.model.row_at(3).session_id
    sid5 = dialog.model.row_at(4).session_id
    dialog.table.selectRow(3)
    with clinic.factory() as db:
        from tests.play import start_infusion

        start_infusion(db, sid4, clinic.clock)
        clinic.clock.now = datetime(2026, 11, 10, 14, tzinfo=UTC)
        change_state(db, NURSE, sid5, SessionAction.CHECK_IN, clock=clinic.clock)
        record_scale(db, NURSE, sid5, "phq9", items_for("phq9", 4), clock=clinic.clock)
    dialog.refresh()
    assert dialog.progress_label.text() == "infusion 4 of 6"
    assert not dialog.flag_label.isVisibleTo(dialog)
    assert dialog.outcome_labels[0].text().startswith(
        "PHQ-9 (primary): baseline 22 (severe), latest 4 (minimal); change -18 (-81.8 %); "
        "response: yes (≤ 11); remission: yes (< 5)")
    assert dialog.model.index(3, CourseSessionsModel.GIVEN_MG).data() == "40.0"
    assert dialog.chart.points("phq9")[-1] == (4, 4)
    # the session selected before the refresh is still the one selected
    assert dialog.model.row_at(dialog.table.currentIndex().row()).session_id == sid4
    assert [i.row() for i in dialog.table.selectionModel().selectedRows()] == [3]


def test_an_unknown_course_says_so(qtbot: QtBot, clinic: Clinic) -> None:
    dialog = CourseDialog(clinic.ctx, 999)
    qtbot.addWidget(dialog)
    assert dialog.message.text() == "⚠ No course with id 999."
    assert dialog.view is None and dialog.model.rowCount() == 0
