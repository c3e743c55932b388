"""The audit trail anchored outside the database (issue 14, item 4b).

A hash chain alone said "Audit trail intact" after its newest rows were
deleted, after every row was deleted (on a database full of patients), and
after the chain was recomputed from an edited row. Each attack here is run as
an attacker would (guards dropped, raw SQL) and ``ketalog audit verify`` must
now report it, because the anchor file outside the database remembers where
the trail ended.
"""

from __future__ import annotations

import json
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from ketalog.cli import main
from ketalog.services.audit import AuditContent, append_audit, chain_hash
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.patients import register_patient
from ketalog.store.anchors import anchor_file_path, read_anchors
from ketalog.store.guards import repair_guards
from ketalog.store.models import AuditEntry
from tests.conftest import FakeClock
from tests.staff import NURSE, PHYSICIAN, seed_staff
from tests.tamper import disable_guards, tamper


@pytest.fixture
def clinic(database_url: str, seeded_database: None) -> str:
    """Three patients registered, one edit: four audit rows, all on 2030-11-21 (UTC)."""
    engine = open_database(database_url)
    seed_staff(engine)
    clock = FakeClock(datetime(2030, 11, 21, 9, 0, tzinfo=UTC))
    with make_sessionmaker(engine)() as db:
        for n, (family, given) in enumerate((("Ñúñez", "José"), ("Ångström", "Zoë"),
                                             ("Okafor", "Ada"))):
            patient = register_patient(db, NURSE, family_name=family, given_name=given,
                                       birth_date=date(1980, 3, 14), mrn=f"MRN-{n}",
                                       clock=clock)
            clock.advance(5)
        append_audit(db, PHYSICIAN, "update", at=clock(), table_name="patients",
                     row_id=patient.id, patient_id=patient.id, field="phone",
                     old="555-0100", new="555-0199")
        db.commit()
    engine.dispose()
    return database_url


def _verify(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--database-url", url, "audit", "verify"])
    return code, capsys.readouterr().out


def _ids(url: str) -> list[int]:
    engine = open_database(url)
    with engine.connect() as conn:
        ids = list(conn.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))
    engine.dispose()
    return ids


def _anchor_file(url: str) -> Path:
    path = anchor_file_path(url)
    assert path is not None
    return path


def test_verify_anchors_the_trail_in_a_private_file(
        clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _ids(clinic)
    code, out = _verify(clinic, capsys)
    assert code == 0, out
    assert out.splitlines()[0] == f"Audit trail intact: {len(ids)} rows."
    path = _anchor_file(clinic)
    assert f"Anchored at row {ids[-1]} ({len(ids)} rows) in {path}." in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [anchor] = read_anchors(path)
    assert (anchor.last_row_id, anchor.row_count, anchor.reason) == (
        ids[-1], len(ids), "audit verify")

    code, out = _verify(clinic, capsys)
    assert code == 0 and "It holds its anchor." in out
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["last_row_id"] == ids[-1] for line in lines)


