"""The only module that imports ``cryptography.hazmat``: Ed25519 key objects for the RFC 9421
request-signature library, which takes ``cryptography`` keys (our raw 32-byte forms), and HKDF
(RFC 5869) for keys derived from a keystore's secret material."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from exchange.errors import InvalidInputError


def ed25519_public_key(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != 32:
        raise InvalidInputError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def ed25519_private_key(libsodium_secret: bytes) -> Ed25519PrivateKey:
    """From libsodium's 64-byte secret key (seed || public key), as our keystore holds it."""
    if len(libsodium_secret) != 64:
        raise InvalidInputError("a libsodium Ed25519 secret key has 64 bytes")
    return Ed25519PrivateKey.from_private_bytes(libsodium_secret[:32])


def hkdf_sha256(secret: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869): a key for one purpose (``info``) from high-entropy ``secret``."""
    if len(secret) < 32:
        raise InvalidInputError("HKDF input key material must have at least 32 bytes")
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)
