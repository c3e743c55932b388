"""Search keys: casefolded, accent-free names so "nunez" finds "Ñúñez"."""

from __future__ import annotations

import unicodedata


def search_key(text: str) -> str:
    """Fold case and strip accents; collapse inner white space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``.

    ``key >= prefix AND key < bound`` is a prefix match that any B-tree index
    (SQLite BINARY, PostgreSQL "C" collation) can answer without a scan.
    """
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
