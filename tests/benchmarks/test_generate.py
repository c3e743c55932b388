"""The benchmark's generated clinic must read exactly like data the app wrote."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from ketalog.services.audit import GENESIS_HASH, AuditContent, chain_hash
from ketalog.services.audit_references import check_references
from ketalog.services.board import day_board
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.patients import search_patients
from ketalog.services.session_detail import open_session
from ketalog.store.models import AuditEntry
from tools.benchmarks.generate import generate


def test_small_generated_clinic_reads_like_app_data(tmp_path: Path) -> None:
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    clinic = generate(tmp_path / "small.sqlite3", now=now, patients=600, sessions=1200)
    assert clinic.counts["sessions"] == 1200 and clinic.counts["patients"] == 600
    engine = open_database(f"sqlite:///{clinic.path}")
    with make_sessionmaker(engine)() as db:
        board = day_board(db, now.date(), ZoneInfo("UTC"), now=now)
        assert len(board) >= 40
        assert {"infusing", "recovering", "signed", "scheduled"} <= {r.state for r in board}
        infusing = [r for r in board if r.state == "infusing"]
        assert all(r.next_vitals_due_at_utc is not None for r in infusing)
        detail = open_session(db, clinic.infusing_session_ids[0])
        assert detail.vitals and detail.vitals[0].taken_at_utc.tzinfo is not None
        assert detail.dose is not None and str(detail.dose.total_mg) == "40"
        assert search_patients(db, "s")
        previous = GENESIS_HASH
        for row in db.scalars(select(AuditEntry).order_by(AuditEntry.id).limit(200)):
            content = AuditContent(row.occurred_at_utc, row.user_id, row.username,
                                   row.workstation, row.patient_id, row.action, row.table_name,
                                   row.row_id, row.field, row.old_value, row.new_value)
            assert row.prev_hash == previous
            assert row.row_hash == chain_hash(previous, content)
            previous = row.row_hash
        # history before audit references: the rows named by audit rows have theirs
        assert check_references(db).ok
        assert db.scalar(text("SELECT count(*) FROM vital_signs WHERE audit_id IS NULL")) == 0
        # the bulk load sets the database guards aside; they must be back
        guards = db.scalar(text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                                "AND name LIKE 'ketalog_guard_%'"))
        assert guards is not None and guards > 30
    engine.dispose()
