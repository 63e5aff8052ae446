"""Party keys rotate and are destroyed; keystores survive wrong passphrases, corruption and crashes."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exchange.crypto import sodium
from exchange.crypto.keys import KeyStatus, PartyKeys, key_id, unb64
from exchange.crypto.keystore import (
    KdfParams,
    Keystore,
    KeystoreError,
    WrongPassphrase,
    open_keystore,
    read_keystore,
    seal_keystore,
    write_keystore,
)
from exchange.crypto.pseudonym import PseudonymKey
from exchange.errors import ConflictError, InvalidInputError, NotFoundError, VerificationError

NOW = datetime(2026, 1, 5, tzinfo=UTC)
FAST = KdfParams(opslimit=sodium.ARGON2_OPSLIMIT_MIN, memlimit=sodium.ARGON2_MEMLIMIT_MIN)
PASS = "correct horse battery staple"


def store() -> Keystore:
    return Keystore(PartyKeys.create("helmond", NOW), (PseudonymKey.generate("pit"),))


def test_key_ids_are_derived_from_public_keys() -> None:
    """Anyone can recompute a key id from the public key; ids differ per algorithm."""
    keys = PartyKeys.create("helmond", NOW)
    v = keys.current
    assert v.box_kid == key_id("x25519", v.box_public)
    assert v.box_kid.startswith("x25519_") and len(v.box_kid) == 7 + 24
    assert v.public().sign_kid == v.sign_kid
    assert key_id("x25519", b"\x00" * 32) != key_id("ed25519", b"\x00" * 32)


def test_rotation_and_destruction() -> None:
    """Rotation retires the old version; destroying erases its secrets but keeps its public key."""
    keys = PartyKeys.create("helmond", NOW).rotate(NOW)
    assert [v.status for v in keys.versions] == [KeyStatus.RETIRED, KeyStatus.CURRENT]
    assert keys.current.version == 2
    with pytest.raises(ConflictError, match="current key cannot be destroyed"):
        keys.destroy(2)
    destroyed = keys.destroy(1)
    old = destroyed.version(1)
    assert old.status is KeyStatus.DESTROYED and old.box_secret is None and old.sign_secret is None
    assert old.box_public == keys.version(1).box_public
    assert destroyed.box_secret_for(old.box_kid) is None
    with pytest.raises(NotFoundError, match="no key version 9"):
        keys.version(9)
    published = destroyed.public()
    assert [p.status for p in published] == [KeyStatus.DESTROYED, KeyStatus.CURRENT]
    data = published[0].to_data("helmond")
    assert data["x25519"] == {"kid": old.box_kid, "public": data["x25519"]["public"]}  # type: ignore[index]
    assert "secret" not in json.dumps(data)


def test_no_current_key() -> None:
    """A party whose every version is retired has no current key, and says so."""
    keys = PartyKeys.create("helmond", NOW)
    retired = PartyKeys("helmond", tuple(replace(v, status=KeyStatus.RETIRED) for v in keys.versions))
    with pytest.raises(NotFoundError, match="no current key"):
        _ = retired.current


def test_keystore_round_trip_preserves_everything() -> None:
    """A sealed keystore opens to the same keys and pseudonym keys."""
    s = Keystore(PartyKeys.create("helmond", NOW).rotate(NOW).destroy(1), (PseudonymKey.generate("pit"),))
    again = open_keystore(seal_keystore(s, PASS, FAST), PASS)
    assert again == s


def test_wrong_passphrase() -> None:
    """A wrong passphrase gives one clear error."""
    data = seal_keystore(store(), PASS, FAST)
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        open_keystore(data, "not the passphrase")


@pytest.mark.parametrize(
    ("mutate", "error", "match"),
    [
        (lambda d: d.update(party="politie"), WrongPassphrase, "wrong passphrase"),  # header is bound as AD
        (lambda d: d["kdf"].update(salt="AAAAAAAAAAAAAAAAAAAAAA"), WrongPassphrase, "wrong passphrase"),
        (lambda d: d.update(ciphertext=d["ciphertext"][:-4] + "AAAA"), WrongPassphrase, "altered"),
        (lambda d: d.update(version=2), KeystoreError, "version 2 is not supported"),
        (lambda d: d.update(format="something"), KeystoreError, "not an exchange keystore"),
        (lambda d: d.pop("nonce"), KeystoreError, "header field is missing"),
        (lambda d: d["kdf"].update(alg="scrypt"), KeystoreError, "algorithm this program does not use"),
        (lambda d: d["kdf"].update(opslimit=10**6), KeystoreError, "out of the accepted range"),
        (lambda d: d["kdf"].update(salt="AAAA"), KeystoreError, "salt must be 16 bytes"),
        (lambda d: d.update(nonce="@@@"), KeystoreError, "malformed"),
    ],
)
def test_corrupt_keystore(mutate, error: type[Exception], match: str) -> None:  # type: ignore[no-untyped-def]
    """Edited or damaged keystores are refused with what is wrong."""
    doc = json.loads(seal_keystore(store(), PASS, FAST))
    mutate(doc)
    with pytest.raises(error, match=match):
        open_keystore(json.dumps(doc).encode(), PASS)


def test_not_a_keystore() -> None:
    """Random bytes and other JSON are refused as not a keystore."""
    with pytest.raises(KeystoreError, match="not JSON"):
        open_keystore(b"\x00\x01garbage", PASS)
    with pytest.raises(KeystoreError, match="not an exchange keystore"):
        open_keystore(b"[1, 2]", PASS)
    with pytest.raises(KeystoreError, match="too large"):
        open_keystore(b" " * (1024 * 1024 + 1), PASS)


def test_mismatched_secret_is_damage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secret keys that do not belong to their public keys mark the keystore as damaged."""
    s = store()
    other = PartyKeys.create("helmond", NOW)
    for field_name in ("box_secret", "sign_secret"):
        v = s.keys.current
        bad_version = replace(v, **{field_name: getattr(other.current, field_name)})
        bad = Keystore(PartyKeys("helmond", (bad_version,)), ())
        with pytest.raises(KeystoreError, match="does not match its public key"):
            open_keystore(seal_keystore(bad, PASS, FAST), PASS)


