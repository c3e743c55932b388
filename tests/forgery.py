"""The attacks of issue 14 on signatures, as someone with SQL access to the database runs them.

``forge_signature`` is the issue's forged sign-off: the session's state set to
signed and a physician signature inserted with the hash recomputed over the
record, so the content check alone passes, but no audit "sign" row exists.
``forge_addendum`` inserts an addendum by SQL, without its audit row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from ketalog.services.signing import canonical_json, session_record, sha256_text
from tests.staff import PHYSICIAN


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
