"""Dossier envelope format v1: one item, encrypted once, its key sealed to each recipient.

Format and rationale: docs/specs/dossier-envelope.md and docs/adr/0004-envelope-signature-blake3.md.

    version(1) = 0x01 | u32 H | header (RFC 8785 JSON, H bytes) | u64 C | ciphertext (C bytes)
    | signature (64) | u16 N | N x ( u8 K | kid (K bytes) | sealed item key (80) )

The payload is encrypted with XChaCha20-Poly1305 (IETF) under a fresh random key with the header as
associated data. The provider signs, with Ed25519, ``SIGNING_CONTEXT | u32 H | header |
BLAKE3-256(ciphertext)``. The sealed keys are outside the signature on purpose: deleting one
(crypto-shredding) must not invalidate the item for the other recipients.

Every failure to verify or open is the one opaque :class:`InvalidEnvelope`; the cause goes to the
debug log only, so a caller cannot learn which check failed.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import blake3
import rfc8785

from exchange.crypto import sodium
from exchange.crypto.keys import KeyVersion, PartyKeys, b64, unb64
from exchange.errors import InvalidInputError, VerificationError

log = logging.getLogger(__name__)

VERSION = 0x01
ALGORITHM = "xchacha20poly1305-ietf+x25519-sealedbox+ed25519+blake3"
SIGNING_CONTEXT = b"exchange/envelope/v1\x00"
MAX_HEADER_BYTES = 64 * 1024
MAX_RECIPIENTS = 64
WRAP_BYTES = sodium.KEY_BYTES + sodium.SEAL_BYTES  # 80
_HEADER_FIELDS = frozenset(
    {
        "v",
        "alg",
        "case",
        "item",
        "provider",
        "provider_kid",
        "category",
        "purpose",
        "created",
        "nonce",
        "recipients",
    }
)


class InvalidEnvelope(VerificationError):
    """The envelope is malformed, tampered, not for this key, or signed by someone else."""

    def __init__(self) -> None:
        super().__init__("the dossier item could not be verified or opened")


@dataclass(frozen=True, slots=True)
class Recipient:
    party: str
    kid: str
    public: bytes


@dataclass(frozen=True, slots=True)
class ItemMetadata:
    """What is known about an item without opening it. Bound to the ciphertext and signed."""

    case: str
    item: str
    provider: str
    category: str
    purpose: str
    created: str  # RFC 3339 UTC, e.g. 2026-11-24T10:00:00Z


@dataclass(frozen=True, slots=True)
class Header:
    metadata: ItemMetadata
    provider_kid: str
    nonce: bytes
    recipients: tuple[tuple[str, str], ...]  # (party, kid), in sealing order

    @property
    def recipient_parties(self) -> tuple[str, ...]:
        return tuple(p for p, _ in self.recipients)


@dataclass(frozen=True, slots=True)
class SealedItem:
    header_bytes: bytes
    ciphertext: bytes
    signature: bytes
    wraps: tuple[tuple[str, bytes], ...]  # (kid, sealed item key)
    header: Header

    def without_wrap(self, kid: str) -> SealedItem:
        """Crypto-shred for one recipient key: the item stays valid for every other recipient."""
        return SealedItem(
            self.header_bytes,
            self.ciphertext,
            self.signature,
            tuple(w for w in self.wraps if w[0] != kid),
            self.header,
        )


def format_created(moment: datetime) -> str:
    """The creation time as it appears in the header: RFC 3339, UTC, whole seconds."""
    if moment.tzinfo is None:
        raise InvalidInputError("the creation time needs a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _header_data(
    meta: ItemMetadata, provider_kid: str, nonce: bytes, recipients: Sequence[Recipient]
) -> dict[str, Any]:
    return {
        "v": VERSION,
        "alg": ALGORITHM,
        "case": meta.case,
        "item": meta.item,
        "provider": meta.provider,
        "provider_kid": provider_kid,
        "category": meta.category,
        "purpose": meta.purpose,
        "created": meta.created,
        "nonce": b64(nonce),
        "recipients": [{"party": r.party, "kid": r.kid} for r in recipients],
    }


def canonical_header(data: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of a header. The header holds only ASCII keys, text, a small integer and a list
    of objects of text, for which sorted compact ``json.dumps`` output is byte-identical to RFC 8785
    (same escapes, no floats); it is four times faster than the general encoder. A property test
    (tests/unit/crypto/test_envelope.py) checks the equality; :func:`decode` still checks with rfc8785.
    """
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _signed_message(header_bytes: bytes, ciphertext: bytes) -> bytes:
    return (
        SIGNING_CONTEXT
        + struct.pack(">I", len(header_bytes))
        + header_bytes
        + blake3.blake3(ciphertext).digest()
    )


