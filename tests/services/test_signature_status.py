"""A signature is shown as valid only when the record is unchanged and the app made it.

The attacks of issue 14 (a forged sign-off with a recomputed hash, an addendum
inserted by SQL, a record changed behind the guards) are each NOT VALID, on
SQLite and on PostgreSQL; and the check is cheap enough to run on every screen.
"""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ketalog.domain.session_state import SessionAction
from ketalog.services.booking import schedule_session
from ketalog.services.session.common import load_session
from ketalog.services.session.entries import add_note, record_vitals
from ketalog.services.session.state import change_state
from ketalog.services.signature_status import (
    SignatureState,
    signature_status,
    signature_statuses,
)
from ketalog.services.signing import add_addendum, complete_nursing_record, verify_session
from ketalog.store.models import VitalSign
from tests.conftest import FakeClock
from tests.forgery import forge_addendum, forge_signature
from tests.helpers.timing import fastest_ms
from tests.play import BASELINE, book, discharge, discharged_session, sign, start_infusion
from tests.staff import NURSE, password_of
from tests.tamper import tamper

#: A session's signature check, as the issue asks (every screen refresh runs it).
TARGET_MS = 5
#: Room for a shared, busy CI machine; the tests time the fastest of several runs.
SLACK = 2


@pytest.fixture
def discharged(db: Session, clock: FakeClock) -> int:
    """A first IV infusion played through the services up to discharge."""
    return discharged_session(db, clock)


@pytest.fixture
def signed(db: Session, clock: FakeClock, discharged: int) -> int:
    """The same session, completed by the nurse and signed by Ada Lindqvist, MD."""
    sign(db, discharged, clock)
    return discharged


def test_an_unsigned_session_is_not_signed(db: Session, discharged: int) -> None:
    status = signature_status(db, discharged)
    assert status.state is SignatureState.NOT_SIGNED
    assert not status.valid and not status.not_valid and status.banner == ""


def test_a_signature_made_by_the_app_is_valid(db: Session, signed: int) -> None:
    status = signature_status(db, signed)
    assert status.state is SignatureState.VALID
    assert status.signer_name == "Ada Lindqvist, MD" and status.signed_at_utc is not None


def test_a_forged_signature_with_a_recomputed_hash_is_not_valid(
    db: Session, engine: Engine, clock: FakeClock, discharged: int
) -> None:
    complete_nursing_record(db, NURSE, discharged,
                            password=password_of(NURSE.username), clock=clock)
    forge_signature(db, engine, discharged, clock.advance(30))
    check = verify_session(db, discharged)
    assert not check.intact and check.invalid_reasons  # keyed: no password, no valid signature
    status = signature_status(db, discharged)
    assert status.state is SignatureState.NOT_VALID
    assert "signer's key" in status.reason
    assert any("no audit trail entry" in p for p in status.problems)
    assert status.banner.startswith("SIGNATURE NOT VALID: ")


def test_an_addendum_inserted_by_sql_is_not_valid(
    db: Session, engine: Engine, clock: FakeClock, signed: int
) -> None:
    add_addendum(db, NURSE, signed,
                 password=password_of(NURSE.username), reason="late entry", text="Home safely.",
                 clock=clock)
    assert signature_status(db, signed).valid
    forge_addendum(db, engine, signed, clock.advance(60))
    status = signature_status(db, signed)
    assert status.not_valid
    # the key check leads (an audit row can be appended by SQL too; a signature cannot)
    assert status.reason == ("addendum 2 by Ada Lindqvist, MD at 2026-11-21 11:43 UTC was not "
                             "made with Ada Lindqvist, MD's key (it was written without their "
                             "password)")
    assert "addendum 2 has no audit trail entry" in status.problems


def test_a_record_changed_after_signing_is_not_valid_and_says_what_changed(
    db: Session, engine: Engine, signed: int
) -> None:
    vital_id = db.scalars(select(VitalSign.id).where(VitalSign.session_id == signed)
                          .order_by(VitalSign.id)).first()
    db.rollback()
    tamper(engine, "UPDATE vital_signs SET heart_rate_bpm = 140 WHERE id = :id", id=vital_id)
    db.expire_all()
    status = signature_status(db, signed)
    assert status.not_valid
    assert status.banner == "SIGNATURE NOT VALID: the record was changed after signing"
    assert f"Vital signs {vital_id}: heart_rate_bpm was 72, now 140" in status.changes


