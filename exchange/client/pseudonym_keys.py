"""Covenant pseudonym keys through the hub, sealed (docs/specs/pseudonym-keys.md).

The custodian's software makes a key version (or takes the one in its keystore), seals a copy to each
party's current sealing key, signs it and uploads the copies; every party's software fetches its own
copies, checks that the covenant's custodian signed them for this covenant, version and party, opens
them and keeps the keys in its keystore. The hub only ever holds the sealed copies.

    report = distribute(client, store, "pit", save=write, new_version=True, overlap_days=30)
    store, added = fetch(client, store, "pit")
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from exchange.client.http import ExchangeClient
from exchange.client.texts import hub_answer
from exchange.crypto.envelope import Recipient, format_created
from exchange.crypto.keys import unb64
from exchange.crypto.keystore import Keystore
from exchange.crypto.pseudonym import PseudonymKey
from exchange.crypto.pseudonym_copy import decode_copy, encode_copy, open_copy, seal_copy
from exchange.errors import ConflictError, InvalidInputError

__all__ = ["Distribution", "distribute", "fetch", "open_copies"]


@dataclass(frozen=True, slots=True)
class Distribution:
    """What :func:`distribute` uploaded: per version, the parties that got a copy."""

    new_version: int | None
    uploaded: tuple[tuple[int, tuple[str, ...]], ...]
    unregistered: tuple[str, ...]


def _base(covenant: str) -> str:
    if "/" in covenant:
        raise InvalidInputError(
            f"pseudonym keys belong to a covenant, not to a version: use '{covenant.split('/')[0]}'"
        )
    return f"/v1/covenants/{covenant}/pseudonym-keys"


def _upload(
    client: ExchangeClient,
    store: Keystore,
    key: PseudonymKey,
    to: list[Recipient],
    created: str,
    previous_until: datetime | None,
) -> None:
    copies = [
        {
            "party": r.party,
            "kid": r.kid,
            "sealed": base64.b64encode(
                encode_copy(seal_copy(key, r, store.party, store.keys.current, created))
            ).decode(),
        }
        for r in to
    ]
    body: dict[str, Any] = {"copies": copies}
    if previous_until is not None:
        body["previous_accepted_until"] = previous_until.isoformat()
    hub_answer(client.request("PUT", f"{_base(key.covenant)}/{key.version}", body))


def distribute(
    client: ExchangeClient,
    store: Keystore,
    covenant: str,
    save: Callable[[Keystore], None],
    new_version: bool = False,
    overlap_days: int = 30,
    now: datetime | None = None,
) -> Distribution:
    """As the covenant's custodian: distribute a key version and top up every party that lacks a copy
    of an accepted version for its current sealing key.

    With ``new_version``, or when the hub has no version on record yet, a version is distributed to
    every registered party: a new one (generated here, one above any version on record or in the
    keystore; the one before stays accepted for ``overlap_days``), or with no version on record and
    without ``new_version``, the newest in the keystore, or else a first one generated here. A key
    generated here is added to the keystore with ``save`` before anything is sent.
    """
    now = now or datetime.now(UTC)
    if overlap_days < 0:
        raise InvalidInputError("the overlap is a number of days, 0 or more")
    created = format_created(now)
    pending = hub_answer(client.get(f"{_base(covenant)}/pending"))
    on_record = [int(v["version"]) for v in pending["versions"]]
    recipients = {
        p["party"]: Recipient(p["party"], p["kid"], unb64(p["public"], "public key"))
        for p in pending["parties"]
    }
    mine = [k.version for k in store.pseudonym_keys if k.covenant == covenant]
    uploaded: list[tuple[int, tuple[str, ...]]] = []
    fresh: int | None = None
    if new_version or not on_record:
        if not new_version and mine:
            key = store.pseudonym_key(covenant)
        else:
            key = PseudonymKey.generate(covenant, max([*on_record, *mine], default=0) + 1)
            store = store.with_pseudonym_key(key)
            save(store)
        if on_record and key.version <= max(on_record):
            raise ConflictError(
                f"version {key.version} of '{covenant}' is on record already; use --new-version"
            )
        until = now + timedelta(days=overlap_days) if on_record else None
        _upload(client, store, key, list(recipients.values()), created, until)
        uploaded.append((key.version, tuple(recipients)))
        fresh = key.version
    for version in on_record:
        lacking = [recipients[p["party"]] for p in pending["parties"] if version in p["missing"]]
        if not lacking:
            continue
        if version not in mine:
            raise InvalidInputError(
                f"this keystore holds no pseudonym key v{version} for '{covenant}', so it cannot top up "
                f"{', '.join(r.party for r in lacking)}; run this with the custodian's keystore"
            )
        _upload(client, store, store.pseudonym_key(covenant, version), lacking, created, None)
        uploaded.append((version, tuple(r.party for r in lacking)))
    return Distribution(fresh, tuple(uploaded), tuple(pending["unregistered"]))


def open_copies(
    answer: Mapping[str, Any], store: Keystore, covenant: str, pinned: Mapping[str, bytes] | None = None
) -> list[PseudonymKey]:
    """Open the copies of a ``GET /v1/covenants/{covenant}/pseudonym-keys`` answer. Each must be signed
    by the covenant's custodian (with a key in ``pinned``, key id to Ed25519 public key, when given;
    otherwise with a non-destroyed key the hub lists as registered for the custodian) and bound to
    this covenant, its version and this party. Raises :class:`InvalidCopy` for any that is not."""
    if answer.get("covenant") != covenant:
        raise InvalidInputError(f"the hub answered for covenant '{answer.get('covenant')}', not '{covenant}'")
    custodian = str(answer["custodian"])
    signers = (
        dict(pinned)
        if pinned is not None
        else {
            k["kid"]: unb64(k["public"], "public key")
            for k in answer["custodian_keys"]
            if k["status"] != "destroyed"
        }
    )
    keys: dict[int, PseudonymKey] = {}
    for c in answer["copies"]:
        copy = decode_copy(base64.b64decode(c["sealed"], validate=True))
        if copy.header.kid not in {v.box_kid for v in store.keys.versions if v.box_secret is not None}:
            continue  # sealed to a key this party destroyed: another copy may be for the current one
        key = open_copy(copy, store.keys, covenant, int(c["version"]), custodian, signers)
        keys[key.version] = key
    return [keys[v] for v in sorted(keys)]


def fetch(
    client: ExchangeClient, store: Keystore, covenant: str, pinned: Mapping[str, bytes] | None = None
) -> tuple[Keystore, list[int]]:
    """Fetch this party's copies, open them (:func:`open_copies`) and add every version the keystore
    lacks. Returns the keystore and the versions added; a version the keystore holds with another key
    is refused, never replaced."""
    answer = hub_answer(client.get(_base(covenant)))
    added = []
    for key in open_copies(answer, store, covenant, pinned):
        held = [k for k in store.pseudonym_keys if k.covenant == covenant and k.version == key.version]
        if held:
            if not hmac.compare_digest(held[0].key, key.key):
                raise ConflictError(
                    f"the keystore holds another pseudonym key v{key.version} for '{covenant}' than the "
                    "custodian distributed; ask the custodian which one is right before using either"
                )
            continue
        store = store.with_pseudonym_key(key)
        added.append(key.version)
    return store, added
