"""Subjects as people type them, normalised to one canonical form before pseudonymisation.

- Address: Dutch postcode + house number + optional house letter + optional addition, the key by which
  the BAG identifies an address ("1234AB 5a", "1234 ab 5-A" and "1234AB,5A" are the same address).
- Person: BSN, nine digits passing the 11-proof (elfproef).
- Company: KvK number, eight digits.

Input is NFKC-normalised first; anything that is not then plain ASCII letters, digits, spaces and the
separators ``-``, ``,`` and ``/`` is refused, so look-alike characters (a Cyrillic 'а', a full-width
'５') cannot make one address into two pseudonyms.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from exchange.errors import InvalidInputError


class SubjectKind(enum.StrEnum):
    ADDRESS = "address"
    PERSON = "person"
    COMPANY = "company"


@dataclass(frozen=True, slots=True)
class Subject:
    kind: SubjectKind
    canonical: str  # e.g. "1234AB|5|A|", "123456782", "12345678"

    def pseudonym_input(self) -> bytes:
        """The exact bytes that are keyed-hashed: domain, format version, canonical form."""
        return f"exchange-subject-v1|{self.kind}|{self.canonical}".encode("ascii")

    def __repr__(self) -> str:
        # A subject is personal data: keep it out of reprs that end up in logs and tracebacks.
        return f"Subject({self.kind}, <redacted>)"


class SubjectError(InvalidInputError):
    """The subject is not a valid address, BSN or KvK number; the message says what is wrong."""


_ALLOWED = re.compile(r"[A-Za-z0-9 ,/\-]*")  # with fullmatch: '$' would also match before a newline
_ADDRESS = re.compile(
    r"^(?P<pc_digits>[1-9][0-9]{3})\s*(?P<pc_letters>[A-Z]{2})"
    r"[\s,]*(?P<number>[0-9]{1,5})"
    r"(?:[\s\-/]*(?P<rest>[A-Z0-9][A-Z0-9\s\-/]*))?$"
)
_REST_SEPARATORS = re.compile(r"[\s\-/]+")
# PostNL does not issue postcodes with these letter pairs.
_FORBIDDEN_POSTCODE_LETTERS = frozenset({"SA", "SD", "SS"})
MAX_INPUT = 64


def _clean(text: str, what: str) -> str:
    if len(text) > MAX_INPUT:
        raise SubjectError(f"{what} is longer than {MAX_INPUT} characters")
    norm = unicodedata.normalize("NFKC", text).strip()
    if not _ALLOWED.fullmatch(norm):
        bad = next(ch for ch in norm if not _ALLOWED.fullmatch(ch))
        raise SubjectError(f"{what} contains {bad!r} (U+{ord(bad):04X}); use plain letters and digits")
    return norm.upper()


def normalise_address(text: str) -> Subject:
    """'1234ab 5-a' -> 1234AB|5|A|. Raises :class:`SubjectError` naming the problem."""
    s = _clean(text, "the address")
    if not s:
        raise SubjectError("the address is empty")
    m = _ADDRESS.match(s)
    if m is None:
        if not re.match(r"^[1-9][0-9]{3}\s*[A-Z]{2}", s):
            raise SubjectError("the address must start with a postcode like 1234 AB")
        raise SubjectError("after the postcode comes a house number (1 to 99999), e.g. '1234 AB 5'")
    letters = m["pc_letters"]
    if letters in _FORBIDDEN_POSTCODE_LETTERS:
        raise SubjectError(f"postcodes with the letters {letters} do not exist")
    number = int(m["number"])
    if number == 0:
        raise SubjectError("house number 0 does not exist")
    letter, addition = _split_rest(m["rest"] or "")
    return Subject(SubjectKind.ADDRESS, f"{m['pc_digits']}{letters}|{number}|{letter}|{addition}")


def _split_rest(rest: str) -> tuple[str, str]:
    """House letter (one letter, BAG 'huisletter') and addition (up to four characters)."""
    if not rest:
        return "", ""
    parts = [p for p in _REST_SEPARATORS.split(rest) if p]
    if not parts:
        return "", ""
    letter = ""
    if len(parts[0]) == 1 and parts[0].isalpha():
        letter = parts.pop(0)
    addition = "".join(parts)
    if len(addition) > 4:
        raise SubjectError(f"the addition '{addition}' is longer than 4 characters")
    return letter, addition


def normalise_bsn(text: str) -> Subject:
    """A BSN: 9 digits (8 with an implied leading zero) that pass the 11-proof."""
    s = _clean(text, "the BSN").replace(" ", "").replace("-", "")
    if not s.isdigit() or len(s) not in (8, 9):
        raise SubjectError("a BSN has 9 digits")
    s = s.zfill(9)
    digits = [int(c) for c in s]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    if total % 11 != 0 or s == "000000000":
        raise SubjectError("this is not a valid BSN (it fails the 11-proof)")
    return Subject(SubjectKind.PERSON, s)


def normalise_kvk(text: str) -> Subject:
    """A KvK number: exactly 8 digits."""
    s = _clean(text, "the KvK number").replace(" ", "")
    if not s.isdigit() or len(s) != 8:
        raise SubjectError("a KvK number has exactly 8 digits")
    return Subject(SubjectKind.COMPANY, s)


def normaliser(kind: SubjectKind | str) -> Callable[[str], Subject]:
    """The normalising function for ``kind``, to apply to a whole file of one kind."""
    try:
        return _NORMALISERS[SubjectKind(kind)]
    except ValueError:
        raise SubjectError(f"unknown subject kind '{kind}'; use address, person or company") from None


def normalise(kind: SubjectKind | str, text: str) -> Subject:
    return normaliser(kind)(text)


_NORMALISERS = {
    SubjectKind.ADDRESS: normalise_address,
    SubjectKind.PERSON: normalise_bsn,
    SubjectKind.COMPANY: normalise_kvk,
}
