"""The attacks of issue 14 on signatures, as someone with SQL access to the database runs them.

``forge_signature`` is the issue's forged sign-off: the session's state set to
signed and a physician signature inserted with the hash recomputed over the
record, so the content check alone passes, but no audit "sign" row exists.
``forge_addendum`` inserts an addendum by SQL, without its audit row.
``forge_attestation`` inserts a nursing attestation (and its audit row) by SQL;
``forge_keyed_signature`` signs a forged sign-off with a key planted by SQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Engine, bindparam, text
from sqlalchemy.orm import Session

from ketalog.services.audit import append_audit
from ketalog.services.keyed import plain_value
from ketalog.services.signing import canonical_json, session_record, sha256_text
from ketalog.store.types import UTCDateTime
from tests.staff import NURSE, PHYSICIAN


def forge_signature(db: Session, engine: Engine, session_id: int, at: datetime) -> None:
    """Mark a discharged session signed by Ada Lindqvist, MD with a recomputed hash."""
    content = canonical_json(session_record(db, session_id))
    db.rollback()  # end the read before another connection writes
    with engine.begin() as conn:  # every guard trigger in place
        conn.execute(text("UPDATE treatment_sessions SET state = 'signed' WHERE id = :sid"),
                     {"sid": session_id})
        conn.execute(text(
            "INSERT INTO signatures (session_id, signer_id, kind, meaning, signed_at_utc, "
            "content_sha256, signer_name, content_json, created_at_utc) VALUES (:sid, :uid, "
            "'physician_signature', 'Reviewed and approved', :at, :sha, 'Ada Lindqvist, MD', "
            ":content, :at)"),
            {"sid": session_id, "uid": PHYSICIAN.user_id, "at": at,
             "sha": sha256_text(content), "content": content})
    db.expire_all()


def forge_addendum(db: Session, engine: Engine, session_id: int, at: datetime,
                   text_: str = "BP was 120/80 throughout.") -> None:
    """Insert an addendum by Ada Lindqvist, MD with no audit row."""
    db.rollback()
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO addenda (session_id, author_id, written_at_utc, reason, text, "
            "created_at_utc) VALUES (:sid, :uid, :at, 'correction', :body, :at)"),
            {"sid": session_id, "uid": PHYSICIAN.user_id, "at": at, "body": text_})
    db.expire_all()


def forge_attestation(db: Session, engine: Engine, session_id: int, at: datetime) -> None:
    """Insert a nursing attestation by Nora Reyes, RN with the hash recomputed, and its audit
    row appended too (times stored as the app stores them), so only the missing key gives
    it away."""
    content = canonical_json(session_record(db, session_id))
    patient_id = db.execute(text("SELECT patient_id FROM treatment_sessions WHERE id = :sid"),
                            {"sid": session_id}).scalar_one()
    db.rollback()
    with engine.begin() as conn:
        sig_id = conn.execute(text(
            "INSERT INTO signatures (session_id, signer_id, kind, meaning, signed_at_utc, "
            "content_sha256, signer_name, content_json, created_at_utc) VALUES (:sid, 1, "
            "'nursing_attestation', 'Nursing record complete', :at, :sha, 'Nora Reyes, RN', "
            ":content, :at) RETURNING id").bindparams(bindparam("at", type_=UTCDateTime())),
            {"sid": session_id, "at": at, "sha": sha256_text(content),
             "content": content}).scalar_one()
    with Session(engine) as other:  # the audit row, appended as the app would write it
        append_audit(other, NURSE, "attest", at=at, table_name="signatures", row_id=sig_id,
                     patient_id=patient_id, field="treatment_sessions",
                     new={"session_id": session_id, "meaning": "Nursing record complete"})
        other.commit()
    db.expire_all()


def plant_key(engine: Engine, user_id: int, at: datetime) -> tuple[int, Ed25519PrivateKey]:
    """Insert a key row for ``user_id`` whose private half the attacker holds (no audit row)."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    with engine.begin() as conn:
        key_id = conn.execute(text(
            "INSERT INTO user_keys (user_id, public_key, encrypted_private_key, kdf, kdf_salt, "
            "issued_after_admin_reset, created_at_utc) VALUES (:uid, :pub, '00', "
            "'argon2id;t=2;m=19456;p=1', '00', false, :at) RETURNING id"),
            {"uid": user_id, "pub": public, "at": at}).scalar_one()
    return key_id, private


def forge_keyed_signature(db: Session, engine: Engine, session_id: int, at: datetime) -> int:
    """The forged sign-off of ``forge_signature``, signed by a key planted for Ada; its key id."""
    key_id, private = plant_key(engine, PHYSICIAN.user_id, at - timedelta(minutes=1))
    content = canonical_json(session_record(db, session_id))
    sha = sha256_text(content)
    manifest = canonical_json({
        "session_id": session_id, "kind": "physician_signature",
        "meaning": "Reviewed and approved", "signer_id": PHYSICIAN.user_id,
        "signer_name": "Ada Lindqvist, MD", "signed_at_utc": plain_value(at),
        "content_sha256": sha, "key_id": key_id})
    db.rollback()
    with engine.begin() as conn:
        conn.execute(text("UPDATE treatment_sessions SET state = 'signed' WHERE id = :sid"),
                     {"sid": session_id})
        conn.execute(text(
            "INSERT INTO signatures (session_id, signer_id, kind, meaning, signed_at_utc, "
            "content_sha256, signer_name, content_json, created_at_utc, key_id, signature) "
            "VALUES (:sid, :uid, 'physician_signature', 'Reviewed and approved', :at, :sha, "
            "'Ada Lindqvist, MD', :content, :at, :key, :sig)"),
            {"sid": session_id, "uid": PHYSICIAN.user_id, "at": at, "sha": sha,
             "content": content, "key": key_id,
             "sig": private.sign(manifest.encode("utf-8")).hex()})
    db.expire_all()
    return key_id
