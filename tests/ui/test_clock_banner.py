"""A workstation whose clock is off shows it, and records at the server's time (issue 16, 2).

The server's time is injected: the test's "server" reads three hours behind
this workstation's fake clock, as a workstation three hours fast would see it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.domain.session_state import SessionAction
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.session.state import change_state
from ketalog.services.users import UserSummary
from ketalog.store.models import TreatmentSession
from ketalog.ui.main_window import MainWindow
from tests.conftest import FakeClock
from tests.play import book
from tests.staff import NURSE, seed_staff

NORA = UserSummary(1, "nora", "Nora Reyes", "RN", "nurse")
TRUE_TIME = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.mark.postgres
def test_a_fast_workstation_shows_a_banner_and_records_the_servers_time(
        postgres_url: str, qtbot: QtBot) -> None:
    engine = open_database(postgres_url)
    seed_staff(engine)
    true_clock = FakeClock(TRUE_TIME)
    with make_sessionmaker(engine)() as db:
        sid = book(db, true_clock)
    fast = FakeClock(TRUE_TIME + timedelta(hours=3))
    window = MainWindow(engine, "postgresql://server/ketalog", clock=fast, user=NORA,
                        guard_clock=True, server_now=lambda _db: true_clock())
    qtbot.addWidget(window)
    try:
        assert window.clock_banner.isVisibleTo(window)
        assert window.clock_banner.text().startswith(
            "This workstation's clock is 3 h fast against the database server's.")
        # an entry made from this workstation is stamped with the server's time
        window.ctx.run(lambda db: change_state(db, NURSE, sid, SessionAction.CHECK_IN,
                                               clock=window.ctx.clock))
        with make_sessionmaker(engine)() as db:
            checked_in = db.scalar(select(TreatmentSession.checked_in_at_utc).where(
                TreatmentSession.id == sid))
            assert checked_in == TRUE_TIME
        # the clock set right: the next measurement takes the banner down
        fast.now = true_clock.now
        window.measure_clock()
        assert not window.clock_banner.isVisibleTo(window)
    finally:
        window.close()
        engine.dispose()


def test_on_sqlite_there_is_no_server_to_ask(sqlite_url: str, qtbot: QtBot) -> None:
    engine = open_database(sqlite_url)
    seed_staff(engine)
    window = MainWindow(engine, "sqlite:///chair", clock=FakeClock(TRUE_TIME), user=NORA,
                        guard_clock=True)
    qtbot.addWidget(window)
    try:
        assert window.server_clock is None and not window.clock_banner.isVisibleTo(window)
    finally:
        window.close()
        engine.dispose()
