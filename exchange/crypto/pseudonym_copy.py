"""Sealed pseudonym key copies v1: a covenant's pseudonym key, sealed by its custodian to one party's
sealing key and signed, so the hub can store and hand it on but never use it.

Format: docs/specs/pseudonym-keys.md; rationale: docs/adr/0013-pseudonym-keys-through-the-hub.md.

    version(1) = 0x01 | u16 H | header (RFC 8785 JSON, H bytes) | ciphertext (48) | wrap (80)
    | signature (64)

The 32-byte pseudonym key is encrypted with XChaCha20-Poly1305 (IETF) under a fresh random copy key,
with the header as associated data: the header names the covenant, the key version, the recipient
party and its X25519 key id, the custodian and its Ed25519 key id, so a copy cannot be presented as
another covenant's, another version's or another party's without failing to open. The copy key is
sealed to the recipient's X25519 key (libsodium sealed box). The custodian signs, with Ed25519,
``SIGNING_CONTEXT | u16 H | header | ciphertext | wrap``: a sealed box is anonymous, so the signature
is what tells the recipient that the copy came from the custodian and nobody else.

Every failure to verify or open is the one opaque :class:`InvalidCopy`; the cause goes to the debug
log only.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785

from exchange.crypto import sodium
from exchange.crypto.envelope import Recipient, canonical_header
from exchange.crypto.keys import KeyVersion, PartyKeys, b64, unb64
from exchange.crypto.pseudonym import KEY_BYTES, PseudonymKey
from exchange.errors import InvalidInputError, VerificationError

log = logging.getLogger(__name__)

VERSION = 0x01
ALGORITHM = "xchacha20poly1305-ietf+x25519-sealedbox+ed25519"
SIGNING_CONTEXT = b"exchange/pseudonym-key/v1\x00"
MAX_HEADER_BYTES = 2048
CIPHERTEXT_BYTES = KEY_BYTES + sodium.TAG_BYTES  # 48
WRAP_BYTES = sodium.KEY_BYTES + sodium.SEAL_BYTES  # 80
_HEADER_FIELDS = frozenset(
    {"v", "alg", "covenant", "key_version", "party", "kid", "custodian", "custodian_kid", "created", "nonce"}
)

__all__ = [
    "ALGORITHM",
    "VERSION",
    "CopyHeader",
    "InvalidCopy",
    "SealedCopy",
    "decode_copy",
    "encode_copy",
    "open_copy",
    "seal_copy",
    "seal_copy_with",
    "verify_copy",
]


class InvalidCopy(VerificationError):
    """The copy is malformed, tampered, bound to something else, not for this key, or not signed by
    the covenant's custodian."""

    def __init__(self) -> None:
        super().__init__("the sealed pseudonym key copy could not be verified or opened")


@dataclass(frozen=True, slots=True)
class CopyHeader:
    """What is known about a copy without opening it. Associated data of the encryption, and signed."""

    covenant: str  # the covenant id, e.g. "pit" (keys are per covenant, not per covenant version)
    key_version: int
    party: str  # the recipient
    kid: str  # the recipient's X25519 key id the copy is sealed to
    custodian: str
    custodian_kid: str  # the custodian's Ed25519 key id that signed
    created: str  # RFC 3339 UTC, whole seconds
    nonce: bytes


@dataclass(frozen=True, slots=True)
class SealedCopy:
    header_bytes: bytes
    ciphertext: bytes
    wrap: bytes
    signature: bytes
    header: CopyHeader


def _header_data(h: CopyHeader) -> dict[str, Any]:
    return {
        "v": VERSION,
        "alg": ALGORITHM,
        "covenant": h.covenant,
        "key_version": h.key_version,
        "party": h.party,
        "kid": h.kid,
        "custodian": h.custodian,
        "custodian_kid": h.custodian_kid,
        "created": h.created,
        "nonce": b64(h.nonce),
    }


def _signed_message(header_bytes: bytes, ciphertext: bytes, wrap: bytes) -> bytes:
    return SIGNING_CONTEXT + struct.pack(">H", len(header_bytes)) + header_bytes + ciphertext + wrap


def seal_copy(
    key: PseudonymKey, recipient: Recipient, custodian: str, signer: KeyVersion, created: str
) -> SealedCopy:
    """Seal ``key`` to ``recipient``'s X25519 key and sign it as ``custodian`` with ``signer``."""
    return seal_copy_with(
        key,
        recipient,
        custodian,
        signer,
        created,
        sodium.random_bytes(sodium.KEY_BYTES),
        sodium.random_bytes(sodium.NONCE_BYTES),
    )


