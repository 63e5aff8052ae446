"""The node's data key and sealed values: known answers, and every kind of tampering refused alike."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import UTC, datetime

import nacl.secret
import pytest

from exchange.crypto import sodium
from exchange.crypto.keys import KeyStatus, KeyVersion, PartyKeys
from exchange.crypto.keystore import Keystore
from exchange.errors import ConfigurationError
from exchange.node.sealing import (
    KDF_SALT,
    DataKey,
    SealedDataError,
    data_key_info,
    derive_data_key,
    open_sealed,
    opener,
    seal,
    seal_many,
)

PLAINTEXT = b"Kerkstraat 1, 5701 AB Helmond"
#: HKDF-SHA256 over the X25519 secret from seed 00..1f, party helmond, version 1.
DATA_KEY = "f17e7f3cb6c76eecae0b213ce447cf1150af75b04c45bc0ccc3f82654cf18671"
#: seal(DATA_KEY, PLAINTEXT) with an all-zero nonce: version byte, nonce, XSalsa20-Poly1305.
SEALED = (
    "01000000000000000000000000000000000000000000000000be4ac590f259a58a8b7ae7a35a8558bd69e642bcf507ae05"
    "f89df5477608588fe47a702d70a51f1410704f44bf"
)


def _keystore(status: KeyStatus = KeyStatus.CURRENT, secret: bool = True) -> Keystore:
    box_public, box_secret = sodium.box_keypair_from_seed(bytes(range(32)))
    sign_public, sign_secret = sodium.sign_keypair_from_seed(bytes(range(32, 64)))
    version = KeyVersion(
        1,
        datetime(2026, 1, 1, tzinfo=UTC),
        status,
        box_public,
        sign_public,
        box_secret if secret else None,
        sign_secret if secret else None,
    )
    return Keystore(PartyKeys("helmond", (version,)))


def _rfc5869(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA256 written out from RFC 5869 section 2, for one 32-byte block."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def test_the_data_key_is_hkdf_sha256_over_the_keystore_secret() -> None:
    """The derived key matches the fixed vector and an independent RFC 5869 computation."""
    store = _keystore()
    key = derive_data_key(store, 1)
    secret = store.keys.versions[0].box_secret
    assert secret is not None
    assert key.key.hex() == DATA_KEY
    assert key.key == _rfc5869(secret, KDF_SALT, data_key_info("helmond", 1))
    assert "key=" not in repr(key) and DATA_KEY not in repr(key)


def test_sealing_with_a_fixed_nonce_gives_the_known_answer() -> None:
    """Sealed bytes are version byte, nonce and SecretBox ciphertext, exactly."""
    key = DataKey(1, bytes.fromhex(DATA_KEY))
    assert seal(key, PLAINTEXT, bytes(24)).hex() == SEALED
    assert open_sealed(key, bytes.fromhex(SEALED)) == PLAINTEXT


def test_each_seal_has_its_own_nonce() -> None:
    """Two seals of one plaintext differ, and both open."""
    key = derive_data_key(_keystore(), 1)
    a, b = seal(key, PLAINTEXT), seal(key, PLAINTEXT)
    assert a != b and open_sealed(key, a) == open_sealed(key, b) == PLAINTEXT


def test_sealing_a_batch_is_the_same_construction_with_a_nonce_each() -> None:
    """seal_many's values open with open_sealed and opener, each under a nonce of its own; a value with
    its nonce set to zero is byte for byte the known answer's construction."""
    key = DataKey(1, bytes.fromhex(DATA_KEY))
    values = seal_many(key, [PLAINTEXT, PLAINTEXT, b"", b"5701 AB 1"])
    assert [open_sealed(key, v) for v in values] == [PLAINTEXT, PLAINTEXT, b"", b"5701 AB 1"]
    assert [opener(key)(v) for v in values] == [open_sealed(key, v) for v in values]
    assert len({v[1:25] for v in values}) == 4
    box = nacl.secret.SecretBox(key.key)
    assert values[0][1:] == bytes(box.encrypt(PLAINTEXT, values[0][1:25]))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[:1] + b[1:25] + bytes([b[25] ^ 1]) + b[26:], id="ciphertext-bit"),
        pytest.param(lambda b: b[:1] + bytes([b[1] ^ 1]) + b[2:], id="nonce-bit"),
        pytest.param(lambda b: b"\x02" + b[1:], id="unknown-version"),
        pytest.param(lambda b: b[:-1], id="truncated-tag"),
        pytest.param(lambda b: b[:20], id="shorter-than-nonce"),
        pytest.param(lambda b: b"", id="empty"),
    ],
)
def test_a_tampered_value_does_not_open(damage: object) -> None:
    """Any change to a sealed value is one opaque error."""
    key = DataKey(1, bytes.fromhex(DATA_KEY))
    with pytest.raises(SealedDataError, match="altered, or sealed under another key"):
        open_sealed(key, damage(bytes.fromhex(SEALED)))  # type: ignore[operator]  # the lambdas above


def test_another_key_does_not_open() -> None:
    """A key derived for another party does not open the value."""
    other = derive_data_key(Keystore(replace(_keystore().keys, party="senzer")), 1)
    with pytest.raises(SealedDataError):
        open_sealed(other, bytes.fromhex(SEALED))


def test_a_destroyed_or_missing_version_gives_no_key() -> None:
    """The store's key version must still hold its secret; the message says what to do."""
    with pytest.raises(ConfigurationError, match=r"has been destroyed.*restore a keystore backup"):
        derive_data_key(_keystore(KeyStatus.DESTROYED, secret=False), 1)
    with pytest.raises(ConfigurationError, match="holds no key version 2"):
        derive_data_key(_keystore(), 2)
