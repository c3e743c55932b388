"""Schema 0010: the open-session lists read an index, not every session ever held."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from ketalog.services.database import open_database

OPEN_SESSIONS = ("SELECT id FROM treatment_sessions WHERE state IN ('checked_in', 'infusing', "
                 "'paused', 'recovering', 'stopped_early', 'discharged') "
                 "ORDER BY scheduled_at_utc")


def test_the_open_sessions_are_found_through_the_state_index(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    try:
        with engine.connect() as conn:
            plan = " ".join(str(row[-1]) for row in conn.execute(
                text(f"EXPLAIN QUERY PLAN {OPEN_SESSIONS}")))
    finally:
        engine.dispose()
    assert "ix_treatment_sessions_state" in plan, plan
    assert "SCAN treatment_sessions" not in plan.replace("USING", ""), plan
