"""The content hash a signature covers.

The accounts issue fixes the final canonical serialisation and the
verification command; this gives signatures a hash over the whole session
as the session view loads it (header, dose, events, every vital, scores,
flags, notes), independent of dict order and number formatting.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from ketalog.services.board import SessionDetail, open_session


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def canonical_session_bytes(detail: SessionDetail) -> bytes:
    """Serialise a session for hashing; signatures and version are left out."""
    data = dataclasses.asdict(detail)
    for volatile in ("signatures", "version", "state"):
        data.pop(volatile, None)
    return json.dumps(data, sort_keys=True, default=_plain, ensure_ascii=False).encode("utf-8")


def session_content_sha256(db: Session, session_id: int) -> str:
    """SHA-256 over the canonical form of the session as stored now."""
    return hashlib.sha256(canonical_session_bytes(open_session(db, session_id))).hexdigest()
