"""Receipts: the hub's signed statement that one response's events are in the disclosure log
(docs/specs/disclosure-log.md, section "Receipts"; vectors in tests/vectors/receipt-v1.json).

A response that logged events carries one receipt for all of them, in the ``Exchange-Receipt``
header. It names the log, the range of log indexes the events got, a SHA-256 digest over their
leaf hashes in index order, and the request's moment; the service signs it with its receipt key
(Ed25519), which is not the checkpoint key. The signed message is the exact bytes below; the header
carries them, so a verifier never rebuilds them::

    exchange-receipt/v1
    exchange.example/log              <- the log's origin
    1042                              <- first index, decimal
    78                                <- how many events, decimal, at least 1
    3q2+7w...base64 digest...=        <- standard base64 of SHA-256(leaf_0 || ... || leaf_n-1)
    2026-11-30T18:00:00.123456Z       <- the request's moment (the events' time), UTC

    header: v1.<base64url(message)>.<base64url(key id || signature)>   (no padding)

A receipt proves the service committed to these indexes and leaves. It is checked against the log
later with an inclusion proof for each index against a signed checkpoint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from exchange.crypto import sodium
from exchange.errors import InvalidInputError, VerificationError

HEADER = "Exchange-Receipt"
VERSION = "v1"
MAGIC = "exchange-receipt/v1"
MAX_HEADER = 2048
_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$")
_NUMBER = re.compile(r"^(0|[1-9][0-9]{0,18})$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


class ReceiptError(VerificationError):
    """A receipt is malformed, not signed by the receipt key, or does not match the response."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """What one response's receipt says: ``count`` events from ``first`` on, with ``digest``."""

    origin: str
    first: int
    count: int
    digest: bytes
    time: datetime

    @property
    def last(self) -> int:
        return self.first + self.count - 1

    def message(self) -> bytes:
        """The signed bytes (see the module docstring)."""
        when = self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        lines = (MAGIC, self.origin, str(self.first), str(self.count), _b64(self.digest), when)
        return "".join(line + "\n" for line in lines).encode("utf-8")


def leaves_digest(leaf_hashes: Iterable[bytes]) -> bytes:
    """SHA-256 over the leaf hashes (RFC 9162 §2.1.1) of a response's events, in index order."""
    return hashlib.sha256(b"".join(leaf_hashes)).digest()


def receipt_for(origin: str, leaves: Sequence[tuple[int, bytes]], time: datetime) -> Receipt:
    """The receipt of the events at ``leaves`` (index, leaf hash), which must be consecutive."""
    if not leaves:
        raise InvalidInputError("a receipt needs at least one event")
    first = leaves[0][0]
    indexes, hashes = zip(*leaves, strict=True)
    if indexes != tuple(range(first, first + len(leaves))):
        raise InvalidInputError("a receipt covers consecutive log indexes only")
    return Receipt(origin, first, len(leaves), leaves_digest(hashes), time)


def key_id(public: bytes) -> bytes:
    """SHA-256(MAGIC || 0x0A || public key)[:4]: names the receipt key, as signed-note key ids do."""
    return hashlib.sha256(MAGIC.encode() + b"\n" + public).digest()[:4]


@dataclass(frozen=True, slots=True)
class ReceiptSigner:
    """The service's receipt key (Ed25519). Never the log's checkpoint key."""

    public: bytes
    secret: bytes

    @classmethod
    def from_seed(cls, seed: bytes) -> ReceiptSigner:
        if len(seed) != 32:
            raise InvalidInputError("a receipt key seed is 32 bytes")
        public, secret = sodium.sign_keypair_from_seed(seed)
        return cls(public, secret)

    def sign(self, message: bytes) -> str:
        """The header value for the signed ``message`` (Ed25519 is deterministic: the same message
        and key always give the same header, so a replayed response carries the same receipt)."""
        sig = sodium.sign_detached(message, self.secret)
        return f"{VERSION}.{_b64url(message)}.{_b64url(key_id(self.public) + sig)}"

    def __repr__(self) -> str:
        return f"ReceiptSigner(public={_b64(self.public)!r})"


