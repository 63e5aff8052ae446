"""A party's private keys on disk, encrypted under a passphrase. Format: docs/specs/keystore.md.

The file is JSON: a readable header (format, version, party, Argon2id parameters and salt, nonce) and
the key material encrypted with XChaCha20-Poly1305 under an Argon2id-derived key, with the header as
associated data, so editing any header field makes the file fail to open. Writes go to a temporary
file with mode 0600 in the same directory, are fsynced, and replace the old file atomically: a crash
leaves the old keystore or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import rfc8785

from exchange.crypto import sodium
from exchange.crypto.keys import KeyStatus, KeyVersion, PartyKeys, b64, unb64
from exchange.crypto.pseudonym import PseudonymKey
from exchange.errors import ConflictError, InvalidInputError, VerificationError

FORMAT = "exchange-keystore"
VERSION = 1
MAX_KEYSTORE_BYTES = 1024 * 1024


class KeystoreError(InvalidInputError):
    """The keystore file cannot be read: not a keystore, an unsupported version, or damaged."""


class WrongPassphrase(VerificationError):
    """The passphrase does not open the keystore, or its encrypted part was altered."""

    def __init__(self) -> None:
        super().__init__("wrong passphrase, or the keystore's encrypted content was altered")


@dataclass(frozen=True, slots=True)
class KdfParams:
    opslimit: int = sodium.ARGON2_OPSLIMIT_MODERATE
    memlimit: int = sodium.ARGON2_MEMLIMIT_MODERATE


@dataclass(frozen=True, slots=True)
class Keystore:
    """Everything a party keeps secret: its key versions and the covenants' pseudonym keys."""

    keys: PartyKeys
    pseudonym_keys: tuple[PseudonymKey, ...] = ()

    @property
    def party(self) -> str:
        return self.keys.party

    def pseudonym_key(self, covenant: str, version: int | None = None) -> PseudonymKey:
        """The newest (or the given) pseudonym key version for a covenant."""
        candidates = [k for k in self.pseudonym_keys if k.covenant == covenant]
        if version is not None:
            candidates = [k for k in candidates if k.version == version]
        if not candidates:
            which = f" version {version}" if version is not None else ""
            raise InvalidInputError(f"this keystore holds no pseudonym key{which} for covenant '{covenant}'")
        return max(candidates, key=lambda k: k.version)

    def with_pseudonym_key(self, key: PseudonymKey) -> Keystore:
        if any(k.covenant == key.covenant and k.version == key.version for k in self.pseudonym_keys):
            raise ConflictError(f"pseudonym key version {key.version} for '{key.covenant}' exists already")
        return Keystore(self.keys, (*self.pseudonym_keys, key))


def _secret_data(store: Keystore) -> dict[str, Any]:
    return {
        "versions": [
            {
                "version": v.version,
                "created": v.created.isoformat(),
                "status": str(v.status),
                "x25519_public": b64(v.box_public),
                "ed25519_public": b64(v.sign_public),
                "x25519_secret": b64(v.box_secret) if v.box_secret is not None else None,
                "ed25519_secret": b64(v.sign_secret) if v.sign_secret is not None else None,
            }
            for v in store.keys.versions
        ],
        "pseudonym_keys": [
            {"covenant": k.covenant, "version": k.version, "key": b64(k.key)} for k in store.pseudonym_keys
        ],
    }


def _from_secret_data(party: str, data: dict[str, Any]) -> Keystore:
    versions = []
    for v in data["versions"]:
        box_secret = unb64(v["x25519_secret"], "key") if v["x25519_secret"] else None
        sign_secret = unb64(v["ed25519_secret"], "key") if v["ed25519_secret"] else None
        version = KeyVersion(
            int(v["version"]),
            datetime.fromisoformat(v["created"]),
            KeyStatus(v["status"]),
            unb64(v["x25519_public"], "key"),
            unb64(v["ed25519_public"], "key"),
            box_secret,
            sign_secret,
        )
        # A keystore whose secret does not belong to its public key is damaged, not merely odd.
        if box_secret is not None and sodium.box_public_from_secret(box_secret) != version.box_public:
            raise KeystoreError("the keystore is damaged: an encryption key does not match its public key")
        if sign_secret is not None and sodium.sign_public_from_secret(sign_secret) != version.sign_public:
            raise KeystoreError("the keystore is damaged: a signing key does not match its public key")
        versions.append(version)
    pkeys = tuple(
        PseudonymKey(str(k["covenant"]), int(k["version"]), unb64(k["key"], "key"))
        for k in data["pseudonym_keys"]
    )
    return Keystore(PartyKeys(party, tuple(versions)), pkeys)


