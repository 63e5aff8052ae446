"""The only module that imports ``cryptography.hazmat``: Ed25519 key objects for the RFC 9421
request-signature library, which takes ``cryptography`` keys. Keys are our raw 32-byte forms."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

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
