"""Hearing that another workstation changed something, without re-reading everything.

PostgreSQL pushes: schema 0005's triggers send ``NOTIFY ketalog_changes`` with
``<schema>:data`` after every audit row (every change writes one) and
``<schema>:presence`` after a presence change, delivered when the writing
transaction commits. :class:`PostgresChangeFeed` holds one dedicated
connection that LISTENs.

SQLite has no notifications; :class:`SqliteChangeFeed` polls what the other
connections committed: ``PRAGMA data_version`` (no lock, microseconds) and,
only when it moved, the newest audit row and the presence rows.

Both are used from one background thread each (see ``ketalog.ui.core.live``);
neither is thread-safe.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.engine import URL

from ketalog.store import encryption
from ketalog.store.engine import normalise_url, sqlite_path

CHANNEL = "ketalog_changes"
DATA = "data"
PRESENCE = "presence"


class ChangeFeed(Protocol):
    """Waits for changes made by any connection, this workstation's included."""

    def wait(self, timeout_s: float) -> set[str]:
        """Block up to ``timeout_s``; return the kinds of change seen (may be empty)."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class PostgresChangeFeed:
    """LISTEN on a connection of its own (autocommit, so notifications arrive at once)."""

    def __init__(self, url: str | URL) -> None:
        import psycopg

        parsed = normalise_url(url).set(drivername="postgresql")
        conninfo = parsed.render_as_string(hide_password=False)
        self._conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=5,
                                     application_name="ketalog-listen")
        try:
            row = self._conn.execute("SELECT current_schema()").fetchone()
            self._prefix = f"{row[0] if row else 'public'}:"
            self._conn.execute(f"LISTEN {CHANNEL}")
        except BaseException:
            self._conn.close()
            raise

    def wait(self, timeout_s: float) -> set[str]:
        """Notifications for this database's schema that arrive within ``timeout_s``."""
        kinds: set[str] = set()
        for note in self._conn.notifies(timeout=timeout_s, stop_after=1):
            self._take(note.payload, kinds)
        # drain whatever else is already here without waiting again
        for note in self._conn.notifies(timeout=0.0):
            self._take(note.payload, kinds)
        return kinds

    def _take(self, payload: str, kinds: set[str]) -> None:
        if payload.startswith(self._prefix):
            kinds.add(payload[len(self._prefix):])

    def close(self) -> None:
        """Close the listening connection."""
        self._conn.close()


class SqliteChangeFeed:
    """Polls the file through a read-only connection of its own.

    ``data_version`` changes whenever another connection commits; the audit
    head and the presence rows then tell a clinical change from a heartbeat.
    """

    def __init__(self, url: str | URL, poll_s: float = 0.5) -> None:
        path = sqlite_path(normalise_url(url))
        if path is None:
            raise ValueError("An in-memory SQLite database has no other connections to watch.")
        self._conn = encryption.connect(f"{path.as_uri()}?mode=ro", encryption.key_for_file(path),
                                        uri=True, isolation_level=None, check_same_thread=True)
        self._poll_s = poll_s
        self._version = self._data_version()
        self._audit_head, self._presence = self._heads()

    def _data_version(self) -> int:
        row = self._conn.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def _heads(self) -> tuple[int, tuple[object, ...]]:
        audit = self._conn.execute("SELECT max(id) FROM audit_log").fetchone()[0] or 0
        presence = tuple(self._conn.execute(
            "SELECT id, session_id, seen_at_utc FROM session_presence ORDER BY id").fetchall())
        return int(audit), presence

    def wait(self, timeout_s: float) -> set[str]:
        """Sleep in short polls until something changed or ``timeout_s`` passed."""
        import time

        deadline = time.monotonic() + timeout_s
        while True:
            version = self._data_version()
            if version != self._version:
                self._version = version
                audit, presence = self._heads()
                kinds = set()
                if audit != self._audit_head:
                    kinds.add(DATA)
                if presence != self._presence:
                    kinds.add(PRESENCE)
                self._audit_head, self._presence = audit, presence
                if kinds:
                    return kinds
            left = deadline - time.monotonic()
            if left <= 0:
                return set()
            time.sleep(min(self._poll_s, left))

    def close(self) -> None:
        """Close the polling connection."""
        self._conn.close()


def open_change_feed(url: str | URL) -> ChangeFeed:
    """The feed that suits the database behind ``url``."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return SqliteChangeFeed(parsed)
    return PostgresChangeFeed(parsed)
