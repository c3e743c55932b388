"""The PostgreSQL server lost mid-shift: a banner, typed input kept, saved once when back.

The app reaches the real test server through a proxy the test can cut (as a
pulled cable or a stopped server looks to the app); a second engine on the
real address is the test's own view of what was stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from ketalog.domain.session_state import SessionAction
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.session.entries import record_vitals
from ketalog.services.session.state import change_state
from ketalog.services.users import UserSummary
from ketalog.store.models import ClientWrite, VitalSign
from ketalog.ui.main_window import MainWindow
from tests.conftest import FakeClock
from tests.play import book
from tests.proxy import CuttableProxy
from tests.staff import NURSE, seed_staff

pytestmark = pytest.mark.postgres

NORA = UserSummary(1, "nora", "Nora Reyes", "RN", "nurse")


@dataclass
class Shift:
    window: MainWindow
    proxy: CuttableProxy
    direct: Engine
    session_id: int
    clock: FakeClock

    def vitals(self) -> list[int]:
        with make_sessionmaker(self.direct)() as db:
            return list(db.scalars(select(VitalSign.systolic_mmhg).where(
                VitalSign.session_id == self.session_id).order_by(VitalSign.id)))


@pytest.fixture
def shift(qtbot: QtBot, postgres_url: str) -> Iterator[Shift]:
    direct = open_database(postgres_url)
    seed_staff(direct)
    clock = FakeClock()
    with make_sessionmaker(direct)() as db:
        sid = book(db, clock)
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    clock.advance(2)
    proxy = CuttableProxy()
    through_proxy = make_url(postgres_url).set(port=proxy.port).render_as_string(
        hide_password=False)
    engine = open_database(through_proxy)
    window = MainWindow(engine, through_proxy, clock=clock, user=NORA)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.refresh_timer.stop()
    window.open_session(sid)
    yield Shift(window, proxy, direct, sid, clock)
    window.close()
    proxy.close()
    engine.dispose()
    direct.dispose()


def _type_reading(qtbot: QtBot, window: MainWindow, systolic: str) -> None:
    vitals = window.session_page.vitals  # type: ignore[union-attr]
    vitals.sbp.setFocus()
    qtbot.keyClicks(vitals.sbp, systolic)
    qtbot.keyClick(vitals.sbp, Qt.Key.Key_Slash)
    for edit, value in ((vitals.dbp, "77"), (vitals.hr, "70"), (vitals.spo2, "98"),
                        (vitals.rr, "14")):
        qtbot.keyClicks(edit, value)
    qtbot.keyClick(vitals.rr, Qt.Key.Key_Return)


def test_a_reading_typed_while_the_server_is_gone_is_kept_and_saved_once_when_back(
        qtbot: QtBot, shift: Shift) -> None:
    window = shift.window
    vitals = window.session_page.vitals  # type: ignore[union-attr]
    shift.proxy.cut()
    _type_reading(qtbot, window, "131")
    # nothing is reported as saved that was not
    assert shift.vitals() == []
    assert "Not saved" in vitals.message.text()
    assert "saved automatically when the connection is back" in vitals.message.text()
    assert vitals.sbp.text() == "131"  # what was typed stays in the form
    assert vitals.time_edit.text() == "09:02"  # ...with the time it was taken
    assert window.link_banner.isVisible()
    banner = window.link_text.text()
    assert "Database unreachable since 09:02" in banner
    assert "Entries waiting in their forms: 1" in banner
    # the screen stays readable: the session is still shown, nothing cleared
    assert window.session_page.isVisible()  # type: ignore[union-attr]
    shift.proxy.restore()
    qtbot.waitUntil(lambda: "Connection restored" in window.link_text.text(), timeout=10_000)
    assert "Waiting entries saved: 1." in window.link_text.text()
    assert shift.vitals() == [131]
    assert vitals.sbp.text() == "" and vitals.time_edit.text() == ""
    assert vitals.model.rowCount() == 1


def test_retry_now_tries_at_once_and_a_second_entry_waits_too(
        qtbot: QtBot, shift: Shift) -> None:
    window = shift.window
    shift.proxy.cut()
    _type_reading(qtbot, window, "131")
    page = window.session_page
    assert page is not None
    notes = page.notes  # type: ignore[attr-defined]
    notes.text.setPlainText("Patient calm, eyes closed, music on.")
    notes.add()
    assert "Entries waiting in their forms: 2" in window.link_text.text()
    window.link_retry.click()  # still cut: the try fails and the countdown starts again
    qtbot.waitUntil(lambda: not window.link.trying, timeout=10_000)
    assert not window.link.online
    shift.proxy.restore()
    window.link_retry.click()
    qtbot.waitUntil(lambda: window.link.online, timeout=10_000)
    assert shift.vitals() == [131]
    with make_sessionmaker(shift.direct)() as db:
        notes_stored = db.execute(text("SELECT count(*) FROM notes WHERE text LIKE 'Patient calm%'"
                                       )).scalar()
    assert notes_stored == 1
    assert notes.text.toPlainText() == ""


def test_a_save_whose_first_try_committed_is_not_written_twice(
        qtbot: QtBot, shift: Shift) -> None:
    """The commit reached the server but its answer was lost: the retry finds its id."""
    ctx = shift.window.ctx
    sid = shift.session_id
    values = {"systolic_mmhg": 140, "diastolic_mmhg": 80, "heart_rate_bpm": 70,
              "spo2_percent": 98, "resp_rate_per_min": 14}
    first = ctx.run(lambda db: record_vitals(db, NURSE, sid, values, clock=shift.clock),
                    write_id="a" * 32)
    assert first.ok and first.value is not None
    again = ctx.run(lambda db: record_vitals(db, NURSE, sid, values, clock=shift.clock),
                    write_id="a" * 32)
    assert again.already_saved and again.ok
    assert shift.vitals() == [140]
    with make_sessionmaker(shift.direct)() as db:
        assert db.scalar(select(func.count()).select_from(ClientWrite)) >= 1


def test_a_terminated_backend_is_replaced_without_the_nurse_noticing(
        qtbot: QtBot, shift: Shift, postgres_url: str) -> None:
    admin = create_engine(make_url(postgres_url).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")
    ports = shift.proxy.upstream_ports()  # this app's backends only, not other tests'
    with admin.connect() as conn:
        killed = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE client_port = ANY(:ports) AND pid <> pg_backend_pid()"),
            {"ports": ports}).scalar()
    admin.dispose()
    assert killed and killed >= 1
    _type_reading(qtbot, shift.window, "128")
    assert shift.vitals() == [128]
    assert not shift.window.link_banner.isVisible()