def open_receipt(header: str, public: bytes) -> Receipt:
    """Verify a receipt header with the published receipt key and parse what it says.

    Raises :class:`ReceiptError` naming what is wrong.
    """
    if len(header) > MAX_HEADER:
        raise ReceiptError("the receipt is too long")
    parts = header.strip().split(".")
    if len(parts) != 3 or parts[0] != VERSION:
        raise ReceiptError(f"the receipt is not '{VERSION}.<message>.<signature>'")
    message, signed = _unb64url(parts[1], "message"), _unb64url(parts[2], "signature")
    if len(signed) != 4 + sodium.SIGNATURE_BYTES:
        raise ReceiptError("the receipt signature has the wrong length")
    if signed[:4] != key_id(public):
        raise ReceiptError("the receipt is signed with another key than the published receipt key")
    try:
        sodium.verify_detached(signed[4:], message, public)
    except VerificationError:
        raise ReceiptError("the receipt signature does not verify") from None
    return parse_message(message)


def parse_message(message: bytes) -> Receipt:
    """Parse the signed bytes of a receipt strictly (one form only)."""
    try:
        text = message.decode("utf-8")
    except UnicodeDecodeError:
        raise ReceiptError("the receipt message is not UTF-8") from None
    lines = text.split("\n")
    if len(lines) != 7 or lines[-1] != "" or lines[0] != MAGIC:
        raise ReceiptError(f"the receipt message is not six lines starting with '{MAGIC}'")
    _, origin, first_s, count_s, digest_s, when = lines[:-1]
    if not origin or any(c.isspace() for c in origin):
        raise ReceiptError("the receipt's log origin is empty or has spaces")
    if not _NUMBER.match(first_s) or not _NUMBER.match(count_s) or int(count_s) < 1:
        raise ReceiptError("the receipt's index range is not two decimal numbers with a count of at least 1")
    try:
        digest = base64.b64decode(digest_s, validate=True)
    except binascii.Error:
        raise ReceiptError("the receipt's digest is not base64") from None
    if len(digest) != 32 or _b64(digest) != digest_s:
        raise ReceiptError("the receipt's digest is not 32 bytes in standard base64")
    if not _TIME.match(when):
        raise ReceiptError("the receipt's time is not UTC with microseconds (2026-11-30T18:00:00.000000Z)")
    try:
        moment = datetime.strptime(when, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise ReceiptError("the receipt's time is not a valid date") from None
    return Receipt(origin, int(first_s), int(count_s), digest, moment)


def log_indexes(document: object) -> list[int]:
    """Every integer ``log_index`` member anywhere in a JSON document, in document order."""
    found: list[int] = []
    stack: list[object] = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            index = value.get("log_index")
            if isinstance(index, int) and not isinstance(index, bool):
                found.append(index)
            stack.extend(reversed([v for k, v in value.items() if k != "log_index"]))
        elif isinstance(value, list):
            stack.extend(reversed(value))
    return found


def check_indexes(receipt: Receipt, indexes: Iterable[int]) -> None:
    """Raise unless every index a response body names lies in the receipt's range."""
    for index in indexes:
        if not receipt.first <= index <= receipt.last:
            raise ReceiptError(
                f"the response names log index {index}, outside its receipt's range "
                f"{receipt.first}..{receipt.last}"
            )


def check_origin(receipt: Receipt, origin: str) -> None:
    if receipt.origin != origin:
        raise ReceiptError(f"the receipt is for the log '{receipt.origin}', not '{origin}'")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64url(text: str, what: str) -> bytes:
    if not _B64URL.match(text):
        raise ReceiptError(f"the receipt {what} is not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise ReceiptError(f"the receipt {what} is not unpadded base64url") from None
