"""A SQLite database as text to search for plaintext, with its blobs decoded rather than in hex.

`iterdump` writes a blob as `X'…'` hex: a planted secret stored as a blob would not be found, and a
short digit string such as a postal code's "5702" turns up by chance inside the hex of a hash.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

_BLOB = re.compile(r"X'([0-9A-Fa-f]*)'")


def sqlite_text(path: Path) -> str:
    """Every statement of the dump, each blob replaced by its bytes read as UTF-8 (invalid bytes as U+FFFD)."""
    with sqlite3.connect(path) as db:
        dump = "\n".join(db.iterdump())
    return _BLOB.sub(lambda m: bytes.fromhex(m[1]).decode("utf-8", "replace"), dump)


#: The planted postcodes as a person or the normaliser writes them. A bare "5701" is no needle: it
#: turns up by chance in hex case ids and digests.
POSTCODES = ("5701 AB", "5701AB", "5701 ab", "5702 CD", "5702CD")


def holds_postcode(data: str | bytes) -> bool:
    """True if `data` holds one of the planted postcodes in any of its spellings."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    return any(p in text for p in POSTCODES)
