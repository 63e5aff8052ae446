"""A party's key pairs: X25519 for opening envelopes, Ed25519 for signing, with versions.

Rotation adds a new version that becomes current for sealing and signing; older private keys stay
to open older items until they are destroyed. A destroyed version keeps its public key (to verify
old signatures and to show which key an item was sealed to) and loses its secret for good.
Key ids are derived from the public key, so anyone can recompute and check them.
"""

from __future__ import annotations

import base64
import enum
import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime

from exchange.crypto import sodium
from exchange.errors import ConflictError, InvalidInputError, NotFoundError


class KeyStatus(enum.StrEnum):
    CURRENT = "current"
    RETIRED = "retired"  # still opens and verifies; no longer used to seal or sign
    DESTROYED = "destroyed"  # secret erased; public key kept


def key_id(algorithm: str, public: bytes) -> str:
    """``x25519_<24 hex>`` / ``ed25519_<24 hex>``: SHA-256 over algorithm and public key, truncated."""
    digest = hashlib.sha256(b"exchange-kid-v1\x00" + algorithm.encode() + b"\x00" + public).hexdigest()
    return f"{algorithm}_{digest[:24]}"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str, what: str) -> bytes:
    try:
        # validate=True: refuse characters outside the alphabet instead of silently skipping them.
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (ValueError, TypeError):
        raise InvalidInputError(f"{what} is not valid base64url") from None


@dataclass(frozen=True, slots=True)
class KeyVersion:
    """One version of a party's keys: an encryption and a signing key pair made together."""

    version: int
    created: datetime
    status: KeyStatus
    box_public: bytes
    sign_public: bytes
    box_secret: bytes | None = field(default=None, repr=False)
    sign_secret: bytes | None = field(default=None, repr=False)

    @property
    def box_kid(self) -> str:
        return key_id("x25519", self.box_public)

    @property
    def sign_kid(self) -> str:
        return key_id("ed25519", self.sign_public)

    def public(self) -> PublicKeyVersion:
        return PublicKeyVersion(self.version, self.status, self.box_public, self.sign_public)


@dataclass(frozen=True, slots=True)
class PublicKeyVersion:
    """What a party registers with the hub: public keys only."""

    version: int
    status: KeyStatus
    box_public: bytes
    sign_public: bytes

    @property
    def box_kid(self) -> str:
        return key_id("x25519", self.box_public)

    @property
    def sign_kid(self) -> str:
        return key_id("ed25519", self.sign_public)

    def to_data(self, party: str) -> dict[str, object]:
        return {
            "party": party,
            "version": self.version,
            "status": str(self.status),
            "x25519": {"kid": self.box_kid, "public": b64(self.box_public)},
            "ed25519": {"kid": self.sign_kid, "public": b64(self.sign_public)},
        }


def new_version(version: int, created: datetime) -> KeyVersion:
    box_public, box_secret = sodium.box_keypair()
    sign_public, sign_secret = sodium.sign_keypair()
    return KeyVersion(version, created, KeyStatus.CURRENT, box_public, sign_public, box_secret, sign_secret)


@dataclass(frozen=True, slots=True)
class PartyKeys:
    """All key versions of one party, newest last. Immutable: operations return a new value."""

    party: str
    versions: tuple[KeyVersion, ...]

    @classmethod
    def create(cls, party: str, now: datetime) -> PartyKeys:
        return cls(party, (new_version(1, now),))

    @property
    def current(self) -> KeyVersion:
        for v in reversed(self.versions):
            if v.status is KeyStatus.CURRENT:
                return v
        raise NotFoundError(f"party '{self.party}' has no current key")

    def rotate(self, now: datetime) -> PartyKeys:
        """Add a new current version; the previous current one becomes retired."""
        retired = tuple(
            replace(v, status=KeyStatus.RETIRED) if v.status is KeyStatus.CURRENT else v
            for v in self.versions
        )
        return PartyKeys(self.party, (*retired, new_version(len(self.versions) + 1, now)))

    def destroy(self, version: int) -> PartyKeys:
        """Erase the secrets of a retired version. The current version cannot be destroyed."""
        target = self.version(version)
        if target.status is KeyStatus.CURRENT:
            raise ConflictError("the current key cannot be destroyed; rotate first")
        destroyed = replace(target, status=KeyStatus.DESTROYED, box_secret=None, sign_secret=None)
        return PartyKeys(self.party, tuple(destroyed if v.version == version else v for v in self.versions))

    def version(self, version: int) -> KeyVersion:
        for v in self.versions:
            if v.version == version:
                return v
        raise NotFoundError(f"party '{self.party}' has no key version {version}")

    def box_secret_for(self, kid: str) -> tuple[bytes, bytes] | None:
        """(public, secret) of the encryption key with this id, if held and not destroyed."""
        for v in self.versions:
            if v.box_kid == kid and v.box_secret is not None:
                return v.box_public, v.box_secret
        return None

    def public(self) -> list[PublicKeyVersion]:
        return [v.public() for v in self.versions]
