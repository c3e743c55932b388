"""Search keys: casefolded, accent-free names so "nunez" finds "Ñúñez"; MRNs as one key."""

from __future__ import annotations

import re
import unicodedata

#: Letters that carry a stroke or are ligatures: Unicode gives them no decomposition, so
#: stripping accents alone leaves "łukasiewicz" where a nurse types "lukasiewicz".
_FOLDED_LETTERS = str.maketrans({
    "ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ŀ": "l", "ŧ": "t",
    "ı": "i",  # noqa: RUF001 - the Turkish dotless i, folded on purpose
    "ƀ": "b", "ɨ": "i", "ʉ": "u", "þ": "th", "æ": "ae", "œ": "oe",
})
_WHITE_SPACE = re.compile(r"\s+")


def legacy_search_key(text: str) -> str:
    """The key as records were stored before letters with a stroke were folded.

    Kept so that such older records are still found by the name as written
    (their stored key keeps the "ł"); new records are stored with :func:`search_key`.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def search_key(text: str) -> str:
    """Fold case, strip accents and strokes (Ł -> l, Ø -> o, Æ -> ae); collapse white space."""
    return legacy_search_key(text).translate(_FOLDED_LETTERS)


def mrn_key(text: str) -> str:
    """An MRN as it is stored and compared: no white space at all, in capitals.

    " k 0000001 " -> "K0000001", so the same number typed twice can never
    become two patients.
    """
    return _WHITE_SPACE.sub("", text).upper()


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``.

    ``key >= prefix AND key < bound`` is a prefix match that any B-tree index
    (SQLite BINARY, PostgreSQL "C" collation) can answer without a scan.
    """
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