def seal(
    payload: bytes, meta: ItemMetadata, recipients: Sequence[Recipient], signer: KeyVersion
) -> SealedItem:
    """Encrypt ``payload`` once and seal its key to exactly ``recipients``; sign as the provider."""
    if not recipients:
        raise InvalidInputError("an item needs at least one recipient")
    if len(recipients) > MAX_RECIPIENTS:
        raise InvalidInputError(f"an item may have at most {MAX_RECIPIENTS} recipients")
    if len({r.kid for r in recipients}) != len(recipients):
        raise InvalidInputError("a recipient key is listed twice")
    return seal_with(
        payload,
        meta,
        recipients,
        signer,
        sodium.random_bytes(sodium.KEY_BYTES),
        sodium.random_bytes(sodium.NONCE_BYTES),
    )


def seal_with(
    payload: bytes,
    meta: ItemMetadata,
    recipients: Sequence[Recipient],
    signer: KeyVersion,
    key: bytes,
    nonce: bytes,
) -> SealedItem:
    """:func:`seal` with a given item key and nonce. Only for known-answer test vectors: reusing a
    key and nonce pair for two payloads destroys confidentiality."""
    if signer.sign_secret is None:
        raise InvalidInputError("the signing key has been destroyed")
    header_bytes = canonical_header(_header_data(meta, signer.sign_kid, nonce, recipients))
    ciphertext = sodium.aead_encrypt(payload, header_bytes, nonce, key)
    signature = sodium.sign_detached(_signed_message(header_bytes, ciphertext), signer.sign_secret)
    wraps = tuple((r.kid, sodium.box_seal(key, r.public)) for r in recipients)
    header = Header(meta, signer.sign_kid, nonce, tuple((r.party, r.kid) for r in recipients))
    return SealedItem(header_bytes, ciphertext, signature, wraps, header)


def encode(item: SealedItem) -> bytes:
    return assemble(item.header_bytes, item.ciphertext, item.signature, item.wraps)


def assemble(
    header: bytes, ciphertext: bytes, signature: bytes, wraps: tuple[tuple[str, bytes], ...]
) -> bytes:
    """The v1 encoding from stored parts (e.g. one recipient's view: the item with only its wraps)."""
    parts = [
        bytes([VERSION]),
        struct.pack(">I", len(header)),
        header,
        struct.pack(">Q", len(ciphertext)),
        ciphertext,
        signature,
        struct.pack(">H", len(wraps)),
    ]
    for kid, wrap in wraps:
        raw = kid.encode("ascii")
        parts += [bytes([len(raw)]), raw, wrap]
    return b"".join(parts)


def _fail(reason: str) -> InvalidEnvelope:
    log.debug("envelope rejected: %s", reason)
    return InvalidEnvelope()


