"""The only module that calls libsodium (through PyNaCl's bindings). No primitive is written here.

Every function is a thin, typed wrapper that translates PyNaCl's exceptions into exchange's own, so
the recipes above (envelope, keystore) handle one error family. Sizes are libsodium's constants.
"""

from __future__ import annotations

import nacl.exceptions
from nacl import bindings as sodium

from exchange.errors import InvalidInputError, VerificationError

KEY_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES  # 32
NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
TAG_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES  # 16
SEAL_BYTES = sodium.crypto_box_SEALBYTES  # 48
SIGNATURE_BYTES = sodium.crypto_sign_BYTES  # 64
PUBLIC_KEY_BYTES = 32
ARGON2ID = sodium.crypto_pwhash_ALG_ARGON2ID13
ARGON2_SALT_BYTES = sodium.crypto_pwhash_SALTBYTES  # 16
ARGON2_OPSLIMIT_MIN = sodium.crypto_pwhash_argon2id_OPSLIMIT_MIN
ARGON2_MEMLIMIT_MIN = sodium.crypto_pwhash_argon2id_MEMLIMIT_MIN
ARGON2_OPSLIMIT_MODERATE = sodium.crypto_pwhash_argon2id_OPSLIMIT_MODERATE
ARGON2_MEMLIMIT_MODERATE = sodium.crypto_pwhash_argon2id_MEMLIMIT_MODERATE
ARGON2_OPSLIMIT_MAX_ACCEPTED = 16  # refuse keystore files that would make opening take minutes
ARGON2_MEMLIMIT_MAX_ACCEPTED = 1 << 30


class DecryptionFailed(VerificationError):
    """An AEAD or sealed-box open failed: wrong key, or changed bytes. Deliberately unspecific."""


def random_bytes(n: int) -> bytes:
    return bytes(sodium.randombytes(n))


def aead_encrypt(plaintext: bytes, ad: bytes, nonce: bytes, key: bytes) -> bytes:
    """XChaCha20-Poly1305 (IETF); returns ciphertext with the 16-byte tag appended."""
    return bytes(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, nonce, key))


def aead_decrypt(ciphertext: bytes, ad: bytes, nonce: bytes, key: bytes) -> bytes:
    try:
        return bytes(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, ad, nonce, key))
    except (nacl.exceptions.CryptoError, nacl.exceptions.ValueError, TypeError) as exc:
        raise DecryptionFailed("decryption failed") from exc


def box_keypair() -> tuple[bytes, bytes]:
    """A fresh X25519 key pair: (public, secret)."""
    public, secret = sodium.crypto_box_keypair()
    return bytes(public), bytes(secret)


def box_keypair_from_seed(seed: bytes) -> tuple[bytes, bytes]:
    """A deterministic X25519 key pair from a 32-byte seed (test vectors, key derivation)."""
    public, secret = sodium.crypto_box_seed_keypair(seed)
    return bytes(public), bytes(secret)


def box_public_from_secret(secret: bytes) -> bytes:
    return bytes(sodium.crypto_scalarmult_base(secret))


def box_seal(message: bytes, public: bytes) -> bytes:
    """libsodium sealed box: anonymous encryption to an X25519 public key."""
    try:
        return bytes(sodium.crypto_box_seal(message, public))
    except (nacl.exceptions.CryptoError, nacl.exceptions.ValueError, TypeError) as exc:
        raise InvalidInputError("not a valid X25519 public key") from exc


def box_seal_open(sealed: bytes, public: bytes, secret: bytes) -> bytes:
    try:
        return bytes(sodium.crypto_box_seal_open(sealed, public, secret))
    except (nacl.exceptions.CryptoError, nacl.exceptions.ValueError, TypeError) as exc:
        raise DecryptionFailed("sealed box did not open") from exc


def sign_keypair() -> tuple[bytes, bytes]:
    """A fresh Ed25519 key pair: (public, secret-with-public as libsodium keeps it)."""
    public, secret = sodium.crypto_sign_keypair()
    return bytes(public), bytes(secret)


def sign_keypair_from_seed(seed: bytes) -> tuple[bytes, bytes]:
    """A deterministic Ed25519 key pair from a 32-byte seed (test vectors, key derivation)."""
    public, secret = sodium.crypto_sign_seed_keypair(seed)
    return bytes(public), bytes(secret)


def sign_public_from_secret(secret: bytes) -> bytes:
    return bytes(sodium.crypto_sign_ed25519_sk_to_pk(secret))


def sign_detached(message: bytes, secret: bytes) -> bytes:
    return bytes(sodium.crypto_sign(message, secret)[:SIGNATURE_BYTES])


def verify_detached(signature: bytes, message: bytes, public: bytes) -> None:
    """Raise :class:`VerificationError` unless ``signature`` is ``public``'s over ``message``."""
    if len(signature) != SIGNATURE_BYTES or len(public) != PUBLIC_KEY_BYTES:
        raise VerificationError("bad signature")
    try:
        sodium.crypto_sign_open(signature + message, public)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, TypeError) as exc:
        raise VerificationError("bad signature") from exc


def argon2id(passphrase: bytes, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    """A 32-byte key from a passphrase with Argon2id (libsodium crypto_pwhash)."""
    if not (ARGON2_OPSLIMIT_MIN <= opslimit <= ARGON2_OPSLIMIT_MAX_ACCEPTED) or not (
        ARGON2_MEMLIMIT_MIN <= memlimit <= ARGON2_MEMLIMIT_MAX_ACCEPTED
    ):
        raise InvalidInputError("Argon2id parameters out of the accepted range")
    if len(salt) != ARGON2_SALT_BYTES:
        raise InvalidInputError("Argon2id salt must be 16 bytes")
    return bytes(sodium.crypto_pwhash_alg(KEY_BYTES, passphrase, salt, opslimit, memlimit, ARGON2ID))
