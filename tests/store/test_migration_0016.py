"""Schema 0016: physicians' orders; old courses dose without one, old signatures still hold."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketalog.domain.session_state import SessionAction
from ketalog.services.booking import schedule_session
from ketalog.services.context import SYSTEM
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.orders import cosign_verbal_order
from ketalog.services.session.common import load_session
from ketalog.services.session.dose import order_dose
from ketalog.services.session.state import change_state
from ketalog.services.settings import set_clinic_timezone
from ketalog.services.signature_status import signature_status
from ketalog.services.signing import verify_session
from ketalog.store.guards import COSIGN_COLUMNS, ORDER_FIXED
from ketalog.store.models import AUDIT_REFERENCE_COLUMNS, Base, Course, DoseOrder
from tests.conftest import FakeClock
from tests.play import book, verbal_order
from tests.staff import NURSE, PHYSICIAN, password_of

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def upgraded(tmp_path: Path) -> Engine:
    """The stored 0014 database (a signed session, a course without orders), upgraded."""
    copy = tmp_path / "schema_0014.sqlite3"
    shutil.copy(FIXTURES / "schema_0014.sqlite3", copy)
    return open_database(f"sqlite:///{copy}")


def test_a_session_signed_before_0016_is_still_valid(upgraded: Engine) -> None:
    try:
        with make_sessionmaker(upgraded)() as db:
            check = verify_session(db, 2)
            assert check.signed and check.intact, check.changes
            assert not check.invalid_reasons, check.invalid_reasons
            assert signature_status(db, 2).valid
            assert db.scalar(text("SELECT count(*) FROM dose_orders "
                                  "WHERE physician_order_id IS NOT NULL")) == 0
    finally:
        upgraded.dispose()


def test_a_course_opened_before_0016_doses_without_an_order(upgraded: Engine) -> None:
    clock = FakeClock()
    try:
        with make_sessionmaker(upgraded)() as db:
            course = db.get(Course, 1)
            assert course is not None and course.order_required is False
            # the fixture's clinic never set its zone: clinical entry waits for it (issue 16)
            set_clinic_timezone(db, SYSTEM, "UTC")
            sid = schedule_session(db, NURSE, course_id=1, chair="Chair 3",
                                   scheduled_at=clock.now, clock=clock)
            change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
            order = order_dose(db, NURSE, sid, inputs={}, clock=clock)
            row = db.get(DoseOrder, order.dose_order_id)
            assert row is not None and row.physician_order_id is None
    finally:
        upgraded.dispose()


def test_a_course_opened_now_requires_an_order(db: Session, clock: FakeClock) -> None:
    sid = book(db, clock)
    course = db.get(Course, load_session(db, sid).course_id)
    assert course is not None and course.order_required is True


def _signed_verbal_and_standing(db: Session, clock: FakeClock) -> tuple[int, int]:
    """A course with its standing order (id 1) and a verbal order at its session."""
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    return 1, verbal_order(db, sid, clock, "0.6")


def test_orders_are_never_changed_or_deleted_by_sql(engine: Engine, db: Session,
                                                   clock: FakeClock) -> None:
    standing, verbal = _signed_verbal_and_standing(db, clock)
    db.close()
    for statement in (
        f"UPDATE physician_orders SET dose_mg_per_kg = '0.9' WHERE id = {standing}",
        f"UPDATE physician_orders SET physician_name = 'Someone Else' WHERE id = {verbal}",
        f"DELETE FROM physician_orders WHERE id = {verbal}",
        # a standing order's signature is never replaced
        f"UPDATE physician_orders SET signature = 'ab' WHERE id = {standing}",
        # a co-signature never comes with another change
        f"UPDATE physician_orders SET cosigned_at_utc = '2026-11-22 09:00:00.000000', "
        f"key_id = 1, signature = 'ab', read_back = false WHERE id = {verbal}",
    ):
        with engine.connect() as conn, pytest.raises(DBAPIError, match="never changed"):
            conn.execute(text(statement))


def test_the_co_signature_is_the_one_change_and_only_once(engine: Engine, db: Session,
                                                         clock: FakeClock) -> None:
    _standing, verbal = _signed_verbal_and_standing(db, clock)
    clock.advance(60)
    cosign_verbal_order(db, PHYSICIAN, verbal, password=password_of("ada"), clock=clock)
    db.close()
    with engine.connect() as conn, pytest.raises(DBAPIError, match="never changed"):
        conn.execute(text("UPDATE physician_orders SET cosigned_at_utc = NULL, key_id = NULL, "
                          f"signature = NULL WHERE id = {verbal}"))


def test_the_guard_lists_every_column_of_the_orders_table() -> None:
    columns = set(Base.metadata.tables["physician_orders"].c.keys())
    listed = {*ORDER_FIXED, *COSIGN_COLUMNS, *AUDIT_REFERENCE_COLUMNS}
    assert columns == listed, ("list the new columns of physician_orders in "
                               "guards.ORDER_FIXED (or COSIGN_COLUMNS)")