def decode(data: bytes) -> SealedItem:
    """Parse an encoded envelope. Checks structure only; use :func:`verify` for the signature."""
    view = memoryview(data)
    try:
        if len(view) < 5 or view[0] != VERSION:
            raise _fail("unknown version or too short")
        (h,) = struct.unpack_from(">I", view, 1)
        if h > MAX_HEADER_BYTES or len(view) < 5 + h + 8:
            raise _fail("header length out of range")
        header_bytes = bytes(view[5 : 5 + h])
        (c,) = struct.unpack_from(">Q", view, 5 + h)
        pos = 13 + h
        if c < sodium.TAG_BYTES or len(view) < pos + c + sodium.SIGNATURE_BYTES + 2:
            raise _fail("ciphertext length out of range")
        ciphertext = bytes(view[pos : pos + c])
        pos += c
        signature = bytes(view[pos : pos + sodium.SIGNATURE_BYTES])
        pos += sodium.SIGNATURE_BYTES
        (n,) = struct.unpack_from(">H", view, pos)
        pos += 2
        if n > MAX_RECIPIENTS:
            raise _fail("too many wraps")
        wraps = []
        for _ in range(n):
            k = view[pos]
            kid = bytes(view[pos + 1 : pos + 1 + k]).decode("ascii")
            wrap = bytes(view[pos + 1 + k : pos + 1 + k + WRAP_BYTES])
            if len(kid) != k or len(wrap) != WRAP_BYTES:
                raise _fail("truncated wrap")
            wraps.append((kid, wrap))
            pos += 1 + k + WRAP_BYTES
        if pos != len(view):
            raise _fail("trailing bytes")
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise _fail(f"truncated: {exc}") from None
    return SealedItem(header_bytes, ciphertext, signature, tuple(wraps), _parse_header(header_bytes))


def _parse_header(header_bytes: bytes) -> Header:
    try:
        data = json.loads(header_bytes)
    except (ValueError, UnicodeDecodeError):
        raise _fail("header is not JSON") from None
    if not isinstance(data, dict) or set(data) != _HEADER_FIELDS:
        raise _fail("header fields")
    if data["v"] != VERSION or data["alg"] != ALGORITHM:
        raise _fail("header version or algorithm")
    if rfc8785.dumps(data) != header_bytes:
        raise _fail("header is not canonical")
    try:
        recipients = tuple((str(r["party"]), str(r["kid"])) for r in data["recipients"])
        meta = ItemMetadata(
            *(str(data[k]) for k in ("case", "item", "provider", "category", "purpose", "created"))
        )
        nonce = unb64(str(data["nonce"]), "nonce")
    except (KeyError, TypeError, InvalidInputError):
        raise _fail("header values") from None
    if len(nonce) != sodium.NONCE_BYTES or not recipients:
        raise _fail("nonce length or no recipients")
    return Header(meta, str(data["provider_kid"]), nonce, recipients)


def verify(item: SealedItem, provider_keys: Mapping[str, bytes]) -> Header:
    """Check the provider's signature over header and ciphertext, without decrypting.

    ``provider_keys`` maps the provider's registered signing key ids to public keys. The hub runs
    this before storing an item; recipients run it before opening.
    """
    public = provider_keys.get(item.header.provider_kid)
    if public is None:
        raise _fail("signing key not registered for the provider")
    try:
        sodium.verify_detached(item.signature, _signed_message(item.header_bytes, item.ciphertext), public)
    except VerificationError:
        raise _fail("signature") from None
    listed = {kid for _, kid in item.header.recipients}
    if any(kid not in listed for kid, _ in item.wraps):
        raise _fail("a wrap for a key that is not a listed recipient")
    return item.header


def open_item(item: SealedItem, keys: PartyKeys, provider_keys: Mapping[str, bytes]) -> bytes:
    """Verify, then decrypt with this party's key. Any failure is the one :class:`InvalidEnvelope`."""
    verify(item, provider_keys)
    mine = {kid for party, kid in item.header.recipients if party == keys.party}
    for kid, wrap in item.wraps:
        if kid not in mine:
            continue
        pair = keys.box_secret_for(kid)
        if pair is None:
            continue
        try:
            key = sodium.box_seal_open(wrap, *pair)
            return sodium.aead_decrypt(item.ciphertext, item.header_bytes, item.header.nonce, key)
        except VerificationError:
            raise _fail("wrap or ciphertext did not decrypt") from None
    raise _fail("no wrap this party can open")
