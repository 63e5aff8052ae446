"""A party's checks of the log against a hub that lies: every lie is caught and named."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from exchange.audit.checkpoint import Checkpoint, CheckpointError
from exchange.audit.merkle import inclusion_proof, leaf_hash, memory_subtree, root_from_leaf_hashes
from exchange.audit.receipt import HEADER, Receipt, ReceiptError, ReceiptSigner, receipt_for
from exchange.client.http import ExchangeClient
from exchange.client.log import (
    LogAnswerError,
    ReceiptChecker,
    check_consistent,
    check_receipt_in_log,
    prove_entry,
    public_key,
)
from exchange.crypto.keys import PartyKeys
from exchange.errors import InvalidInputError, VerificationError

EVENTS = [json.dumps({"n": i}).encode() for i in range(5)]
LEAVES = [leaf_hash(e) for e in EVENTS]
ROOT = root_from_leaf_hashes(LEAVES)
CP = Checkpoint("exchange.test/log", 5, ROOT)
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
KEYS = PartyKeys.create("helmond", NOW)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hub(answer: Callable[[httpx.Request], httpx.Response]) -> ExchangeClient:
    http = httpx.Client(base_url="http://hub.test", transport=httpx.MockTransport(answer))
    return ExchangeClient("http://hub.test", KEYS.current, "u-1", "employee", http=http)


def inclusion(
    index: int, event: bytes | None = None, size: int = 5, proof: list[bytes] | None = None
) -> dict[str, object]:
    path = proof if proof is not None else inclusion_proof(index, 5, memory_subtree(LEAVES))
    return {
        "index": index,
        "size": size,
        "leaf_hash": b64(LEAVES[index]),
        "proof": [b64(p) for p in path],
        "event": (event or EVENTS[index]).decode(),
    }


def test_an_honest_answer_passes() -> None:
    c = hub(lambda r: httpx.Response(200, json=inclusion(int(r.url.params["index"]))))
    assert prove_entry(c, 3, CP).event == EVENTS[3]


@pytest.mark.parametrize(
    ("answer", "want"),
    [
        (inclusion(3, event=b'{"n":4}'), "does not have its leaf hash"),
        (inclusion(3, size=4), "another entry or tree size"),
        (inclusion(3, proof=[bytes(32)] * 3), "is not in the checkpoint of size 5"),
        ({**inclusion(3), "leaf_hash": "***"}, "not base64"),
        ({**inclusion(3), "leaf_hash": None}, "missing"),
    ],
)
def test_a_lying_inclusion_answer_is_caught(answer: dict[str, object], want: str) -> None:
    with pytest.raises(VerificationError, match=want):
        prove_entry(hub(lambda r: httpx.Response(200, json=answer)), 3, CP)


def test_an_error_answer_names_the_hubs_detail() -> None:
    c = hub(lambda r: httpx.Response(404, json={"detail": "no such entry"}))
    with pytest.raises(LogAnswerError, match="404: no such entry"):
        prove_entry(c, 3, CP)
    c = hub(lambda r: httpx.Response(502, text="bad gateway"))
    with pytest.raises(LogAnswerError, match="502: bad gateway"):
        prove_entry(c, 3, CP)


def test_two_roots_for_one_size_is_a_fork() -> None:
    c = hub(lambda r: httpx.Response(200, json={"from": 5, "to": 5, "proof": []}))
    with pytest.raises(CheckpointError, match="forked"):
        check_consistent(c, CP, Checkpoint(CP.origin, 5, bytes(32)))


def test_a_receipt_is_checked_against_the_log() -> None:
    """The receipt's entries must be in the checkpoint, with exactly the signed digest."""
    c = hub(lambda r: httpx.Response(200, json=inclusion(int(r.url.params["index"]))))
    good = receipt_for(CP.origin, [(1, LEAVES[1]), (2, LEAVES[2])], NOW)
    assert [e.index for e in check_receipt_in_log(c, good, CP)] == [1, 2]
    other = Receipt(CP.origin, 1, 2, bytes(32), NOW)
    with pytest.raises(ReceiptError, match="not the ones the receipt signed"):
        check_receipt_in_log(c, other, CP)
    beyond = Receipt(CP.origin, 4, 3, bytes(32), NOW)
    with pytest.raises(ReceiptError, match="wait for the next checkpoint"):
        check_receipt_in_log(c, beyond, CP)


def test_the_checker_reads_json_bodies_only() -> None:
    signer = ReceiptSigner.from_seed(bytes(range(32)))
    header = signer.sign(receipt_for(CP.origin, [(1, LEAVES[1])], NOW).message())
    checker = ReceiptChecker(CP.origin, signer.public)
    text = httpx.Response(200, headers={HEADER: header, "content-type": "text/plain"}, content=b"log_index 9")
    assert checker.check(text) is not None
    broken = httpx.Response(200, headers={HEADER: header, "content-type": "application/json"}, content=b"{")
    assert checker.check(broken) is not None
    assert checker.check(httpx.Response(404, json={"log_index": 3})) is None


def test_a_key_must_be_32_bytes_of_base64() -> None:
    assert public_key("verifier: o " + b64(bytes(32)), "k") == bytes(32)
    for bad in ("", "***", b64(bytes(31))):
        with pytest.raises(InvalidInputError, match="32-byte Ed25519"):
            public_key(bad, "k")