def test_a_session_marked_signed_without_a_signature_is_not_valid(
    db: Session, engine: Engine, discharged: int
) -> None:
    db.rollback()
    tamper(engine, "UPDATE treatment_sessions SET state = 'signed' WHERE id = :id",
           id=discharged)
    db.expire_all()
    status = signature_status(db, discharged)
    assert status.not_valid
    assert status.reason == "the session is marked signed but has no physician signature"


def test_many_sessions_are_checked_at_once(
    db: Session, engine: Engine, clock: FakeClock, signed: int
) -> None:
    other = _another_session(db, clock, signed)
    change_state(db, NURSE, other, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, other, clock)
    discharge(db, other, clock)
    complete_nursing_record(db, NURSE, other, password=password_of(NURSE.username), clock=clock)
    forge_signature(db, engine, other, clock.advance(30))
    statuses = signature_statuses(db, [signed, other])
    assert statuses[signed].valid and statuses[other].not_valid


def _another_session(db: Session, clock: FakeClock, sid: int) -> int:
    """A second session of the same course, in chair 2."""
    course_id = load_session(db, sid).course_id
    return schedule_session(db, NURSE, course_id=course_id, chair="Chair 2",
                            scheduled_at=clock(), confirm_chair_overlap=True, clock=clock)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_session_is_checked_in_under_5_ms(db: Session, clock: FakeClock) -> None:
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, sid, clock)
    for minute in range(12):  # a reading every 5 minutes, as a watchful nurse takes them
        clock.advance(5)
        record_vitals(db, NURSE, sid, {**BASELINE, "heart_rate_bpm": 70 + minute % 9},
                      clock=clock)
    add_note(db, NURSE, sid, "nursing", "Calm throughout.", clock=clock)
    discharge(db, sid, clock)
    sign(db, sid, clock)
    add_addendum(db, NURSE, sid,
                 password=password_of(NURSE.username), reason="late entry",
                 text="Home safely.", clock=clock)
    signature_status(db, sid)  # warm the statement cache, as the second view on screen is

    def check() -> None:
        db.expire_all()
        assert signature_status(db, sid).valid

    # The fastest run is the check's own cost: about 4.5 ms on an idle 2-core machine, 3.5
    # of them verify_session's content hash. SLACK is for noise; a machine shared with
    # other jobs scales the target by how much slower a fixed reference ran beside it.
    fastest, slowdown = fastest_ms(check)
    assert fastest < TARGET_MS * SLACK * slowdown, (
        f"a session's check took {fastest:.1f} ms (machine {slowdown:.1f}x slower than idle)")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_days_board_checks_every_signature_in_one_pass(db: Session, clock: FakeClock) -> None:
    from ketalog.services.board import day_board

    first = book(db, clock)
    sessions = [first] + [_another_session(db, clock, first) for _ in range(7)]
    for sid in sessions:  # eight signed sessions: a full day of one chair
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
        start_infusion(db, sid, clock)
        discharge(db, sid, clock)
        sign(db, sid, clock)
    day = clock().date()
    rows = day_board(db, day, ZoneInfo("UTC"), now=clock())
    assert [r.signature.state for r in rows if r.signature] == [SignatureState.VALID] * 8
    board_runs: list[float] = []
    bare_runs: list[float] = []
    for _ in range(7):  # interleaved, so a busy moment of the machine hits both alike
        for runs, work in ((board_runs, lambda: signature_statuses(db, sessions)),
                           (bare_runs, lambda: [verify_session(db, sid) for sid in sessions])):
            db.expire_all()
            start = time.perf_counter()
            work()
            runs.append((time.perf_counter() - start) * 1000)
    # judged against the bare content check of the same sessions in the same run (as
    # DESIGN's benchmarks are): the audit evidence for the whole day is one query
    board_ms, bare_ms = min(board_runs), min(bare_runs)
    assert board_ms < bare_ms * 1.5 + 2, f"{board_ms:.1f} ms against {bare_ms:.1f} ms bare"
