"""Receipts: known-answer and tampered vectors, strict parsing, and the body's log indexes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exchange.audit.receipt import (
    ReceiptError,
    ReceiptSigner,
    check_indexes,
    check_origin,
    leaves_digest,
    log_indexes,
    open_receipt,
    parse_message,
    receipt_for,
)
from exchange.errors import InvalidInputError

V = json.loads((Path(__file__).parents[2] / "vectors" / "receipt-v1.json").read_text())
PUBLIC = base64.b64decode(V["public"])
TIME = datetime(2026, 11, 30, 18, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("vector", V["valid"], ids=lambda v: f"first={v['first']}")
def test_known_answers(vector: dict[str, object]) -> None:
    """The seed signs exactly the stated header; it opens to the stated range, digest and time."""
    signer = ReceiptSigner.from_seed(bytes.fromhex(V["seed"]))
    assert signer.public == PUBLIC
    leaves = [bytes.fromhex(str(h)) for h in vector["leaf_hashes"]]  # type: ignore[attr-defined]  # a JSON list
    first = int(str(vector["first"]))
    r = receipt_for(str(vector["origin"]), [(first + i, h) for i, h in enumerate(leaves)], TIME)
    assert r.message().decode() == vector["message"]
    assert signer.sign(r.message()) == vector["header"]
    opened = open_receipt(str(vector["header"]), PUBLIC)
    assert opened == r
    assert leaves_digest(leaves).hex() == vector["digest"]


@pytest.mark.parametrize("vector", V["tampered"], ids=lambda v: v["name"])
def test_tampered_receipts_are_refused(vector: dict[str, str]) -> None:
    with pytest.raises(ReceiptError, match=vector["want_err"]):
        open_receipt(vector["header"], PUBLIC)


@pytest.mark.parametrize("vector", V["bodies"], ids=lambda v: v["name"])
def test_body_indexes_must_lie_in_the_range(vector: dict[str, object]) -> None:
    r = open_receipt(str(vector["header"]), PUBLIC)
    indexes = log_indexes(vector["body"])
    if "want_err" in vector:
        with pytest.raises(ReceiptError, match=str(vector["want_err"])):
            check_indexes(r, indexes)
    else:
        check_indexes(r, indexes)


def test_log_indexes_are_found_anywhere_but_not_as_booleans() -> None:
    doc = {"log_index": 1, "a": [{"log_index": 2}, {"b": {"log_index": 3}}], "c": {"log_index": True}}
    assert log_indexes(doc) == [1, 2, 3]
    assert log_indexes("text") == []


def test_a_receipt_needs_consecutive_events() -> None:
    with pytest.raises(InvalidInputError, match="at least one"):
        receipt_for("o", [], TIME)
    with pytest.raises(InvalidInputError, match="consecutive"):
        receipt_for("o", [(1, bytes(32)), (3, bytes(32))], TIME)


@pytest.mark.parametrize(
    ("message", "want"),
    [
        (b"\xff", "not UTF-8"),
        (b"exchange-receipt/v1\n", "six lines"),
        (b"exchange-receipt/v1\n \n1\n1\nAAAA\n2026-01-01T00:00:00.000000Z\n", "origin"),
        (b"exchange-receipt/v1\no\n01\n1\nAAAA\n2026-01-01T00:00:00.000000Z\n", "index range"),
        (b"exchange-receipt/v1\no\n1\n1\n!!!!\n2026-01-01T00:00:00.000000Z\n", "not base64"),
        (b"exchange-receipt/v1\no\n1\n1\nAAAA\n2026-01-01T00:00:00.000000Z\n", "32 bytes"),
        (
            b"exchange-receipt/v1\no\n1\n1\n"
            + base64.b64encode(bytes(32))
            + b"\n2026-02-30T00:00:00.000000Z\n",
            "valid date",
        ),
    ],
)
def test_the_message_has_one_form(message: bytes, want: str) -> None:
    with pytest.raises(ReceiptError, match=want):
        parse_message(message)


def test_header_shape_errors() -> None:
    with pytest.raises(ReceiptError, match="too long"):
        open_receipt("v1." + "A" * 3000 + ".A", PUBLIC)
    with pytest.raises(ReceiptError, match="wrong length"):
        open_receipt("v1.AAAA.AAAA", PUBLIC)
    with pytest.raises(ReceiptError, match="base64url"):
        open_receipt("v1.A.AAAA", PUBLIC)
    with pytest.raises(InvalidInputError, match="32 bytes"):
        ReceiptSigner.from_seed(b"short")
    assert "secret" not in repr(ReceiptSigner.from_seed(bytes(32)))


def test_a_receipt_of_another_log_is_refused() -> None:
    """A receipt signed for another origin does not count for this log."""
    r = open_receipt(V["valid"][0]["header"], PUBLIC)
    check_origin(r, "exchange.example/log")
    with pytest.raises(ReceiptError, match=r"not 'other\.example/log'"):
        check_origin(r, "other.example/log")
