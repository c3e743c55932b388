"""The long reads of the audit trail stream in batches, in reading sessions (issue 18)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from ketalog.services import audit_trail
from ketalog.services.audit import append_audit
from ketalog.services.audit_anchors import verify_anchored
from ketalog.services.database import make_reading_sessionmaker, make_sessionmaker
from ketalog.services.errors import NotFound
from ketalog.store.models import AuditEntry
from tests.staff import NURSE

DAY = date(2030, 11, 21)
ZONE = ZoneInfo("UTC")


def _write(engine: Engine, count: int, start: datetime) -> None:
    with make_sessionmaker(engine)() as db:
        for n in range(count):
            append_audit(db, NURSE, "view", at=start + timedelta(minutes=n),
                         table_name="patients", row_id=n + 1)
        db.commit()


def _ids_on(engine: Engine, day: date) -> list[int]:
    start, end = audit_trail.day_bounds_utc(day, day, ZONE)
    with make_sessionmaker(engine)() as db:
        return list(db.scalars(select(AuditEntry.id).where(
            AuditEntry.occurred_at_utc >= start, AuditEntry.occurred_at_utc < end)
            .order_by(AuditEntry.id)))


def test_a_report_reads_batch_by_batch_and_misses_no_row(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _write(engine, 11, datetime(2030, 11, 21, 9, 0, tzinfo=UTC))
    monkeypatch.setattr(audit_trail, "BATCH_ROWS", 4)
    expected = _ids_on(engine, DAY)
    assert len(expected) == 11
    with make_reading_sessionmaker(engine)() as db:
        rows = audit_trail.audit_report_rows(db, date_from=DAY, date_to=DAY, tz=ZONE)
        first = [next(rows) for _ in range(4)]
        # a save between two batches waits for nothing, and the stream goes on after it
        _write(engine, 1, datetime(2030, 11, 21, 12, 0, tzinfo=UTC))
        rest = list(rows)
    assert [r.id for r in first + rest] == _ids_on(engine, DAY)
    assert [r.id for r in first + rest][:11] == expected
    with make_reading_sessionmaker(engine)() as db:
        written = audit_trail.write_audit_csv(
            audit_trail.audit_report_rows(db, date_from=DAY, date_to=DAY, tz=ZONE),
            tmp_path / "day.csv", tz=ZONE)
    assert written.rows == 12
    with written.path.open(encoding="utf-8-sig", newline="") as handle:
        assert [int(r[0]) for r in list(csv.reader(handle))[1:]] == _ids_on(engine, DAY)


def test_a_report_refuses_a_bad_filter_before_reading_any_row(engine: Engine) -> None:
    with make_reading_sessionmaker(engine)() as db, pytest.raises(NotFound):
        audit_trail.audit_report_rows(db, date_from=DAY, date_to=DAY, username="nobody",
                                      tz=ZONE)


def test_audit_verify_runs_whole_in_a_reading_session(engine: Engine, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _write(engine, 9, datetime(2030, 11, 21, 9, 0, tzinfo=UTC))
    monkeypatch.setattr(audit_trail, "BATCH_ROWS", 4)
    with make_reading_sessionmaker(engine)() as db:
        report = verify_anchored(db, now=datetime(2030, 11, 21, 18, 0, tzinfo=UTC),
                                 path=tmp_path / "anchors")
    assert report.ok, report.lines()
    with make_sessionmaker(engine)() as db:
        everything = db.scalar(select(func.count()).select_from(AuditEntry))
    assert report.chain.rows_checked == everything
    assert report.new_anchor is not None
