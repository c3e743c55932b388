"""Keyed signatures (issue 14, item 1): no signature row written without the signer's password
verifies, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.services.accounts import authenticate, change_own_password, reset_password
from ketalog.services.booking import schedule_session
from ketalog.services.keys import KeyUnavailable, active_key, list_keys, unlock
from ketalog.services.session.state import change_state
from ketalog.services.signing import (
    ADMIN_RESET_NOTE,
    PHYSICIAN_SIGNATURE,
    canonical_json,
    complete_nursing_record,
    session_record,
    sha256_text,
    sign_session,
    verify_session,
)
from ketalog.store.models import AuditEntry, Signature, TreatmentSession, UserKey
from tests.conftest import FakeClock
from tests.helpers.timing import fastest_ms
from tests.play import discharge, start_infusion
from tests.services.test_signing import PASSWORD, discharged, first_vital, signed
from tests.staff import ADMIN, NURSE, PHYSICIAN, password_of
from tests.tamper import tamper

__all__ = ["discharged", "signed"]  # fixtures shared with test_signing

TEMPORARY = "temporary-pass-2026"
NEW_PASSWORD = "ada-own-new-passphrase"


def _forge_signature(engine: Engine, db: Session, sid: int, **extra: object) -> None:
    """The issue's attack: state 'signed' plus a signatures row with the recomputed hash,
    with every guard in place (the session is not signed yet, so both are allowed)."""
    body = canonical_json(session_record(db, sid))
    db.rollback()
    columns = {"session_id": sid, "signer_id": PHYSICIAN.user_id, "kind": PHYSICIAN_SIGNATURE,
               "meaning": "Reviewed and approved", "signed_at_utc": "2026-11-21 12:00:00",
               "content_sha256": sha256_text(body), "signer_name": "Ada Lindqvist, MD",
               "content_json": body, "created_at_utc": "2026-11-21 12:00:00", **extra}
    with engine.begin() as conn:
        conn.execute(text("UPDATE treatment_sessions SET state = 'signed' WHERE id = :sid"),
                     {"sid": sid})
        conn.execute(text(f"INSERT INTO signatures ({', '.join(columns)}) "
                          f"VALUES ({', '.join(':' + c for c in columns)})"), columns)


def test_a_signature_inserted_by_sql_does_not_verify(
    engine: Engine, db: Session, clock: FakeClock, discharged: int
) -> None:
    complete_nursing_record(db, NURSE, discharged,
                            password=password_of(NURSE.username), clock=clock)
    _forge_signature(engine, db, discharged)
    result = verify_session(db, discharged)
    assert result.signed and not result.intact and result.changed
    assert any("not made with the signer's key" in r for r in result.invalid_reasons)


def test_a_forged_signature_naming_the_physicians_real_key_does_not_verify(
    engine: Engine, db: Session, clock: FakeClock, discharged: int, signed: int
) -> None:
    # Ada has signed once, so she has a key; the forger names it and fakes the signature
    key = active_key(db, PHYSICIAN.user_id)
    assert key is not None
    other = discharged_again(db, clock)
    complete_nursing_record(db, NURSE, other, password=password_of(NURSE.username), clock=clock)
    _forge_signature(engine, db, other, key_id=key.id, signature="ab" * 64)
    result = verify_session(db, other)
    assert not result.intact
    assert result.invalid_reasons == (
        "the cryptographic signature does not match the signed content",)


def discharged_again(db: Session, clock: FakeClock) -> int:
    """Another session played to discharge, for a second signature."""
    course = db.scalars(select(TreatmentSession.course_id)).first()
    assert course is not None
    sid = schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                           scheduled_at=clock(), clock=clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, sid, clock)
    discharge(db, sid, clock)
    return sid


def test_rewriting_the_signature_after_an_edit_does_not_verify(
    engine: Engine, db: Session, signed: int
) -> None:
    vital_id = first_vital(db, signed).id
    db.rollback()
    tamper(engine, "UPDATE vital_signs SET systolic_mmhg = 118 WHERE id = :id", id=vital_id)
    body = canonical_json(session_record(db, signed))
    db.rollback()
    tamper(engine, "UPDATE signatures SET content_json = :body, content_sha256 = :sha "
           "WHERE session_id = :sid AND kind = 'physician_signature'",
           body=body, sha=sha256_text(body), sid=signed)
    result = verify_session(db, signed)
    assert result.current_sha256 == result.signed_sha256  # the hash alone now agrees
    assert not result.intact
    assert result.invalid_reasons == (
        "the cryptographic signature does not match the signed content",)


def test_a_signature_by_another_persons_key_does_not_verify(
    engine: Engine, db: Session, clock: FakeClock, signed: int
) -> None:
    # Nora's own key, honestly made by her password, re-pointed at Ada's signature
    complete_nursing_record(db, NURSE, discharged_again(db, clock),
                            password=password_of(NURSE.username), clock=clock)
    nurse_key = db.scalar(select(UserKey.id).where(UserKey.user_id == NURSE.user_id))
    if nurse_key is None:  # staff accounts predate keys: a key is issued at first signature
        from ketalog.services.keys import issue_key
        from ketalog.store.models import User

        nora = db.get(User, NURSE.user_id)
        assert nora is not None
        nurse_key = issue_key(db, NURSE, nora, "nora-test-pass", now=clock()).id
        db.commit()
    db.rollback()
    tamper(engine, "UPDATE signatures SET key_id = :key WHERE session_id = :sid "
           "AND kind = 'physician_signature'", key=nurse_key, sid=signed)
    result = verify_session(db, signed)
    assert "the signing key belongs to another person than the signer" in result.invalid_reasons


def test_a_real_signature_verifies_quickly(db: Session, signed: int) -> None:
    result = verify_session(db, signed)
    assert result.intact and not result.invalid_reasons and not result.legacy
    sig = db.scalars(select(Signature).where(Signature.kind == PHYSICIAN_SIGNATURE)).one()
    assert sig.key_id is not None and sig.signature and len(sig.signature) == 128
    fastest, slowdown = fastest_ms(lambda: verify_session(db, signed))
    # 50 ms is generous (a few ms idle); a loaded machine scales it by its slowdown
    assert fastest < 50 * slowdown, f"{fastest:.1f} ms, machine {slowdown:.1f}x slower than idle"


def test_keys_are_audited_and_the_key_rows_are_guarded(
    engine: Engine, db: Session, signed: int
) -> None:
    key = active_key(db, PHYSICIAN.user_id)
    assert key is not None
    key_id = key.id
    audit = db.scalars(select(AuditEntry).where(AuditEntry.table_name == "user_keys",
                                                AuditEntry.row_id == key_id)).all()
    assert [a.action for a in audit] == ["key_created"]
    db.rollback()
    with engine.connect() as conn:
        with pytest.raises(DBAPIError, match="signing key is never deleted"):
            conn.execute(text("UPDATE user_keys SET public_key = :p WHERE id = :id"),
                         {"p": "00" * 32, "id": key_id})
        conn.rollback()
        with pytest.raises(DBAPIError, match="signing key is never deleted"):
            conn.execute(text("DELETE FROM user_keys WHERE id = :id"), {"id": key_id})
        conn.rollback()
        with pytest.raises(DBAPIError, match="never changed or deleted"):
            conn.execute(text("INSERT INTO legacy_signatures (signature_id, content_sha256) "
                              "SELECT id, content_sha256 FROM signatures"))
        conn.rollback()
        with pytest.raises(DBAPIError, match="never changed or deleted"):
            conn.execute(text("UPDATE signatures SET key_id = NULL"))


def test_an_administrators_reset_retires_the_key_and_forces_a_new_password(
    db: Session, clock: FakeClock, discharged: int, signed: int
) -> None:
    old_key = active_key(db, PHYSICIAN.user_id)
    assert old_key is not None
    old_key_id = old_key.id
    clock.advance(60)
    reset_password(db, ADMIN, "ada", TEMPORARY, clock=clock)
    retired = db.get(UserKey, old_key_id, populate_existing=True)
    assert retired is not None and retired.retired_at_utc is not None
    new_key = active_key(db, PHYSICIAN.user_id)
    assert new_key is not None and new_key.issued_after_admin_reset
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.table_name == "user_keys")
                         .order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["key_retired", "key_created"]
    # what Ada signed before the reset still verifies, not marked
    assert verify_session(db, signed).intact
    assert not verify_session(db, signed).key_issued_after_admin_reset

    # the administrator knows the temporary password, but cannot sign with it
    assert authenticate(db, "ada", TEMPORARY, clock=clock).must_change_password
    other = discharged_again(db, clock)
    complete_nursing_record(db, NURSE, other, password=password_of(NURSE.username), clock=clock)
    with pytest.raises(TransitionRefused, match="choose a new password"):
        sign_session(db, PHYSICIAN, other, password=TEMPORARY, clock=clock)
    db.rollback()

    with pytest.raises(ValidationError, match="different"):
        change_own_password(db, PHYSICIAN, TEMPORARY, TEMPORARY, clock=clock)
    db.rollback()
    change_own_password(db, PHYSICIAN, TEMPORARY, NEW_PASSWORD, clock=clock)
    assert not authenticate(db, "ada", NEW_PASSWORD, clock=clock).must_change_password
    sign_session(db, PHYSICIAN, other, password=NEW_PASSWORD, clock=clock)
    result = verify_session(db, other)
    assert result.intact and result.key_issued_after_admin_reset
    assert ADMIN_RESET_NOTE in result.notes


def test_a_password_change_re_encrypts_the_key(
    db: Session, clock: FakeClock, discharged: int, signed: int
) -> None:
    key = active_key(db, PHYSICIAN.user_id)
    assert key is not None
    unlock(key, PASSWORD)
    change_own_password(db, PHYSICIAN, PASSWORD, NEW_PASSWORD, clock=clock)
    key = active_key(db, PHYSICIAN.user_id)
    assert key is not None and not key.issued_after_admin_reset
    with pytest.raises(KeyUnavailable):
        unlock(key, PASSWORD)
    unlock(key, NEW_PASSWORD)
    other = discharged_again(db, clock)
    complete_nursing_record(db, NURSE, other, password=password_of(NURSE.username), clock=clock)
    sign_session(db, PHYSICIAN, other, password=NEW_PASSWORD, clock=clock)
    assert verify_session(db, other).intact
    assert len(db.scalars(select(UserKey).where(UserKey.user_id == PHYSICIAN.user_id)).all()) == 1


def test_the_administrator_cannot_read_a_private_key(db: Session, signed: int) -> None:
    key = active_key(db, PHYSICIAN.user_id)
    assert key is not None
    for guess in ("admin-test-pass", "", key.kdf_salt):
        with pytest.raises(KeyUnavailable):
            unlock(key, guess)
    [row] = [r for r in list_keys(db, ADMIN) if r.username == "ada"]
    assert row.retired_at_utc is None and len(row.fingerprint) == 39
