"""A party's checks on the hub's disclosure log over HTTP: receipts, checkpoints, inclusion and
consistency proofs (docs/specs/disclosure-log.md, "Receipts" and "The log over HTTP").

Every check raises a :class:`~exchange.errors.VerificationError` subclass naming what failed; none
returns a bool. The checkpoint key is pinned by the party (given by the operator, out of band); the
receipt key may be pinned too, or taken from ``GET /v1/log/keys``.

    keys = fetch_keys(client)
    checker = ReceiptChecker(keys.origin, keys.receipt)
    checker.install(client)            # every later response's receipt is checked as it arrives
    cp = fetch_checkpoint(client, log_key)
    prove_entry(client, 1042, cp)      # the event, checked to be in the signed tree
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

import httpx

from exchange.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    NoteVerifier,
    check_extends,
    open_checkpoint,
)
from exchange.audit.merkle import ProofError, leaf_hash, verify_inclusion
from exchange.audit.receipt import (
    HEADER,
    Receipt,
    ReceiptError,
    check_indexes,
    check_origin,
    leaves_digest,
    log_indexes,
    open_receipt,
)
from exchange.client.http import ExchangeClient
from exchange.crypto import sodium
from exchange.errors import ExchangeError, InvalidInputError, VerificationError


class LogAnswerError(ExchangeError):
    """The hub answered a log request with an error."""

    def __init__(self, what: str, response: httpx.Response) -> None:
        try:
            detail = response.json().get("detail") or response.text[:200]
        except ValueError:
            detail = response.text[:200]
        super().__init__(f"{what}: the hub answered {response.status_code}: {detail}")


def _ok(response: httpx.Response, what: str) -> httpx.Response:
    if response.status_code != 200:
        raise LogAnswerError(what, response)
    return response


def _unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise VerificationError(f"{what} is missing from the hub's answer")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError(f"{what} in the hub's answer is not base64") from None


def public_key(text: str, what: str) -> bytes:
    """A 32-byte Ed25519 key from base64 (or the last word of a ``verifier: <name> <key>`` line)."""
    words = text.split()
    try:
        key = base64.b64decode(words[-1] if words else "", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != sodium.PUBLIC_KEY_BYTES:
        raise InvalidInputError(f"{what} is not a 32-byte Ed25519 public key in base64")
    return key


@dataclass(frozen=True, slots=True)
class LogKeys:
    origin: str
    #: The receipt key's public half, as the hub publishes it.
    receipt: bytes
    #: The checkpoint key as the hub publishes it (None if not configured); pin your own instead.
    checkpoint: bytes | None


def fetch_keys(client: ExchangeClient) -> LogKeys:
    """``GET /v1/log/keys``."""
    data = _ok(client.get("/v1/log/keys"), "the log's keys").json()
    cp = data.get("checkpoint")
    return LogKeys(
        str(data["origin"]),
        _unb64(data["receipt"]["public"], "the receipt key"),
        _unb64(cp["public"], "the checkpoint key") if cp else None,
    )


@dataclass(frozen=True, slots=True)
class ReceiptChecker:
    """Checks the ``Exchange-Receipt`` of a response: the signature with the receipt key, the log's
    origin, and that every ``log_index`` in the JSON body lies in the receipt's range."""

    origin: str
    public: bytes

    def check(self, response: httpx.Response) -> Receipt | None:
        """The verified receipt of ``response``, or None when it has none (it logged nothing).
        Raises :class:`ReceiptError`, also when the body names log indexes but has no receipt."""
        header = response.headers.get(HEADER)
        body = _json(response)
        indexes = log_indexes(body) if body is not None else []
        if header is None:
            if indexes and 200 <= response.status_code < 300:
                raise ReceiptError("the response names log indexes but carries no receipt")
            return None
        receipt = open_receipt(header, self.public)
        check_origin(receipt, self.origin)
        check_indexes(receipt, indexes)
        return receipt

    def install(self, client: ExchangeClient) -> None:
        """Check every later response of ``client`` as it arrives; a bad receipt raises."""

        def hook(response: httpx.Response) -> None:
            response.read()
            self.check(response)

        client.http.event_hooks["response"] = [*client.http.event_hooks["response"], hook]


