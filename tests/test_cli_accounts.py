"""`ketalog user add|list|unlock` and `ketalog verify SESSION_ID` (the done-when of issue 5)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from ketalog.cli import main
from ketalog.services.accounts import LoginRefused, authenticate
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store.models import Signature, TreatmentSession, User, VitalSign
from tests.helpers.databases import copy_demo_clinic
from tests.tamper import tamper


@pytest.fixture
def demo_url(tmp_path: Path) -> str:
    """A copy of the run's demo clinic, as ``ketalog demo`` builds it, for this test alone."""
    return copy_demo_clinic(tmp_path / "demo.sqlite3")


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


@pytest.fixture
def clinic_url(sqlite_url: str) -> str:
    """A new clinic, as the app's first start makes it: these commands create none (issue 18)."""
    open_database(sqlite_url).dispose()
    return sqlite_url


def test_user_add_from_stdin_then_log_in(
    clinic_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, "Ñandú-über-東京-passphrase\n")
    assert main(["--database-url", clinic_url, "user", "add", "Kim", "--role", "physician",
                 "--name", "Kim Lee", "--credentials", "MD", "--password-stdin"]) == 0
    assert "Created kim (Kim Lee, MD, physician)." in capsys.readouterr().out
    engine = open_database(clinic_url)
    with make_sessionmaker(engine)() as db:
        assert authenticate(db, "kim", "Ñandú-über-東京-passphrase").role == "physician"
    engine.dispose()
    _stdin(monkeypatch, "another long pass\n")
    assert main(["--database-url", clinic_url, "user", "add", "kim", "--role", "nurse",
                 "--name", "Kim Two", "--password-stdin"]) == 1
    assert "The user name 'kim' is taken." in capsys.readouterr().err
    assert main(["--database-url", clinic_url, "user", "list"]) == 0
    assert "kim" in capsys.readouterr().out


def test_user_add_refuses_a_weak_password_and_no_terminal(
    clinic_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, "short\n")
    assert main(["--database-url", clinic_url, "user", "add", "kim", "--role", "nurse",
                 "--name", "Kim", "--password-stdin"]) == 1
    assert "at least 8 characters" in capsys.readouterr().err
    _stdin(monkeypatch, "")
    assert main(["--database-url", clinic_url, "user", "add", "kim", "--role", "nurse",
                 "--name", "Kim"]) == 1
    assert "--password-stdin" in capsys.readouterr().err


def test_user_unlock(clinic_url: str, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, "the right password\n")
    assert main(["--database-url", clinic_url, "user", "add", "kim", "--role", "nurse",
                 "--name", "Kim", "--password-stdin"]) == 0
    engine = open_database(clinic_url)
    factory = make_sessionmaker(engine)
    from datetime import UTC, datetime, timedelta

    at = [datetime(2026, 11, 21, 9, tzinfo=UTC)]
    for _ in range(10):
        at[0] += timedelta(minutes=1)
        with factory() as db, pytest.raises(LoginRefused):
            authenticate(db, "kim", "wrong password", clock=lambda: at[0])
    assert main(["--database-url", clinic_url, "user", "list"]) == 0
    assert "locked" in capsys.readouterr().out
    assert main(["--database-url", clinic_url, "user", "unlock", "kim"]) == 0
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


def test_verify_unknown_session(clinic_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", clinic_url, "verify", "999"]) == 1
    assert "No session with id 999." in capsys.readouterr().err


def test_a_forged_signature_is_reported_not_valid(
    demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's attack with every guard in place: mark a session signed and insert a
    signature row with the recomputed hash; ``verify`` must not call it intact."""
    from sqlalchemy import text

    from ketalog.services.signing import canonical_json, session_record, sha256_text

    engine = open_database(demo_url)
    with make_sessionmaker(engine)() as db:
        sid = db.scalar(select(TreatmentSession.id)
                        .where(TreatmentSession.state == "discharged").limit(1))
        assert sid is not None
        body = canonical_json(session_record(db, sid))
        ada = db.scalar(select(User.id).where(User.username == "physician"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE treatment_sessions SET state = 'signed' WHERE id = :s"),
                     {"s": sid})
        conn.execute(text(
            "INSERT INTO signatures (session_id, signer_id, kind, meaning, signed_at_utc, "
            "content_sha256, signer_name, content_json, created_at_utc) VALUES (:s, :ada, "
            "'physician_signature', 'Reviewed and approved', '2026-11-21 12:00:00', :sha, "
            "'Ada Lindqvist, MD', :body, '2026-11-21 12:00:00')"),
            {"s": sid, "ada": ada, "sha": sha256_text(body), "body": body})
    engine.dispose()
    capsys.readouterr()
    assert main(["--database-url", demo_url, "verify", str(sid)]) == 1
    out = capsys.readouterr().out
    assert (f"Session {sid}: SIGNATURE NOT VALID: the signature is not made with the "
            "signer's key") in out
    assert "intact" not in out


def test_keys_list_and_an_administrators_reset(
    demo_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["--database-url", demo_url, "keys", "list"]) == 0
    before = capsys.readouterr().out
    ada = [line for line in before.splitlines() if " physician " in line]
    assert len(ada) == 1 and "in use" in ada[0] and "Ada Lindqvist" in ada[0]
    [fingerprint] = re.findall(r"\b(?:[0-9a-f]{4}:){7}[0-9a-f]{4}\b", ada[0])
    _stdin(monkeypatch, "temporary-pass-2026\n")
    assert main(["--database-url", demo_url, "user", "reset-password", "physician",
                 "--password-stdin"]) == 0
    assert "old signing key is retired" in capsys.readouterr().out
    assert main(["--database-url", demo_url, "keys", "list"]) == 0
    after = [line for line in capsys.readouterr().out.splitlines() if " physician " in line]
    assert len(after) == 2
    assert fingerprint in after[0] and "in use" not in after[0]
    assert "in use" in after[1] and "(issued after an administrator reset)" in after[1]
    engine = open_database(demo_url)
    with make_sessionmaker(engine)() as db:
        assert authenticate(db, "physician", "temporary-pass-2026").must_change_password
    engine.dispose()
