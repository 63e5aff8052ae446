"""The hub's key directory, read and checked here: whose keys verify a provider's signature.

    directory = fetch_directory(client)            # GET /v1/keys, every kid checked
    text = open_item(item, keys, directory.signers_for(item))

Every entry's key id is recomputed from its public key (:func:`exchange.crypto.keys.key_id`); one
that does not match refuses the whole directory, since a hub (or anything between) that swaps one
key may have swapped others. A signature verifies only under a signing key of the item's own
provider, and not under a key the hub retired before the item was created: a retired key signs
nothing new (the hub refuses to store such an item on its own clock, docs/threat-model.md).

The directory is served by the hub. ``--signers FILE`` (export-public files exchanged out of band)
stays for parties that do not want to trust it; :func:`file_signers` reads those.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from exchange.client.http import ExchangeClient
from exchange.crypto.envelope import SealedItem
from exchange.crypto.keys import KeyVersion, PartyKeys, key_id, unb64
from exchange.errors import ExchangeError, InvalidInputError, VerificationError

ALGORITHMS = ("ed25519", "x25519")
STATUSES = ("current", "retired", "destroyed")


class DirectoryRefused(VerificationError):
    """The hub's key directory failed a check: a key id that is not its key's, or a malformed entry."""


class DirectoryAnswerError(ExchangeError):
    """The hub answered a key or join request with a problem."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        self.status = status
        super().__init__(f"the hub answered {status}: {problem.get('detail') or problem.get('title')}")


@dataclass(frozen=True, slots=True)
class PublishedKey:
    """One key of the directory, checked: its id is its public key's."""

    party: str
    kid: str
    algorithm: str
    version: int
    status: str
    public: bytes
    registered: datetime
    retired_at: datetime | None

    def signs_at(self, moment: datetime) -> bool:
        """Whether this key was not yet retired at ``moment`` (destroyed keys keep their retired_at)."""
        return self.retired_at is None or moment < self.retired_at


@dataclass(frozen=True, slots=True)
class KeyDirectory:
    """Checked directory entries by key id."""

    keys: Mapping[str, PublishedKey]

    def status(self, kid: str) -> str | None:
        key = self.keys.get(kid)
        return key.status if key is not None else None

    def public(self, kid: str) -> bytes | None:
        key = self.keys.get(kid)
        return key.public if key is not None else None

    def signing_keys(self, party: str | None = None) -> dict[str, bytes]:
        """Ed25519 key id → public key, of ``party`` or of everyone listed."""
        return {
            k.kid: k.public
            for k in self.keys.values()
            if k.algorithm == "ed25519" and (party is None or k.party == party)
        }

    def signers_for(self, item: SealedItem) -> dict[str, bytes]:
        """The key that may have signed ``item``: its provider's, not retired before the item was
        created. Raises :class:`DirectoryRefused` naming why otherwise."""
        meta = item.header.metadata
        kid = item.header.provider_kid
        key = self.keys.get(kid)
        if key is None or key.algorithm != "ed25519" or key.party != meta.provider:
            raise DirectoryRefused(
                f"item '{meta.item}' is signed with {kid}, which the key directory does not list as a "
                f"signing key of '{meta.provider}'"
            )
        try:
            created = datetime.fromisoformat(meta.created.replace("Z", "+00:00"))
        except ValueError:
            raise DirectoryRefused(f"item '{meta.item}' has no valid creation time") from None
        if created.tzinfo is None or not key.signs_at(created):
            raise DirectoryRefused(
                f"item '{meta.item}' is signed with {kid}, which was retired before the item was created"
            )
        return {kid: key.public}

    def __call__(self, item: SealedItem) -> Mapping[str, bytes]:
        return self.signers_for(item)


