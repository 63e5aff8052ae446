"""The client's check of the hub's key directory: every key id is its key's, or nothing is trusted;
an item verifies only under its own provider's key, not retired before the item was created."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from exchange.client.directory import DirectoryRefused, check_directory, keys_for
from exchange.crypto.envelope import ItemMetadata, Recipient, decode, encode, format_created, seal
from exchange.crypto.keys import PartyKeys, b64

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def entries(keys: PartyKeys, retired_at: datetime | None = None) -> list[dict[str, Any]]:
    out = []
    for v in keys.versions:
        for alg, kid, public in (("ed25519", v.sign_kid, v.sign_public), ("x25519", v.box_kid, v.box_public)):
            current = str(v.status) == "current"
            out.append(
                {
                    "party": keys.party,
                    "kid": kid,
                    "algorithm": alg,
                    "version": v.version,
                    "status": str(v.status),
                    "public": b64(public),
                    "registered": T0.isoformat(),
                    "retired_at": None if current else (retired_at or T0).isoformat(),
                }
            )
    return out


def item(keys: PartyKeys, provider: str, created: datetime, version: int | None = None) -> Any:
    signer = keys.version(version) if version is not None else keys.current
    to = PartyKeys.create("helmond", T0).current
    meta = ItemMetadata("case-1", "item-1", provider, "cat", "purpose", format_created(created))
    return decode(encode(seal(b"x", meta, [Recipient("helmond", to.box_kid, to.box_public)], signer)))


def test_a_sound_directory_maps_kids_to_keys_and_status() -> None:
    """Each listed key is found by its id with its status; signing keys by party."""
    police = PartyKeys.create("police", T0).rotate(T0 + timedelta(days=1))
    d = check_directory({"keys": entries(police, T0 + timedelta(days=1))})
    assert (
        d.status(police.version(1).sign_kid) == "retired" and d.status(police.current.sign_kid) == "current"
    )
    assert d.public(police.current.box_kid) == police.current.box_public
    assert d.status("ed25519_unknown") is None and d.public("ed25519_unknown") is None
    assert set(d.signing_keys("police")) == {police.version(1).sign_kid, police.current.sign_kid}
    assert d.signing_keys("other") == {}


@pytest.mark.parametrize(
    ("change", "want_err"),
    [
        (lambda e: e.update(public=b64(b"\x01" * 32)), "does not match its public key"),
        (lambda e: e.update(kid="ed25519_000000000000000000000000"), "does not match its public key"),
        (lambda e: e.update(algorithm="rsa"), "unknown algorithm"),
        (lambda e: e.update(status="lost"), "unknown algorithm or status"),
        (lambda e: e.update(public="!!"), "malformed"),
        (lambda e: e.pop("version"), "malformed"),
        (lambda e: e.update(registered="yesterday"), "malformed"),
        (lambda e: e.update(status="retired"), "has no retired_at"),
    ],
)
def test_a_tampered_entry_refuses_the_whole_directory(change: Any, want_err: str) -> None:
    """One bad entry among good ones: nothing of the directory is trusted."""
    good = entries(PartyKeys.create("senzer", T0)) + entries(PartyKeys.create("police", T0))
    change(good[0])
    with pytest.raises(DirectoryRefused, match=want_err):
        check_directory({"keys": good})


@pytest.mark.parametrize("data", [[], {"keys": None}, {"keys": [1]}, None])
def test_a_directory_of_the_wrong_shape_is_refused(data: Any) -> None:
    with pytest.raises(DirectoryRefused):
        check_directory(data)


def test_a_key_listed_twice_is_refused() -> None:
    once = entries(PartyKeys.create("senzer", T0))
    with pytest.raises(DirectoryRefused, match="twice"):
        check_directory({"keys": once + once[:1]})


def test_an_item_verifies_only_under_its_providers_key_not_retired_before_it_was_created() -> None:
    """Before the retirement the old key verifies; after it, or for another provider, it does not."""
    rotated = T0 + timedelta(days=1)
    police = PartyKeys.create("police", T0).rotate(rotated)
    d = check_directory({"keys": entries(police, rotated) + entries(PartyKeys.create("senzer", T0))})
    old = police.version(1)
    before = item(police, "police", rotated - timedelta(hours=1), version=1)
    assert d.signers_for(before) == {old.sign_kid: old.sign_public}
    assert keys_for(d, before) == {old.sign_kid: old.sign_public}
    assert keys_for({"k": b"v"}, before) == {"k": b"v"}
    with pytest.raises(DirectoryRefused, match="retired before the item was created"):
        d.signers_for(item(police, "police", rotated + timedelta(seconds=1), version=1))
    with pytest.raises(DirectoryRefused, match="signing key of 'senzer'"):
        d.signers_for(item(police, "senzer", T0))
    assert d(item(police, "police", rotated + timedelta(days=1))) == {
        police.current.sign_kid: police.current.sign_public
    }
