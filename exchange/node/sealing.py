"""Sealing the party's plaintext at rest in the node's store.

The node's data key is derived, not stored: HKDF-SHA256 (RFC 5869, :func:`exchange.crypto.hazmat.
hkdf_sha256`) over the X25519 secret of one key version in the party's keystore, with a fixed salt
and the party and version as ``info``. The keystore format has no slot for extra keys, and a derived
key needs none: whoever opens the keystore can derive it, and nobody else can. The store records
which key version it was derived from (:func:`exchange.node.runtime.bind_data_key`), so a rotation does not
orphan data; that version's secret must be kept until the data is re-sealed.

A sealed value is ``VERSION_BYTE || nonce (24) || XSalsa20-Poly1305 ciphertext`` (PyNaCl's
SecretBox). Every failure to open, whatever its cause, is one opaque :class:`SealedDataError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import nacl.bindings
import nacl.exceptions
import nacl.secret
import nacl.utils

from exchange.crypto.hazmat import hkdf_sha256
from exchange.crypto.keystore import Keystore
from exchange.errors import ConfigurationError, VerificationError

VERSION_BYTE = b"\x01"
#: HKDF salt: names the construction, so a key derived for anything else never equals this one.
KDF_SALT = b"exchange-node-data-key-v1"
NONCE_BYTES = nacl.secret.SecretBox.NONCE_SIZE  # 24
OVERHEAD = 1 + NONCE_BYTES + nacl.secret.SecretBox.MACBYTES


class SealedDataError(VerificationError):
    """A sealed value did not open: wrong key, altered or truncated."""

    def __init__(self) -> None:
        super().__init__("sealed data did not open: it was altered, or sealed under another key")


@dataclass(frozen=True, slots=True)
class DataKey:
    """The node's data key for one keystore key version; ``repr`` hides the key."""

    version: int
    key: bytes = field(repr=False)


def data_key_info(party: str, version: int) -> bytes:
    return f"exchange-node-data-key\x00{party}\x00{version}".encode()


def derive_data_key(store: Keystore, version: int) -> DataKey:
    """The data key from key version ``version`` of ``store``; refused when that version's secret
    is gone (destroyed) or absent."""
    for v in store.keys.versions:
        if v.version == version:
            if v.box_secret is None:
                raise ConfigurationError(
                    f"key version {version} of the keystore has been destroyed, but this node's data is "
                    "sealed under a key derived from it; restore a keystore backup that still holds it"
                )
            key = hkdf_sha256(v.box_secret, KDF_SALT, data_key_info(store.party, version))
            return DataKey(version, key)
    raise ConfigurationError(
        f"the keystore holds no key version {version}, from which this node's data key is derived; "
        "is EXCHANGE_NODE_KEYSTORE the party's keystore?"
    )


def seal(key: DataKey, plaintext: bytes, nonce: bytes | None = None) -> bytes:
    """Encrypt and authenticate ``plaintext``. ``nonce`` is for known-answer tests only; by default
    a fresh random one (192 bits: random nonces never collide in practice)."""
    box = nacl.secret.SecretBox(key.key)
    return VERSION_BYTE + bytes(box.encrypt(plaintext, nonce))


def open_sealed(key: DataKey, sealed: bytes) -> bytes:
    """The plaintext of a value from :func:`seal`; :class:`SealedDataError` for anything else."""
    if len(sealed) < OVERHEAD or sealed[:1] != VERSION_BYTE:
        raise SealedDataError()
    box = nacl.secret.SecretBox(key.key)
    try:
        return bytes(box.decrypt(sealed[1:]))
    except nacl.exceptions.CryptoError:
        raise SealedDataError() from None


def seal_many(key: DataKey, plaintexts: Sequence[bytes]) -> list[bytes]:
    """:func:`seal` for each of ``plaintexts``, for a whole batch of index entries at a time: the
    same construction and format (libsodium's ``crypto_secretbox_easy`` through PyNaCl's bindings,
    as :class:`nacl.secret.SecretBox` calls it), each value with its own random 24-byte nonce, the
    nonces drawn from the system's random source in one call instead of one call per value."""
    n = NONCE_BYTES
    nonces = nacl.utils.random(n * len(plaintexts))
    box = nacl.bindings.crypto_secretbox_easy
    k = key.key
    out: list[bytes] = []
    for i, plaintext in enumerate(plaintexts):
        nonce = nonces[i * n : i * n + n]
        out.append(VERSION_BYTE + nonce + box(plaintext, nonce, k))
    return out


def opener(key: DataKey) -> Callable[[bytes], bytes]:
    """:func:`open_sealed` for many values (a whole index at a time), calling libsodium's
    ``crypto_secretbox_open_easy`` through PyNaCl's bindings as :class:`nacl.secret.SecretBox` does."""
    unbox = nacl.bindings.crypto_secretbox_open_easy
    k = key.key
    start = 1 + NONCE_BYTES

    def open_one(sealed: bytes) -> bytes:
        if len(sealed) < OVERHEAD or sealed[:1] != VERSION_BYTE:
            raise SealedDataError()
        try:
            return unbox(sealed[start:], sealed[1:start], k)
        except nacl.exceptions.CryptoError:
            raise SealedDataError() from None

    return open_one