def seal_keystore(store: Keystore, passphrase: str, kdf: KdfParams = KdfParams()) -> bytes:
    """Serialise and encrypt a keystore. The result is the file's bytes."""
    if len(passphrase) < 8:
        raise InvalidInputError("the passphrase must have at least 8 characters")
    salt = sodium.random_bytes(sodium.ARGON2_SALT_BYTES)
    nonce = sodium.random_bytes(sodium.NONCE_BYTES)
    header: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "party": store.party,
        "kdf": {"alg": "argon2id13", "opslimit": kdf.opslimit, "memlimit": kdf.memlimit, "salt": b64(salt)},
        "aead": "xchacha20poly1305-ietf",
        "nonce": b64(nonce),
    }
    key = sodium.argon2id(passphrase.encode("utf-8"), salt, kdf.opslimit, kdf.memlimit)
    secret = rfc8785.dumps(_secret_data(store))
    ciphertext = sodium.aead_encrypt(secret, rfc8785.dumps(header), nonce, key)
    return json.dumps({**header, "ciphertext": b64(ciphertext)}, indent=2).encode("utf-8") + b"\n"


def open_keystore(data: bytes, passphrase: str) -> Keystore:
    """Decrypt keystore bytes. :class:`KeystoreError` for a damaged file, :class:`WrongPassphrase`
    when the passphrase does not open it."""
    if len(data) > MAX_KEYSTORE_BYTES:
        raise KeystoreError("the file is too large to be a keystore")
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise KeystoreError("the file is not a keystore (not JSON)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise KeystoreError("the file is not an exchange keystore")
    if doc.get("version") != VERSION:
        raise KeystoreError(
            f"keystore version {doc.get('version')!r} is not supported (this program reads {VERSION})"
        )
    try:
        header = {k: doc[k] for k in ("format", "version", "party", "kdf", "aead", "nonce")}
        kdf = doc["kdf"]
        salt = unb64(kdf["salt"], "salt")
        nonce = unb64(doc["nonce"], "nonce")
        ciphertext = unb64(doc["ciphertext"], "ciphertext")
        opslimit, memlimit = int(kdf["opslimit"]), int(kdf["memlimit"])
        party = str(doc["party"])
    except (KeyError, TypeError, ValueError, InvalidInputError):
        raise KeystoreError("the keystore is damaged: a header field is missing or malformed") from None
    if (
        kdf.get("alg") != "argon2id13"
        or doc["aead"] != "xchacha20poly1305-ietf"
        or len(nonce) != sodium.NONCE_BYTES
    ):
        raise KeystoreError("the keystore names an algorithm this program does not use")
    try:
        key = sodium.argon2id(passphrase.encode("utf-8"), salt, opslimit, memlimit)
    except InvalidInputError as exc:
        raise KeystoreError(f"the keystore is damaged: {exc}") from None
    try:
        secret = sodium.aead_decrypt(ciphertext, rfc8785.dumps(header), nonce, key)
    except VerificationError:
        raise WrongPassphrase() from None
    try:
        return _from_secret_data(party, json.loads(secret))
    except (KeyError, TypeError, ValueError, InvalidInputError) as exc:
        if isinstance(exc, KeystoreError):
            raise
        raise KeystoreError("the keystore is damaged: its content is malformed") from None


def write_keystore(path: Path, store: Keystore, passphrase: str, kdf: KdfParams = KdfParams()) -> None:
    """Write atomically with mode 0600: a crash leaves the old file or the new, never a mix."""
    data = seal_keystore(store, passphrase, kdf)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_keystore(path: Path, passphrase: str) -> Keystore:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeystoreError(f"no keystore at {path}") from None
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeystoreError(f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}")
    return open_keystore(data, passphrase)