def seal_copy_with(
    key: PseudonymKey,
    recipient: Recipient,
    custodian: str,
    signer: KeyVersion,
    created: str,
    copy_key: bytes,
    nonce: bytes,
) -> SealedCopy:
    """:func:`seal_copy` with a given copy key and nonce. Only for known-answer test vectors."""
    if signer.sign_secret is None:
        raise InvalidInputError("the signing key has been destroyed")
    header = CopyHeader(
        key.covenant, key.version, recipient.party, recipient.kid, custodian, signer.sign_kid, created, nonce
    )
    header_bytes = canonical_header(_header_data(header))
    ciphertext = sodium.aead_encrypt(key.key, header_bytes, nonce, copy_key)
    wrap = sodium.box_seal(copy_key, recipient.public)
    signature = sodium.sign_detached(_signed_message(header_bytes, ciphertext, wrap), signer.sign_secret)
    return SealedCopy(header_bytes, ciphertext, wrap, signature, header)


def encode_copy(copy: SealedCopy) -> bytes:
    return b"".join(
        (
            bytes([VERSION]),
            struct.pack(">H", len(copy.header_bytes)),
            copy.header_bytes,
            copy.ciphertext,
            copy.wrap,
            copy.signature,
        )
    )


def _fail(reason: str) -> InvalidCopy:
    log.debug("pseudonym key copy rejected: %s", reason)
    return InvalidCopy()


def decode_copy(data: bytes) -> SealedCopy:
    """Parse an encoded copy. Checks structure only; :func:`verify_copy` checks the signature."""
    if len(data) < 3 or data[0] != VERSION:
        raise _fail("unknown version or too short")
    (h,) = struct.unpack_from(">H", data, 1)
    if h > MAX_HEADER_BYTES or len(data) != 3 + h + CIPHERTEXT_BYTES + WRAP_BYTES + sodium.SIGNATURE_BYTES:
        raise _fail("length")
    header_bytes = data[3 : 3 + h]
    pos = 3 + h
    ciphertext = data[pos : pos + CIPHERTEXT_BYTES]
    pos += CIPHERTEXT_BYTES
    wrap = data[pos : pos + WRAP_BYTES]
    signature = data[pos + WRAP_BYTES :]
    return SealedCopy(header_bytes, ciphertext, wrap, signature, _parse_header(header_bytes))


def _parse_header(header_bytes: bytes) -> CopyHeader:
    try:
        data = json.loads(header_bytes)
    except (ValueError, UnicodeDecodeError):
        raise _fail("header is not JSON") from None
    if not isinstance(data, dict) or set(data) != _HEADER_FIELDS:
        raise _fail("header fields")
    if data["v"] != VERSION or data["alg"] != ALGORITHM:
        raise _fail("header version or algorithm")
    version = data["key_version"]
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version < 2**31:
        raise _fail("key version")
    texts = ("covenant", "party", "kid", "custodian", "custodian_kid", "created", "nonce")
    if not all(isinstance(data[k], str) for k in texts):
        raise _fail("header values")
    if rfc8785.dumps(data) != header_bytes:
        raise _fail("header is not canonical")
    try:
        nonce = unb64(data["nonce"], "nonce")
    except InvalidInputError:
        raise _fail("nonce") from None
    if len(nonce) != sodium.NONCE_BYTES:
        raise _fail("nonce length")
    return CopyHeader(
        data["covenant"],
        version,
        data["party"],
        data["kid"],
        data["custodian"],
        data["custodian_kid"],
        data["created"],
        nonce,
    )


def verify_copy(copy: SealedCopy, custodian: str, custodian_keys: Mapping[str, bytes]) -> CopyHeader:
    """Check that ``custodian`` signed the copy with one of ``custodian_keys`` (key id to Ed25519
    public key), without opening it. The hub runs this before storing a copy; recipients before
    opening."""
    if copy.header.custodian != custodian:
        raise _fail("the copy names another custodian")
    public = custodian_keys.get(copy.header.custodian_kid)
    if public is None:
        raise _fail("signing key is not the custodian's")
    try:
        sodium.verify_detached(
            copy.signature, _signed_message(copy.header_bytes, copy.ciphertext, copy.wrap), public
        )
    except VerificationError:
        raise _fail("signature") from None
    return copy.header


def open_copy(
    copy: SealedCopy,
    keys: PartyKeys,
    covenant: str,
    version: int,
    custodian: str,
    custodian_keys: Mapping[str, bytes],
) -> PseudonymKey:
    """Verify the custodian's signature, check the copy is bound to ``covenant``, ``version`` and this
    party, then open it with this party's key. Any failure is the one :class:`InvalidCopy`."""
    h = verify_copy(copy, custodian, custodian_keys)
    if (h.covenant, h.key_version, h.party) != (covenant, version, keys.party):
        raise _fail("bound to another covenant, version or party")
    pair = keys.box_secret_for(h.kid)
    if pair is None:
        raise _fail("sealed to a key this party does not hold")
    try:
        copy_key = sodium.box_seal_open(copy.wrap, *pair)
        secret = sodium.aead_decrypt(copy.ciphertext, copy.header_bytes, h.nonce, copy_key)
    except VerificationError:
        raise _fail("wrap or ciphertext did not decrypt") from None
    return PseudonymKey(covenant, version, secret)
