"""`ketalog verify` and `ketalog pdf session` never present a signature that does not hold.

Issue 14, "a tampered session prints as signed": a record changed after
signing, a forged sign-off (state set by SQL, signature inserted with the hash
recomputed) and an addendum inserted by SQL are each reported by `verify`
(exit 1) and printed as SIGNATURE NOT VALID on every page; on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ketalog.cli import main
from ketalog.services.signing import complete_nursing_record
from ketalog.store.guards import repair_guards
from ketalog.store.models import VitalSign
from tests.conftest import FakeClock
from tests.forgery import forge_addendum, forge_signature
from tests.play import discharged_session, sign
from tests.staff import NURSE, password_of
from tests.tamper import tamper

NOT_VALID = "SIGNATURE NOT VALID"


@pytest.fixture
def discharged(db: Session, clock: FakeClock) -> int:
    """A first IV infusion played through the services up to discharge."""
    return discharged_session(db, clock)


@pytest.fixture
def signed(db: Session, clock: FakeClock, discharged: int) -> int:
    """The same session, completed and signed by Ada Lindqvist, MD."""
    sign(db, discharged, clock)
    db.rollback()
    return discharged


def _pages(database_url: str, sid: int, tmp_path: Path) -> list[str]:
    out = tmp_path / f"session-{sid}.pdf"
    assert main(["--database-url", database_url, "pdf", "session", str(sid), "-o",
                 str(out)]) == 0
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(out).pages]


def _change_a_vital(db: Session, engine: Engine, sid: int) -> int:
    vital_id = db.scalars(select(VitalSign.id).where(VitalSign.session_id == sid)
                          .order_by(VitalSign.id)).first()
    assert vital_id is not None
    db.rollback()
    tamper(engine, "UPDATE vital_signs SET heart_rate_bpm = 140 WHERE id = :id", id=vital_id)
    with engine.begin() as conn:  # the attacker puts the guards back afterwards
        repair_guards(conn)
    return vital_id


def test_verify_exits_0_when_intact_and_2_when_not_signed(
    database_url: str, db: Session, clock: FakeClock, discharged: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--database-url", database_url, "verify", str(discharged)]) == 2
    assert "is not signed" in capsys.readouterr().out
    sign(db, discharged, clock)
    db.rollback()
    assert main(["--database-url", database_url, "verify", str(discharged)]) == 0
    assert f"Session {discharged}: intact. Signed by Ada Lindqvist, MD" in (
        capsys.readouterr().out)


def test_a_tampered_session_is_reported_and_prints_not_valid_on_every_page(
    database_url: str, db: Session, engine: Engine, signed: int, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert all(NOT_VALID not in page for page in _pages(database_url, signed, tmp_path))
    vital_id = _change_a_vital(db, engine, signed)
    assert main(["--database-url", database_url, "verify", str(signed)]) == 1
    out = capsys.readouterr().out
    assert f"{NOT_VALID}: the record was changed after signing" in out
    assert f"Vital signs {vital_id}: heart_rate_bpm was 72, now 140" in out
    pages = _pages(database_url, signed, tmp_path)
    assert all(f"{NOT_VALID}: the record was changed after signing" in page for page in pages)
    text = " ".join(pages)
    assert "Status signed" not in text
    assert f"Vital signs {vital_id}: heart_rate_bpm was 72, now 140" in text


def test_a_forged_signature_is_reported_and_prints_not_valid(
    database_url: str, db: Session, engine: Engine, clock: FakeClock, discharged: int,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    complete_nursing_record(db, NURSE, discharged,
                            password=password_of(NURSE.username), clock=clock)
    forge_signature(db, engine, discharged, clock.advance(30))
    assert main(["--database-url", database_url, "verify", str(discharged)]) == 1
    out = capsys.readouterr().out
    assert "intact" not in out
    assert f"{NOT_VALID}: the signature is not made with the signer's key" in out
    assert "no audit trail entry" in out
    pages = _pages(database_url, discharged, tmp_path)
    assert all(NOT_VALID in page for page in pages)


def test_an_addendum_inserted_by_sql_is_reported_and_prints_not_valid(
    database_url: str, db: Session, engine: Engine, clock: FakeClock, signed: int,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    forge_addendum(db, engine, signed, clock.advance(60))
    assert main(["--database-url", database_url, "verify", str(signed)]) == 1
    out = capsys.readouterr().out
    assert f"{NOT_VALID}: addendum 1 by Ada Lindqvist, MD at " in out
    assert "addendum 1 has no audit trail entry" in out
    pages = [" ".join(page.split()) for page in _pages(database_url, signed, tmp_path)]
    assert all(f"{NOT_VALID}: addendum 1 by Ada Lindqvist, MD at " in page for page in pages)


def test_the_day_log_does_not_count_a_forged_signature_as_signed(
    database_url: str, db: Session, engine: Engine, clock: FakeClock, discharged: int,
    tmp_path: Path,
) -> None:
    complete_nursing_record(db, NURSE, discharged,
                            password=password_of(NURSE.username), clock=clock)
    forge_signature(db, engine, discharged, clock.advance(30))
    out = tmp_path / "day.pdf"
    assert main(["--database-url", database_url, "pdf", "day", clock().date().isoformat(),
                 "-o", str(out)]) == 0
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(out).pages)
    assert "✓ signed" not in text
    assert "NOT VALID" in text
    assert "Signed 0 sessions" in text
    assert f"{NOT_VALID} 1 session: " in text and "signer's key" in text
