"""Schema 0017: entries entered in error; sessions signed before still verify."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import create_engine, text

from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.session_detail import open_session
from ketalog.services.signing import session_record, verify_session

FIXTURES = Path(__file__).parent / "fixtures"
#: The columns an event flag had before 0017: what a signed record of one held.
FLAG_COLUMNS_BEFORE = {"id", "session_id", "kind", "onset_at_utc", "resolved_at_utc", "note",
                       "recorded_by_id", "created_at_utc"}


def test_sessions_signed_before_0017_still_verify(tmp_path: Path) -> None:
    copy = tmp_path / "schema_0015.sqlite3"
    shutil.copy(FIXTURES / "schema_0015.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")
    try:
        with engine.connect() as conn:
            added = conn.execute(text(
                "SELECT voided_by_id, replaces_id FROM vital_signs UNION ALL "
                "SELECT voided_at_utc, replaces_id FROM event_flags UNION ALL "
                "SELECT voided_at_utc, voided_by_id FROM patient_weights")).all()
            signed = json.loads(conn.execute(text(
                "SELECT content_json FROM signatures WHERE session_id = 2 AND "
                "kind = 'physician_signature'")).scalar_one())
        assert added and all(row == (None, None) for row in added)
        with make_sessionmaker(engine)() as db:
            check = verify_session(db, 2)  # the signed session of the fixture
            assert check.intact and not check.invalid_reasons, check.invalid_reasons
            # what was signed is what the record reads now, key for key
            assert session_record(db, 2) == signed
    finally:
        engine.dispose()


def test_an_event_flag_reads_as_before_until_it_is_marked(tmp_path: Path) -> None:
    """A session signed before 0017 with an event flag keeps its content (a flag's record)."""
    from tests.conftest import FakeClock
    from tests.play import book, start_infusion
    from tests.staff import NURSE, seed_staff

    engine = open_database(f"sqlite:///{tmp_path / 'flags.sqlite3'}")
    seed_staff(engine)
    clock = FakeClock()
    try:
        with make_sessionmaker(engine)() as db:
            from ketalog.domain.session_state import SessionAction
            from ketalog.services.corrections import mark_entered_in_error
            from ketalog.services.session.entries import flag_event
            from ketalog.services.session.state import change_state

            sid = book(db, clock)
            change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
            start_infusion(db, sid, clock)
            kept = flag_event(db, NURSE, sid, "sedation", clock=clock)
            marked = flag_event(db, NURSE, sid, "dissociation", clock=clock)
            mark_entered_in_error(db, NURSE, "event_flags", marked, "wrong chair", clock=clock)
            rows = {r["id"]: r for r in session_record(db, sid)["event_flags"]}
        assert set(rows[kept]) == FLAG_COLUMNS_BEFORE
        assert rows[marked]["void_reason"] == "wrong chair"
        assert rows[marked]["voided_by_id"] == NURSE.user_id
    finally:
        engine.dispose()


def test_the_new_fixture_holds_a_corrected_reading_and_weight(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{FIXTURES / 'schema_0017.sqlite3'}")  # read as stored
    try:
        with engine.connect() as conn:
            readings = conn.execute(text(
                "SELECT id, systolic_mmhg, void_reason, replaces_id FROM vital_signs "
                "WHERE session_id = 1 ORDER BY id")).all()
            weights = conn.execute(text(
                "SELECT id, voided_by_id, replaces_id FROM patient_weights ORDER BY id")).all()
        assert readings[1][1:] == (196, "typed 196 for 126", None)
        assert readings[2][1:] == (126, None, readings[1][0])
        assert weights == [(1, 1, None), (2, None, 1)]
    finally:
        engine.dispose()
    copy = tmp_path / "schema_0017.sqlite3"
    shutil.copy(FIXTURES / "schema_0017.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")
    try:
        with make_sessionmaker(engine)() as db:
            wrong = open_session(db, 1).vitals[1]
            assert wrong.void is not None and wrong.void.by_name == "Nora Reyes, RN"
            assert verify_session(db, 2).intact
    finally:
        engine.dispose()
