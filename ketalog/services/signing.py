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

from sqlalchemy.orm import Session

from ketalog.services.audit import json_default
from ketalog.services.session_detail import SessionDetail, open_session


def canonical_session_bytes(detail: SessionDetail) -> bytes:
    """Serialise a session for hashing; signatures and version are left out."""
    data = dataclasses.asdict(detail)
    for volatile in ("signatures", "version", "state"):
        data.pop(volatile, None)
    text = json.dumps(data, sort_keys=True, default=json_default, ensure_ascii=False)
    return text.encode("utf-8")


def session_content_sha256(db: Session, session_id: int) -> str:
    """SHA-256 over the canonical form of the session as stored now."""
    return hashlib.sha256(canonical_session_bytes(open_session(db, session_id))).hexdigest()
