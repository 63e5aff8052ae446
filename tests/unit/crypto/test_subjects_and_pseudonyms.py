"""Subjects are normalised the same whatever the spelling; pseudonyms match the known answers."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchange.crypto.pseudonym import PseudonymKey, parse_pseudonym, pseudonymise
from exchange.crypto.subjects import SubjectError, SubjectKind, normalise, normalise_address, normalise_bsn
from exchange.errors import InvalidInputError

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "pseudonym-v1.json").read_text())
KEY = PseudonymKey("pit", 1, bytes.fromhex(VECTORS["key"]))


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["input"])
def test_known_answers(case: dict[str, str]) -> None:
    """Each vector normalises to its canonical form and keyed-hashes to its pseudonym."""
    subject = normalise(case["kind"], case["input"])
    assert subject.canonical == case["canonical"]
    assert str(pseudonymise(subject, KEY)) == case["pseudonym"]


def test_pseudonym_is_plain_hmac_sha256_of_documented_input() -> None:
    """The pseudonym is HMAC-SHA256 over 'exchange-subject-v1|kind|canonical', recomputed independently."""
    import base64

    mac = hmac.new(KEY.key, b"exchange-subject-v1|address|1234AB|5|A|", hashlib.sha256).digest()
    expected = "v1:" + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    assert str(pseudonymise(normalise_address("1234ab 5a"), KEY)) == expected


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["input"])
def test_invalid_subjects(case: dict[str, str]) -> None:
    """Invalid subjects are refused with a message naming what is wrong."""
    with pytest.raises(SubjectError, match=re.escape(case["want_err"])):
        normalise(case["kind"], case["input"])


def test_other_errors() -> None:
    """Unknown kinds, empty input and overlong input are refused."""
    with pytest.raises(SubjectError, match="unknown subject kind"):
        normalise("vehicle", "AB-12-CD")
    with pytest.raises(SubjectError, match="empty"):
        normalise_address("   ")
    with pytest.raises(SubjectError, match="longer than 64"):
        normalise_address("1234AB " + "1" * 70)
    with pytest.raises(SubjectError, match="a BSN has 9 digits"):
        normalise_bsn("12345678a")


def test_subject_repr_hides_value() -> None:
    """A subject's repr never shows the address."""
    assert "1234" not in repr(normalise_address("1234AB 5"))


def test_keys_and_parsing() -> None:
    """Key and pseudonym formats are checked."""
    with pytest.raises(InvalidInputError, match="32 bytes"):
        PseudonymKey("pit", 1, b"short")
    with pytest.raises(InvalidInputError, match="start at 1"):
        PseudonymKey("pit", 0, b"k" * 32)
    p = pseudonymise(normalise_address("1234AB 5"), KEY)
    assert parse_pseudonym(str(p)) == p
    non_ascii = (
        "v1:" + "é" * 43,
        "v1:" + "٣" * 43,
        "v١:" + "a" * 43,
        "v+1:" + "a" * 43,
    )  # isalnum/isdigit pass these
    for bad in ("x1:abc", "v1:short", "v:" + "a" * 43, "v1:" + "!" * 43, "nocolon", *non_ascii):
        with pytest.raises(InvalidInputError):
            parse_pseudonym(bad)
    assert pseudonymise(normalise_address("1234AB 5"), PseudonymKey.generate("pit")) != p


postcodes = st.builds(
    lambda d, l1, l2: f"{d}{l1}{l2}",
    st.integers(1000, 9999),
    st.sampled_from("ABCDEFGHJKLMNPRTUVWXYZ"),
    st.sampled_from("ABCDEFGHJKLMNPRTUVWXYZ"),
)
numbers = st.integers(1, 99999)
letters = st.sampled_from(["", "a", "B"])
spaces = st.sampled_from(["", " ", "  ", ", "])


@given(postcodes, numbers, letters, spaces, spaces, st.booleans())
def test_spellings_converge(pc: str, number: int, letter: str, sep1: str, sep2: str, dash: bool) -> None:
    """Different spacing, case and separators give the same canonical address."""
    plain = normalise_address(f"{pc} {number}{letter}")
    spelled = f"{pc[:4]}{sep1.strip(',')}{pc[4:].lower()}{sep2 or ' '}{number}{'-' if dash and letter else ''}{letter}"
    assert normalise_address(spelled) == plain


@given(st.text(max_size=30))
def test_normalisation_is_idempotent_or_refuses(text: str) -> None:
    """Normalising the canonical spelling again gives the same subject; anything else is a SubjectError."""
    try:
        s = normalise_address(text)
    except SubjectError:
        return
    pc, number, letter, addition = s.canonical.split("|")
    assert normalise_address(f"{pc} {number} {letter} {addition}".strip()) == s


@given(st.text(alphabet=st.characters(min_codepoint=0x80), min_size=1, max_size=3))
def test_non_ascii_look_alikes_refused(extra: str) -> None:
    """Characters that do not NFKC-normalise to plain ASCII are refused, never silently dropped."""
    text = f"1234AB 5{extra}"
    norm = unicodedata.normalize(
        "NFKC", text
    ).strip()  # Unicode whitespace at the ends is trimmed, like a space
    if norm.isascii():
        return
    with pytest.raises(SubjectError):
        normalise_address(text)


@given(st.integers(0, 99999999))
def test_bsn_11_proof(n: int) -> None:
    """A BSN is accepted exactly when its weighted digit sum is divisible by 11 (and not all zeros)."""
    digits = f"{n:08d}"
    for last in range(10):
        s = digits + str(last)
        total = sum(int(d) * w for d, w in zip(s[:8], range(9, 1, -1), strict=True)) - last
        valid = total % 11 == 0 and s != "000000000"
        if valid:
            assert normalise_bsn(s).canonical == s
            assert normalise(SubjectKind.PERSON, s).kind is SubjectKind.PERSON
        else:
            with pytest.raises(SubjectError):
                normalise_bsn(s)
