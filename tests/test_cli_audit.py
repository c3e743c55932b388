"""``ketalog audit verify`` and ``ketalog audit report``, run as a user would."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from ketalog.cli import main
from ketalog.services.audit import append_audit
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.patients import register_patient
from ketalog.store.models import AuditEntry
from tests.conftest import FakeClock
from tests.staff import NURSE, PHYSICIAN, seed_staff
from tests.tamper import tamper


@pytest.fixture
def clinic(database_url: str, seeded_database: None) -> str:
    """A database with two patients registered and one edit, all on 2030-11-21 (UTC)."""
    engine = open_database(database_url)
    seed_staff(engine)
    clock = FakeClock(datetime(2030, 11, 21, 9, 0, tzinfo=UTC))
    with make_sessionmaker(engine)() as db:
        register_patient(db, NURSE, family_name="Ñúñez", given_name="José",
                         birth_date=date(1980, 3, 14), mrn="MRN-A", clock=clock)
        clock.advance(5)
        b = register_patient(db, PHYSICIAN, family_name="Ångström", given_name="Zoë",
                             birth_date=date(1975, 1, 2), mrn="MRN-B", clock=clock)
        clock.advance(5)
        append_audit(db, PHYSICIAN, "update", at=clock(), table_name="patients", row_id=b.id,
                     patient_id=b.id, field="phone", old="555-0100", new="555-0199")
        db.commit()
    engine.dispose()
    return database_url


def _audit_ids(url: str) -> list[int]:
    engine = open_database(url)
    with engine.connect() as conn:
        ids = list(conn.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))
    engine.dispose()
    return ids


def test_verify_intact_then_broken(clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _audit_ids(clinic)
    assert main(["--database-url", clinic, "audit", "verify"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"Audit trail intact: {len(ids)} rows."

    engine = open_database(clinic)
    victim = ids[-2]  # the second registration
    tamper(engine, "UPDATE audit_log SET new_value = 'nothing to see' WHERE id = :id", id=victim)
    engine.dispose()
    assert main(["--database-url", clinic, "audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"row {victim}: its content does not match its hash (edited)" in out
    assert "2030-11-21 09:05:00 UTC" in out and "'create'" in out


def test_verify_names_the_row_after_a_deletion(clinic: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    ids = _audit_ids(clinic)
    engine = open_database(clinic)
    tamper(engine, "DELETE FROM audit_log WHERE id = :id", id=ids[-2])
    engine.dispose()
    assert main(["--database-url", clinic, "audit", "verify"]) == 1
    assert (f"row {ids[-1]}: it does not follow row {ids[-3]}"
            in capsys.readouterr().out)


def test_report_table(clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", clinic, "audit", "report", "--from", "2030-11-21",
                 "--to", "2030-11-21"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Audit trail from 2030-11-21 to 2030-11-21") and "3 rows" in lines[0]
    header = lines[1]
    for title in ("UTC", "Local", "User", "Workstation", "Patient", "Action",
                  "Table/row/field", "Old -> new"):
        assert title in header
    body = lines[3:]
    assert len(body) == 3
    assert body[0].startswith("2030-11-21 09:00:00") and " nora " in body[0]
    assert "MRN-A" in body[0] and '"family_name": "Ñúñez"' in body[0]
    assert body[2].endswith("555-0100 -> 555-0199") and "patients/" in body[2]


def test_report_filters_by_user_and_patient(clinic: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    period = ["--from", "2030-11-01", "--to", "2030-11-30"]
    assert main(["--database-url", clinic, "audit", "report", *period, "--user", "ada"]) == 0
    out = capsys.readouterr().out
    assert "2 rows" in out and " nora " not in out
    assert main(["--database-url", clinic, "audit", "report", *period,
                 "--patient", "MRN-A"]) == 0
    out = capsys.readouterr().out
    assert "1 row." in out and "MRN-B" not in out
    assert main(["--database-url", clinic, "audit", "report", "--from", "2030-12-01",
                 "--to", "2030-12-02"]) == 0
    assert "No audit rows" in capsys.readouterr().out


def test_report_refusals_are_one_line(clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    period = ["--from", "2030-11-01", "--to", "2030-11-30"]
    assert main(["--database-url", clinic, "audit", "report", *period, "--user", "bob"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ketalog: There is no user 'bob'") and len(err.splitlines()) == 1
    assert main(["--database-url", clinic, "audit", "report", *period,
                 "--patient", "K999"]) == 1
    assert "No patient has the MRN 'K999'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["--database-url", clinic, "audit", "report", "--from", "21.11.2030",
              "--to", "2030-11-30"])
    assert exit_info.value.code == 2
    assert "'21.11.2030' is not a date; use YYYY-MM-DD" in capsys.readouterr().err


def test_report_csv(clinic: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "audit.csv"
    period = ["--from", "2030-11-21", "--to", "2030-11-21"]
    assert main(["--database-url", clinic, "audit", "report", *period,
                 "--csv", str(target)]) == 1
    assert "does not exist; nothing was written" in capsys.readouterr().err
    assert not target.parent.exists()

    target.parent.mkdir()
    assert main(["--database-url", clinic, "audit", "report", *period,
                 "--csv", str(target)]) == 0
    assert "Wrote 3 audit rows" in capsys.readouterr().out
    with target.open(encoding="utf-8-sig", newline="") as f:
        records = list(csv.DictReader(f))
    assert [r["username"] for r in records] == ["nora", "ada", "ada"]
    assert records[2]["old_value"] == "555-0100" and records[2]["new_value"] == "555-0199"
    assert records[1]["patient_name"] == "Ångström, Zoë"
