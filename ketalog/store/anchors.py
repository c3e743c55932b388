"""Audit anchors: where the audit trail ended, written down outside the database.

A hash chain shows an edited or deleted row in the middle of the trail, but
not a trail whose newest rows were cut off, one emptied altogether, or one
recomputed from some row onwards: every such trail is a valid chain. An anchor
records, at a moment, the last row's id and hash and the number of rows, in a
file the database cannot reach: one JSON object per line, only ever appended,
mode 0600 beside the SQLite file (or, for PostgreSQL, in this workstation's
user data folder). ``ketalog audit verify`` checks the live trail still holds
every anchor, so a trail shortened, emptied or recomputed behind an anchor is
reported.

Each line also carries the SHA-256 of the line before it, so an anchor edited
or removed in the middle of the file is noticed too. What anchors cannot show:
rows appended after the newest anchor (the chain has no key, so a forged row
with a correct hash looks like a new one until it is dated before an anchor),
and a file deleted or rewritten as a whole by someone who can write it; the
day log prints the latest anchor on paper for that reason.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

from ketalog.store.engine import normalise_url, sqlite_path
from ketalog.store.errors import AnchorFileDamaged as AnchorFileDamaged
from ketalog.store.files import (
    PRIVATE_FILE_MODE,
    make_private_file,
    make_private_folder,
    user_folder,
)

#: Beside a SQLite file ``ketalog.sqlite3``: ``ketalog.sqlite3.audit-anchors.jsonl``.
ANCHOR_SUFFIX: Final = ".audit-anchors.jsonl"
#: Overrides the user data folder that holds the anchors of PostgreSQL databases.
ENV_DATA_DIR: Final = "KETALOG_DATA_DIR"
#: The ``prev_line_sha256`` of the first line.
FIRST_LINE: Final = "0" * 64

#: The end of the trail in one statement: last id, its hash, and the row count.
TRAIL_END_SQL: Final = (
    "SELECT (SELECT count(*) FROM audit_log), a.id, a.row_hash FROM audit_log a "
    "WHERE a.id = (SELECT max(id) FROM audit_log)")


class AnchorReason:
    """Why an anchor was written (free text in the file; these are ketalog's)."""

    VERIFY = "audit verify"
    BACKUP = "backup"
    DAILY = "daily"
    #: The database was replaced by a backup: the anchors before this one describe
    #: the database that was replaced, and are no longer checked.
    RESTORE = "restore"


@dataclass(frozen=True)
class Anchor:
    """The audit trail's end at one moment.

    Attributes:
        row_count: rows in the trail.
        last_row_id: the newest row's id (None for an empty trail).
        last_row_hash: that row's ``row_hash`` (None for an empty trail).
        anchored_at_utc: when the anchor was taken.
        reason: what took it (``audit verify``, ``backup``, ``daily``).
    """

    row_count: int
    last_row_id: int | None
    last_row_hash: str | None
    anchored_at_utc: datetime
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The fields as written to the file (time as ISO UTC)."""
        return {"row_count": self.row_count, "last_row_id": self.last_row_id,
                "last_row_hash": self.last_row_hash,
                "anchored_at_utc": self.anchored_at_utc.astimezone(UTC).isoformat(),
                "reason": self.reason}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Anchor:
        """Read one line's object (raises KeyError, ValueError or TypeError when malformed)."""
        last_id = data["last_row_id"]
        last_hash = data["last_row_hash"]
        anchor = cls(
            row_count=int(data["row_count"]),
            last_row_id=None if last_id is None else int(last_id),
            last_row_hash=None if last_hash is None else str(last_hash),
            anchored_at_utc=datetime.fromisoformat(str(data["anchored_at_utc"])),
            reason=str(data.get("reason", "")),
        )
        if anchor.anchored_at_utc.tzinfo is None or anchor.row_count < 0 \
                or (anchor.last_row_id is None) != (anchor.row_count == 0):
            raise ValueError("inconsistent anchor")
        return anchor

    @property
    def short_hash(self) -> str:
        """The first 8 hex digits of the anchored hash, as printed on paper."""
        return (self.last_row_hash or "")[:8]


def _data_folder(environ: Mapping[str, str] | None = None) -> Path:
    return user_folder("data", ENV_DATA_DIR, environ)


def anchor_file_path(url: str | URL, environ: Mapping[str, str] | None = None) -> Path | None:
    """The anchor file of the database at ``url``; None for an in-memory database.

    SQLite: beside the file. PostgreSQL: one file per server, database and
    search path (not per login: the owner and the app role share it) in the
    user data folder (``$KETALOG_DATA_DIR`` when set).
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        return None if path is None else path.with_name(path.name + ANCHOR_SUFFIX)
    where = json.dumps([parsed.host, parsed.port, parsed.database,
                        sorted((str(k), str(v)) for k, v in parsed.query.items())])
    key = hashlib.sha256(where.encode("utf-8")).hexdigest()[:12]
    name = f"postgresql-{parsed.host or 'local'}-{parsed.database or 'db'}-{key}{ANCHOR_SUFFIX}"
    return _data_folder(environ) / "anchors" / name


def _line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def read_anchors(path: Path) -> list[Anchor]:
    """Every anchor in the file, oldest first; an empty list when there is no file yet.

    Raises:
        AnchorFileDamaged: a line does not parse, or does not carry the hash of
            the line before it (an anchor was edited, removed or inserted).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    anchors: list[Anchor] = []
    previous = FIRST_LINE
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            anchor = Anchor.from_json(data)
            follows = data["prev_line_sha256"] == previous
        except (ValueError, KeyError, TypeError) as exc:
            raise AnchorFileDamaged(
                f"line {number} of the audit anchor file {path} is not an anchor "
                f"({type(exc).__name__}); the file was edited") from exc
        if not follows:
            raise AnchorFileDamaged(
                f"line {number} of the audit anchor file {path} does not follow the line "
                "before it: an anchor was edited, removed or inserted")
        anchors.append(anchor)
        previous = _line_hash(line)
    return anchors


#: Bytes read from the end of the file for :func:`latest_anchor` (a line is about 250).
_TAIL_BYTES: Final = 4096


def latest_anchor(path: Path | None) -> Anchor | None:
    """The newest anchor, or None (no file, an empty one, or a last line that is not one).

    Reads only the end of the file (it grows by a few lines a day, for years):
    for the day log and the daily check, not for verification, which reads
    every line with :func:`read_anchors`.
    """
    if path is None:
        return None
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - _TAIL_BYTES))
            lines = [line for line in f.read().splitlines() if line.strip()]
    except OSError:
        return None
    if not lines:
        return None
    try:
        return Anchor.from_json(json.loads(lines[-1]))
    except (ValueError, KeyError, TypeError):
        return None


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Append one line to the anchor file (created 0600 in a 0700 folder), flushed to disk.

    Raises:
        OSError: the file cannot be written.
    """
    if not path.parent.is_dir():
        make_private_folder(path.parent)
    make_private_file(path)
    try:
        last = path.read_bytes().splitlines()
    except FileNotFoundError:  # pragma: no cover - created just above
        last = []
    lines = [line for line in last if line.strip()]
    previous = _line_hash(lines[-1]) if lines else FIRST_LINE
    record = {**anchor.to_json(), "prev_line_sha256": previous}
    line = json.dumps(record, sort_keys=True).encode("utf-8") + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def anchor_of(row: Sequence[Any] | None, *, at: datetime, reason: str) -> Anchor:
    """The anchor for one row of :data:`TRAIL_END_SQL` (None: the trail is empty)."""
    if row is None:
        return Anchor(0, None, None, at.astimezone(UTC), reason)
    count, last_id, last_hash = row
    return Anchor(int(count), int(last_id), str(last_hash), at.astimezone(UTC), reason)


def trail_end(conn: Connection, *, at: datetime, reason: str) -> Anchor:
    """The anchor of the trail as ``conn`` sees it now."""
    return anchor_of(conn.execute(text(TRAIL_END_SQL)).first(), at=at, reason=reason)


def anchor_trail(conn: Connection, path: Path, *, at: datetime, reason: str) -> Anchor:
    """Read the trail's end through ``conn`` and append it to ``path``; return the anchor."""
    anchor = trail_end(conn, at=at, reason=reason)
    append_anchor(path, anchor)
    return anchor
