"""Subject pseudonyms: HMAC-SHA256 of the normalised subject under a per-covenant key.

The parties of a covenant share its pseudonym key; the hub never holds it, so it sees only
pseudonyms. Keys have versions; a pseudonym carries the version it was made with. HMAC-SHA256 was
chosen over keyed BLAKE2b for interoperability (docs/adr/0005-pseudonyms-hmac-sha256.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from exchange.crypto import sodium
from exchange.crypto.subjects import Subject, SubjectKind
from exchange.errors import InvalidInputError
from exchange.vocabulary import SubjectPseudonym

KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class PseudonymKey:
    covenant: str
    version: int
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            raise InvalidInputError(f"a pseudonym key has {KEY_BYTES} bytes")
        if self.version < 1:
            raise InvalidInputError("pseudonym key versions start at 1")

    @classmethod
    def generate(cls, covenant: str, version: int = 1) -> PseudonymKey:
        return cls(covenant, version, sodium.random_bytes(KEY_BYTES))


def pseudonymise(subject: Subject, key: PseudonymKey) -> SubjectPseudonym:
    mac = hmac.new(key.key, subject.pseudonym_input(), hashlib.sha256).digest()
    value = base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")
    return SubjectPseudonym(key.version, value)


def parse_pseudonym(text: str) -> SubjectPseudonym:
    """'v1:<43 base64url chars>' -> SubjectPseudonym. Raises on anything else."""
    version, sep, value = text.partition(":")
    if not sep or not _VERSION.fullmatch(version) or len(value) != 43:
        raise InvalidInputError("a pseudonym looks like 'v1:' followed by 43 base64url characters")
    if not _VALUE.fullmatch(value):
        raise InvalidInputError("a pseudonym value is base64url")
    return SubjectPseudonym(int(version[1:]), value)


_VERSION = re.compile(r"v[0-9]{1,9}")
_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")  # ASCII only: str.isalnum would let 'é' or '٣' through


def pseudonymise_all(kind: SubjectKind, canonicals: Iterable[str], key: PseudonymKey) -> Iterator[str]:
    """``str(pseudonymise(Subject(kind, c), key))`` for each canonical form ``c``, for a whole index
    at a time: the key's HMAC state is made once and copied per subject, the same bytes go in."""
    base = hmac.new(key.key, f"exchange-subject-v1|{kind}|".encode("ascii"), hashlib.sha256)
    prefix = f"v{key.version}:"
    encode = base64.urlsafe_b64encode
    for canonical in canonicals:
        h = base.copy()
        h.update(canonical.encode("ascii"))
        yield prefix + encode(h.digest())[:-1].decode("ascii")