def test_deleted_tail_is_reported(clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _ids(clinic)
    assert _verify(clinic, capsys)[0] == 0
    engine = open_database(clinic)
    tamper(engine, "DELETE FROM audit_log WHERE id >= :id", id=ids[-2])
    engine.dispose()

    code, out = _verify(clinic, capsys)
    assert code == 1
    assert "Audit trail NOT intact" in out
    assert (f"row {ids[-1]}, anchored on" in out and f"as the last of {len(ids)} rows, is gone; "
            f"the trail now has {len(ids) - 2} rows: it was shortened or emptied" in out)
    assert len(read_anchors(_anchor_file(clinic))) == 1  # a broken trail is never anchored


def test_audit_ids_never_repeat(clinic: str) -> None:
    """SQLite handed the id of a deleted last row to the next row; AUTOINCREMENT does not."""
    ids = _ids(clinic)
    engine = open_database(clinic)
    tamper(engine, "DELETE FROM audit_log WHERE id = :id", id=ids[-1])
    with make_sessionmaker(engine)() as db:
        entry = append_audit(db, NURSE, "view", at=datetime(2030, 11, 22, tzinfo=UTC))
        db.commit()
        assert entry.id > ids[-1]
    engine.dispose()


def test_deleted_tail_refilled_with_new_rows_is_reported(
        clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Rows deleted from the end and as many appended again: the count up to the anchor tells."""
    ids = _ids(clinic)
    assert _verify(clinic, capsys)[0] == 0
    engine = open_database(clinic)
    tamper(engine, "DELETE FROM audit_log WHERE id >= :id", id=ids[-2])
    with make_sessionmaker(engine)() as db:
        for _ in range(4):
            append_audit(db, NURSE, "view", at=datetime(2030, 11, 22, tzinfo=UTC))
        db.commit()
    engine.dispose()
    code, out = _verify(clinic, capsys)
    assert code == 1 and f"row {ids[-1]}, anchored on" in out and "is gone" in out


def test_emptied_trail_is_reported_without_any_anchor(
        clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    engine = open_database(clinic)
    tamper(engine, "DELETE FROM audit_log")
    engine.dispose()
    assert not _anchor_file(clinic).exists()

    code, out = _verify(clinic, capsys)
    assert code == 1
    assert "Audit trail intact" not in out  # the chain alone said so
    assert ("the audit trail is empty, but the database holds 3 patients and 0 sessions, each "
            "of which wrote audit rows: the trail was emptied") in out
    assert not _anchor_file(clinic).exists()


def test_emptied_trail_is_reported_by_the_anchor(
        clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _ids(clinic)
    assert _verify(clinic, capsys)[0] == 0
    engine = open_database(clinic)
    tamper(engine, "DELETE FROM audit_log")
    tamper(engine, "DELETE FROM patients")
    engine.dispose()
    code, out = _verify(clinic, capsys)
    assert code == 1 and f"row {ids[-1]}, anchored on" in out
    assert "the trail now has 0 rows: it was shortened or emptied" in out


def _recompute_chain_from(url: str, row_id: int, new_value: str) -> None:
    """Edit one row, then rewrite every hash from it on, as an attacker with the code would."""
    engine = open_database(url)
    disable_guards(engine)
    with engine.begin() as conn:
        rows = conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.id)).all()
        prev = None
        for row in rows:
            if row.id < row_id:
                prev = row.row_hash
                continue
            content = AuditContent(
                occurred_at_utc=row.occurred_at_utc.replace(tzinfo=UTC)
                if row.occurred_at_utc.tzinfo is None else row.occurred_at_utc,
                user_id=row.user_id, username=row.username, workstation=row.workstation,
                patient_id=row.patient_id, action=row.action, table_name=row.table_name,
                row_id=row.row_id, field=row.field, old_value=row.old_value,
                new_value=new_value if row.id == row_id else row.new_value)
            assert prev is not None
            digest = chain_hash(prev, content)
            conn.execute(text("UPDATE audit_log SET new_value = :v, prev_hash = :p, "
                              "row_hash = :h WHERE id = :id"),
                         {"v": content.new_value, "p": prev, "h": digest, "id": row.id})
            prev = digest
    engine.dispose()


def test_chain_recomputed_from_a_row_is_reported(
        clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _ids(clinic)
    assert _verify(clinic, capsys)[0] == 0
    _recompute_chain_from(clinic, ids[1], "nothing to see")

    code, out = _verify(clinic, capsys)
    assert code == 1
    assert f"Audit trail intact: {len(ids)} rows." not in out.splitlines()[0]
    assert "the rows form an unbroken chain, but the trail is not the one that was recorded" in out
    assert (f"row {ids[-1]} no longer has the hash anchored on" in out
            and "the chain was recomputed from that row or one before it" in out)


def test_forged_row_dated_before_an_anchor_is_reported(
        clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A row appended with a correct chain hash, but dated into the anchored past."""
    ids = _ids(clinic)
    assert _verify(clinic, capsys)[0] == 0
    anchored = read_anchors(_anchor_file(clinic))[0].anchored_at_utc
    engine = open_database(clinic)
    with make_sessionmaker(engine)() as db:
        forged = append_audit(db, PHYSICIAN, "sign", at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
                              table_name="treatment_sessions", row_id=1)
        db.commit()
        forged_id = forged.id
    engine.dispose()
    assert anchored > datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

    code, out = _verify(clinic, capsys)
    assert code == 1
    assert (f"row {forged_id} is dated 2026-01-05 10:00 UTC, before the anchor of" in out
            and f"that ended at row {ids[-1]}: it was added afterwards" in out)


def test_edited_anchor_file_is_reported(clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _verify(clinic, capsys)[0] == 0
    assert _verify(clinic, capsys)[0] == 0
    path = _anchor_file(clinic)
    first, second = path.read_text().splitlines()
    edited = json.loads(first)
    edited["row_count"] = 1
    path.write_text(json.dumps(edited, sort_keys=True) + "\n" + second + "\n")

    code, out = _verify(clinic, capsys)
    assert code == 1
    assert (f"line 2 of the audit anchor file {path} does not follow the line before it: an "
            "anchor was edited, removed or inserted") in out


def test_backup_anchors_the_trail(clinic: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "copies"
    target.mkdir()
    suffix = "sqlite3" if clinic.startswith("sqlite") else "dump"
    assert main(["--database-url", clinic, "backup", str(target / f"b.{suffix}")]) == 0
    out = capsys.readouterr().out
    ids = _ids(clinic)
    [anchor] = read_anchors(_anchor_file(clinic))
    # the anchor includes the audit row that records the backup
    assert (anchor.reason, anchor.last_row_id, anchor.row_count) == ("backup", ids[-1], len(ids))
    assert f"Anchored the audit trail at row {ids[-1]}" in out


def test_daily_backup_anchors_the_trail(sqlite_url: str) -> None:
    from ketalog.store.backup import daily_backup

    engine = open_database(sqlite_url)
    seed_staff(engine)
    with make_sessionmaker(engine)() as db:
        register_patient(db, NURSE, family_name="Okafor", given_name="Ada",
                         birth_date=date(1980, 3, 14), mrn="MRN-1",
                         clock=FakeClock(datetime(2030, 11, 21, 9, 0, tzinfo=UTC)))
    engine.dispose()
    result = daily_backup(sqlite_url, today=date(2030, 11, 21))
    assert result.taken is not None, result.message
    path = _anchor_file(sqlite_url)
    [anchor] = read_anchors(path)
    ids = _ids(sqlite_url)
    assert (anchor.reason, anchor.row_count, anchor.last_row_id) == ("backup", len(ids), ids[-1])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_day_log_prints_the_latest_anchor(clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    from ketalog.services.pdf import produce_pdf
    from ketalog.services.settings import clinic_timezone

    def footer() -> str:
        engine = open_database(clinic)
        with make_sessionmaker(engine)() as db:
            pdf = produce_pdf(db, "day", date(2030, 11, 21))
        engine.dispose()
        text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
        return " ".join(text.split())

    assert "Audit anchor: none taken yet (run 'ketalog audit verify')." in footer()
    assert _verify(clinic, capsys)[0] == 0
    anchor = read_anchors(_anchor_file(clinic))[-1]
    engine = open_database(clinic)
    with make_sessionmaker(engine)() as db:
        tz = clinic_timezone(db)
    engine.dispose()
    when = anchor.anchored_at_utc.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    assert anchor.last_row_hash is not None
    assert (f"Audit anchor: row {anchor.last_row_id}, hash {anchor.last_row_hash[:8]}..., "
            f"{when} ({anchor.row_count} rows, audit verify).") in footer()


def test_day_log_anchor_of_the_day_prints_its_time() -> None:
    from zoneinfo import ZoneInfo

    from ketalog.reports.base import Clinic
    from ketalog.reports.day_log import anchor_line
    from ketalog.services.documents import DayLogData
    from ketalog.store.anchors import Anchor

    anchor = Anchor(57, 61, "abcd1234" + "0" * 56, datetime(2030, 11, 21, 17, 2, tzinfo=UTC),
                    "backup")
    data = DayLogData(Clinic("Riverside", "", ""), ZoneInfo("Europe/Berlin"),
                      date(2030, 11, 21), (), None, anchor)
    assert anchor_line(data) == ("Audit anchor: row 61, hash abcd1234..., 18:02 "
                                 "(57 rows, backup).")


def test_daily_anchor_when_the_newest_is_a_day_old(clinic: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import timedelta

    from ketalog.services.audit_anchors import start_daily_anchor

    engine = open_database(clinic)
    now = datetime(2030, 11, 21, 18, 0, tzinfo=UTC)
    worker = start_daily_anchor(engine, now=now)
    assert worker is not None
    worker.join(10)
    [first] = read_anchors(_anchor_file(clinic))
    assert (first.reason, first.anchored_at_utc) == ("daily", now)
    assert first.row_count == len(_ids(clinic))
    assert start_daily_anchor(engine, now=now + timedelta(hours=23)) is None  # not due yet
    worker = start_daily_anchor(engine, now=now + timedelta(hours=25))
    assert worker is not None
    worker.join(10)
    assert [a.reason for a in read_anchors(_anchor_file(clinic))] == ["daily", "daily"]
    engine.dispose()
    assert _verify(clinic, capsys)[0] == 0  # the daily anchors hold


def test_restore_starts_the_anchors_again(sqlite_url: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Rows after a backup are gone after its restore: the earlier anchors no longer count."""
    engine = open_database(sqlite_url)
    seed_staff(engine)
    engine.dispose()
    copy = tmp_path / "copy.sqlite3"
    assert main(["--database-url", sqlite_url, "backup", str(copy)]) == 0
    engine = open_database(sqlite_url)
    with make_sessionmaker(engine)() as db:
        register_patient(db, NURSE, family_name="Okafor", given_name="Ada",
                         birth_date=date(1980, 3, 14), mrn="MRN-1",
                         clock=FakeClock(datetime(2030, 11, 21, 9, 0, tzinfo=UTC)))
    engine.dispose()
    assert _verify(sqlite_url, capsys)[0] == 0
    assert main(["--database-url", sqlite_url, "restore", "--yes", str(copy)]) == 0
    assert "Anchored the audit trail at row" in capsys.readouterr().out

    code, out = _verify(sqlite_url, capsys)
    assert code == 0, out
    assert [a.reason for a in read_anchors(_anchor_file(sqlite_url))] == [
        "backup", "audit verify", "restore", "audit verify"]


def test_db_check_and_db_test_report_a_trail_that_lost_its_anchor(
        clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Start-of-day checks say "OK" only while the trail still holds every anchor."""
    ids = _ids(clinic)
    assert _verify(clinic, capsys)[0] == 0
    assert main(["--database-url", clinic, "db", "check"]) == 0
    assert "the audit trail holds its 1 anchor" in capsys.readouterr().out
    assert main(["db", "test", "--database-url", clinic]) == 0
    assert "OK" in capsys.readouterr().out

    engine = open_database(clinic, check_guards=False)
    tamper(engine, "DELETE FROM audit_log WHERE id >= :id", id=ids[-2])
    with engine.begin() as conn:
        repair_guards(conn)  # and the guards put back, as a careful attacker would
    engine.dispose()
    assert main(["--database-url", clinic, "db", "check"]) != 0
    captured = capsys.readouterr()
    assert "shortened or emptied" in captured.out + captured.err
    assert main(["db", "test", "--database-url", clinic]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM" in out and "shortened or emptied" in out
