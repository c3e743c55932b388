"""`ketalog certificate show | create | import`, and what `ketalog pdf session` says about it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.cli import main
from ketalog.store.models import AuditEntry
from tests.conftest import FakeClock
from tests.helpers.certificates import pdfsig, pkcs12_file
from tests.play import discharged_session, sign
from tests.staff import password_of


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


@pytest.fixture
def url(database_url: str, db: Session) -> str:
    """A migrated database with the test staff (``db`` makes it), SQLite and PostgreSQL."""
    return database_url


@pytest.fixture
def signed(db: Session, clock: FakeClock) -> int:
    sid = discharged_session(db, clock)
    sign(db, sid, clock)
    db.rollback()
    return sid


def test_show_without_a_certificate_says_how_to_make_one(
        url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", url, "certificate", "show"]) == 0
    assert "ketalog certificate create --user NAME" in capsys.readouterr().out


def test_pdf_session_says_it_is_unsigned_without_a_certificate_then_signs_once_created(
        url: str, db: Session, signed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.pdf"
    assert main(["--database-url", url, "pdf", "session", str(signed), "-o", str(out)]) == 0
    assert ("Note: not digitally signed: this database has no clinic document certificate"
            in capsys.readouterr().out)
    _stdin(monkeypatch, password_of("admin") + "\n")
    assert main(["--database-url", url, "certificate", "create", "--user", "admin",
                 "--password-stdin"]) == 0
    made = capsys.readouterr().out
    assert "Issued a new clinic document certificate" in made
    assert "subject:      CN=ketalog clinic documents" in made
    assert "SHA-256:" in made and "Issuer (clinic CA)" in made
    assert main(["--database-url", url, "pdf", "session", str(signed), "-o", str(out)]) == 0
    assert "carries the clinic's digital signature" in capsys.readouterr().out
    assert "Signature is Valid" in pdfsig(out.read_bytes(), tmp_path)
    assert out.stat().st_mode & 0o777 == 0o600
    assert main(["--database-url", url, "certificate", "show"]) == 0
    shown = capsys.readouterr().out
    fingerprint = next(line for line in made.splitlines() if "SHA-256" in line)
    assert fingerprint in shown
    db.rollback()
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.table_name == "clinic_certificates")).all()
    assert actions == ["certificate_created", "certificate_created"]


@pytest.mark.parametrize(("user", "password", "expected"), [
    ("nora", password_of("nora"), "Only an administrator can create or import the clinic's "
     "document certificate"),
    ("admin", "wrong", "The user name or password is wrong."),
    ("nobody", "x", "No account 'nobody'."),
])
def test_create_is_for_an_administrator_with_their_password(
        url: str, user: str, password: str, expected: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, password + "\n")
    assert main(["--database-url", url, "certificate", "create", "--user", user,
                 "--password-stdin"]) == 1
    assert expected in capsys.readouterr().err
    assert main(["--database-url", url, "certificate", "show"]) == 0
    assert "No clinic document certificate" in capsys.readouterr().out


def test_import_reads_the_administrators_then_the_files_password(
        url: str, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    p12 = tmp_path / "clinic.p12"
    p12.write_bytes(pkcs12_file(b"file-pass", clock))
    _stdin(monkeypatch, f"{password_of('admin')}\nwrong\n")
    assert main(["--database-url", url, "certificate", "import", str(p12), "--user", "admin",
                 "--password-stdin"]) == 1
    assert "could not be opened as PKCS#12" in capsys.readouterr().err
    _stdin(monkeypatch, f"{password_of('admin')}\nfile-pass\n")
    assert main(["--database-url", url, "certificate", "import", str(p12), "--user", "admin",
                 "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert f"Imported {p12}" in out
    assert "subject:      CN=Clinic docs" in out and "CN=Hospital Group Root" in out
    assert main(["--database-url", url, "certificate", "import", str(tmp_path / "none.p12"),
                 "--user", "admin", "--password-stdin"]) == 1
    assert "Cannot read" in capsys.readouterr().err