def test_malformed_secret_content(monkeypatch: pytest.MonkeyPatch) -> None:
    """Encrypted content that is not the expected structure is damage, not a crash."""
    import exchange.crypto.keystore as ks

    monkeypatch.setattr(ks, "_secret_data", lambda s: {"versions": [{"version": "x"}]})
    with pytest.raises(KeystoreError, match="content is malformed"):
        open_keystore(seal_keystore(store(), PASS, FAST), PASS)


def test_short_passphrase_refused() -> None:
    """Passphrases shorter than 8 characters are refused."""
    with pytest.raises(InvalidInputError, match="at least 8 characters"):
        seal_keystore(store(), "short", FAST)


def test_file_written_atomically_with_mode_0600(tmp_path: Path) -> None:
    """The keystore file is 0600; reading a group/world-readable keystore is refused."""
    path = tmp_path / "keys" / "helmond.keystore"
    write_keystore(path, store(), PASS, FAST)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_keystore(path, PASS).party == "helmond"
    assert [p.name for p in path.parent.iterdir()] == ["helmond.keystore"]  # no temporary left behind
    path.chmod(0o644)
    with pytest.raises(KeystoreError, match="readable by others"):
        read_keystore(path, PASS)
    with pytest.raises(KeystoreError, match="no keystore at"):
        read_keystore(tmp_path / "missing", PASS)


def test_failed_write_keeps_old_keystore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If writing fails midway, the old keystore is untouched and no temporary file remains."""
    path = tmp_path / "helmond.keystore"
    original = store()
    write_keystore(path, original, PASS, FAST)
    before = path.read_bytes()

    def crash(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        write_keystore(path, Keystore(original.keys.rotate(NOW), ()), PASS, FAST)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["helmond.keystore"]


def test_pseudonym_keys_in_keystore() -> None:
    """The keystore finds the newest pseudonym key per covenant and refuses duplicates."""
    s = store()
    k2 = PseudonymKey.generate("pit", 2)
    s2 = s.with_pseudonym_key(k2)
    assert s2.pseudonym_key("pit") == k2
    assert s2.pseudonym_key("pit", 1).version == 1
    with pytest.raises(ConflictError, match="exists already"):
        s2.with_pseudonym_key(PseudonymKey.generate("pit", 2))
    with pytest.raises(InvalidInputError, match="no pseudonym key for covenant 'kit'"):
        s2.pseudonym_key("kit")
    with pytest.raises(InvalidInputError, match="no pseudonym key version 7"):
        s2.pseudonym_key("pit", 7)


def test_sodium_adapter_errors() -> None:
    """The adapter translates libsodium failures into exchange errors."""
    pub, sec = sodium.box_keypair()
    with pytest.raises(VerificationError):
        sodium.box_seal_open(b"\x00" * 80, pub, sec)
    with pytest.raises(VerificationError):
        sodium.aead_decrypt(b"\x00" * 20, b"", b"\x00" * 24, b"\x00" * 32)
    with pytest.raises(VerificationError, match="bad signature"):
        sodium.verify_detached(b"\x00" * 10, b"m", b"\x00" * 32)
    spub, ssec = sodium.sign_keypair()
    with pytest.raises(VerificationError, match="bad signature"):
        sodium.verify_detached(sodium.sign_detached(b"m", ssec), b"other", spub)
    with pytest.raises(InvalidInputError):
        unb64("!!!", "thing")