def _json(response: httpx.Response) -> Any:
    if not response.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def fetch_checkpoint(client: ExchangeClient, log_key: NoteVerifier) -> tuple[Checkpoint, str]:
    """``GET /v1/log/checkpoint``: the newest checkpoint, its log signature verified; with the note
    as served (cosignature lines included)."""
    note = _ok(client.get("/v1/log/checkpoint"), "the log's checkpoint").text
    cp, _ = open_checkpoint(note, log_key, log_key.name)
    return cp, note


@dataclass(frozen=True, slots=True)
class ProvedEntry:
    index: int
    size: int
    leaf_hash: bytes
    #: The event's canonical bytes, now known to be entry ``index`` of the signed tree.
    event: bytes


def prove_entry(client: ExchangeClient, index: int, checkpoint: Checkpoint) -> ProvedEntry:
    """``GET /v1/log/proofs/inclusion`` for ``index`` at the checkpoint's size, checked: the leaf
    hash is the event's, and the audit path leads to the checkpoint's root (RFC 9162 §2.1.3.2)."""
    r = client.get(f"/v1/log/proofs/inclusion?index={index}&size={checkpoint.size}")
    data = _ok(r, f"the inclusion proof of entry {index}").json()
    event = str(data.get("event", "")).encode("utf-8")
    leaf = _unb64(data.get("leaf_hash"), "the leaf hash")
    if leaf_hash(event) != leaf:
        raise VerificationError(f"the event the hub returned for entry {index} does not have its leaf hash")
    if data.get("index") != index or data.get("size") != checkpoint.size:
        raise VerificationError("the hub answered for another entry or tree size than asked")
    proof = [_unb64(p, "a proof hash") for p in data.get("proof", [])]
    try:
        verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root)
    except ProofError as exc:
        raise VerificationError(
            f"entry {index} is not in the checkpoint of size {checkpoint.size}: {exc}"
        ) from None
    return ProvedEntry(index, checkpoint.size, leaf, event)


def consistency_proof(client: ExchangeClient, old: int, new: int) -> list[bytes]:
    """``GET /v1/log/proofs/consistency`` (unchecked; see :func:`check_consistent`)."""
    data = _ok(client.get(f"/v1/log/proofs/consistency?from={old}&to={new}"), "the consistency proof").json()
    return [_unb64(p, "a proof hash") for p in data.get("proof", [])]


def check_consistent(client: ExchangeClient, old: Checkpoint, new: Checkpoint) -> None:
    """Raise :class:`CheckpointError` unless ``new`` extends ``old`` (RFC 9162 §2.1.4.2)."""
    proof = consistency_proof(client, old.size, new.size) if 0 < old.size < new.size else []
    if old.size == new.size and old.root != new.root:
        raise CheckpointError(f"two different roots for size {old.size}: the log forked")
    check_extends(old, new, proof)


def check_receipt_in_log(
    client: ExchangeClient, receipt: Receipt, checkpoint: Checkpoint
) -> list[ProvedEntry]:
    """Prove each entry a receipt names against ``checkpoint`` and check the receipt's digest over
    their leaf hashes: what the hub signed at the time is what the signed tree holds."""
    if receipt.last >= checkpoint.size:
        raise ReceiptError(
            f"the checkpoint (size {checkpoint.size}) does not cover the receipt's entries "
            f"up to {receipt.last}; "
            "wait for the next checkpoint"
        )
    entries = [prove_entry(client, i, checkpoint) for i in range(receipt.first, receipt.last + 1)]
    if leaves_digest(e.leaf_hash for e in entries) != receipt.digest:
        raise ReceiptError("the log's entries in the receipt's range are not the ones the receipt signed")
    return entries
