"""Search keys: casefolded, accent-free names so "nunez" finds "Ñúñez"."""

from __future__ import annotations

import re
import unicodedata


def search_key(text: str) -> str:
    """Fold case and strip accents; collapse inner white space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def person_key(name: str) -> str:
    """A person's name reduced for comparison: no credentials, accents, case or punctuation.

    "Nora Reyes, RN" and "nora  reyes" give the same key, so a nurse cannot
    verify their own dose by typing their name slightly differently.
    """
    bare = name.split(",")[0]
    folded = unicodedata.normalize("NFKD", bare).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.findall(r"[a-z0-9]+", folded))


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``.

    ``key >= prefix AND key < bound`` is a prefix match that any B-tree index
    (SQLite BINARY, PostgreSQL "C" collation) can answer without a scan.
    """
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