def _entry(raw: Any) -> PublishedKey:
    if not isinstance(raw, dict):
        raise DirectoryRefused("a key directory entry is not an object")
    try:
        algorithm, kid, status = str(raw["algorithm"]), str(raw["kid"]), str(raw["status"])
        public = unb64(str(raw["public"]), f"public key {kid}")
        retired = raw.get("retired_at")
        entry = PublishedKey(
            str(raw["party"]),
            kid,
            algorithm,
            int(raw["version"]),
            status,
            public,
            datetime.fromisoformat(str(raw["registered"]).replace("Z", "+00:00")),
            datetime.fromisoformat(str(retired).replace("Z", "+00:00")) if retired is not None else None,
        )
    except (KeyError, TypeError, ValueError, InvalidInputError) as exc:
        raise DirectoryRefused(f"a key directory entry is malformed: {exc}") from None
    if algorithm not in ALGORITHMS or status not in STATUSES or len(public) != 32:
        raise DirectoryRefused(f"key directory entry {kid} has an unknown algorithm or status, or a bad key")
    if key_id(algorithm, public) != kid:
        raise DirectoryRefused(
            f"key directory entry {kid} of '{entry.party}' does not match its public key; "
            "the whole directory is refused"
        )
    if status != "current" and entry.retired_at is None:
        raise DirectoryRefused(f"key directory entry {kid} is {status} but has no retired_at")
    return entry


def check_directory(data: Any) -> KeyDirectory:
    """The directory from ``GET /v1/keys``'s JSON, every entry checked (see the module docstring)."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise DirectoryRefused("the key directory is not an object with a list of 'keys'")
    keys: dict[str, PublishedKey] = {}
    for raw in data["keys"]:
        entry = _entry(raw)
        if entry.kid in keys:
            raise DirectoryRefused(f"key directory lists {entry.kid} twice")
        keys[entry.kid] = entry
    return KeyDirectory(keys)


def _answer(response: Any, *expected: int) -> Any:
    if response.status_code not in (expected or (200,)):
        try:
            problem = response.json()
        except ValueError:
            problem = {"title": response.text[:200]}
        raise DirectoryAnswerError(response.status_code, problem if isinstance(problem, dict) else {})
    return response.json()


def fetch_directory(client: ExchangeClient, party: str | None = None) -> KeyDirectory:
    """``GET /v1/keys`` (of ``party`` only, when given), checked."""
    path = "/v1/keys" if party is None else f"/v1/keys?party={quote(party, safe='')}"
    return check_directory(_answer(client.get(path)))


def publishing_key(keys: PartyKeys) -> KeyVersion:
    """The key to sign ``POST /v1/keys`` with: the hub still knows the version before the newest
    rotation as current, so that one (while its secret is held); the current one otherwise."""
    current = keys.current
    before = [v for v in keys.versions if v.version < current.version and v.sign_secret is not None]
    return before[-1] if before else current


def publish_keys(client: ExchangeClient, keys: PartyKeys) -> list[str]:
    """Register this party's keys after ``exchange keys rotate`` (``POST /v1/keys``); ``client``
    signs with the key the hub has as current (:func:`publishing_key`). Returns the key ids the hub
    added."""
    body = [v.to_data(keys.party) for v in keys.public()]
    added = _answer(client.request("POST", "/v1/keys", body))["added"]  # type: ignore[arg-type]  # a JSON list body
    return [str(k) for k in added]


def file_signers(path: Path) -> dict[str, bytes]:
    """Signing keys from export-public files merged into one JSON list, exchanged out of band."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {e["ed25519"]["kid"]: unb64(e["ed25519"]["public"], "key") for e in data}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"cannot read the signers file {path}: {exc}") from None


#: What verifies a provider's signature: a fixed mapping (a signers file) or one per item (the directory).
Signers = Mapping[str, bytes] | Callable[[SealedItem], Mapping[str, bytes]]


def keys_for(signers: Signers, item: SealedItem) -> Mapping[str, bytes]:
    """The signing keys to verify ``item`` with."""
    return signers(item) if callable(signers) else signers


def signer_source(client: ExchangeClient, path: Path | None) -> Signers:
    """The signers file at ``path`` when given, the hub's key directory (checked) otherwise."""
    return file_signers(path) if path is not None else fetch_directory(client)
