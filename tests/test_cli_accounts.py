"""`ketalog user add|list|unlock` and `ketalog verify SESSION_ID` (the done-when of issue 5)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from ketalog.cli import main
from ketalog.services.accounts import LoginRefused, authenticate
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store.models import Signature, TreatmentSession, VitalSign
from tests.tamper import tamper


@pytest.fixture
def demo_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    assert main(["--database-url", url, "demo"]) == 0
    return url


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_user_add_from_stdin_then_log_in(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, "Ñandú-über-東京-passphrase\n")
    assert main(["--database-url", sqlite_url, "user", "add", "Kim", "--role", "physician",
                 "--name", "Kim Lee", "--credentials", "MD", "--password-stdin"]) == 0
    assert "Created kim (Kim Lee, MD, physician)." in capsys.readouterr().out
    engine = open_database(sqlite_url)
    with make_sessionmaker(engine)() as db:
        assert authenticate(db, "kim", "Ñandú-über-東京-passphrase").role == "physician"
    engine.dispose()
    _stdin(monkeypatch, "another long pass\n")
    assert main(["--database-url", sqlite_url, "user", "add", "kim", "--role", "nurse",
                 "--name", "Kim Two", "--password-stdin"]) == 1
    assert "The user name 'kim' is taken." in capsys.readouterr().err
    assert main(["--database-url", sqlite_url, "user", "list"]) == 0
    assert "kim" in capsys.readouterr().out


def test_user_add_refuses_a_weak_password_and_no_terminal(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, "short\n")
    assert main(["--database-url", sqlite_url, "user", "add", "kim", "--role", "nurse",
                 "--name", "Kim", "--password-stdin"]) == 1
    assert "at least 8 characters" in capsys.readouterr().err
    _stdin(monkeypatch, "")
    assert main(["--database-url", sqlite_url, "user", "add", "kim", "--role", "nurse",
                 "--name", "Kim"]) == 1
    assert "--password-stdin" in capsys.readouterr().err


def test_user_unlock(sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, "the right password\n")
    assert main(["--database-url", sqlite_url, "user", "add", "kim", "--role", "nurse",
                 "--name", "Kim", "--password-stdin"]) == 0
    engine = open_database(sqlite_url)
    factory = make_sessionmaker(engine)
    from datetime import UTC, datetime, timedelta

    at = [datetime(2026, 11, 21, 9, tzinfo=UTC)]
    for _ in range(10):
        at[0] += timedelta(minutes=1)
        with factory() as db, pytest.raises(LoginRefused):
            authenticate(db, "kim", "wrong password", clock=lambda: at[0])
    assert main(["--database-url", sqlite_url, "user", "list"]) == 0
    assert "locked" in capsys.readouterr().out
    assert main(["--database-url", sqlite_url, "user", "unlock", "kim"]) == 0
    with factory() as db:
        assert authenticate(db, "kim", "the right password").username == "kim"
    engine.dispose()


def test_verify_says_intact_then_names_the_altered_vital(
    demo_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    engine = open_database(demo_url)
    with make_sessionmaker(engine)() as db:
        sid = db.scalar(select(Signature.session_id)
                        .where(Signature.kind == "physician_signature").limit(1))
        unsigned = db.scalar(select(TreatmentSession.id)
                             .where(TreatmentSession.state == "discharged").limit(1))
        vital = db.scalars(select(VitalSign).where(VitalSign.session_id == sid)
                           .order_by(VitalSign.id)).first()
    assert sid is not None and unsigned is not None and vital is not None
    capsys.readouterr()
    assert main(["--database-url", demo_url, "verify", str(sid)]) == 0
    out = capsys.readouterr().out
    assert f"Session {sid}: intact. Signed by Ada Lindqvist, MD" in out
    # the CLI-printed summary shows the signature and the hash
    pdf = tmp_path / "signed.pdf"
    assert main(["--database-url", demo_url, "pdf", "session", str(sid), "-o", str(pdf)]) == 0
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    digest = out.split("SHA-256 ")[1].strip().rstrip(".")
    assert "Ada Lindqvist, MD" in text and "Reviewed and approved" in text and digest in text
    assert "DRAFT" not in text

    assert main(["--database-url", demo_url, "verify", str(unsigned)]) == 2
    assert "is not signed" in capsys.readouterr().out

    tamper(engine, "UPDATE vital_signs SET heart_rate_bpm = :hr WHERE id = :id",
           hr=(vital.heart_rate_bpm or 70) + 60, id=vital.id)
    engine.dispose()
    assert main(["--database-url", demo_url, "verify", str(sid)]) == 1
    out = capsys.readouterr().out
    assert "CHANGED since it was signed" in out
    assert (f"Vital signs {vital.id}: heart_rate_bpm was {vital.heart_rate_bpm}, "
            f"now {(vital.heart_rate_bpm or 70) + 60}") in out


def test_verify_unknown_session(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", sqlite_url, "verify", "999"]) == 1
    assert "No session with id 999." in capsys.readouterr().err
