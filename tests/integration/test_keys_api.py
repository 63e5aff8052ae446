"""The key directory and a party's own key rotation over the signed API: the directory lists only the
parties of the caller's covenants, every key id is checked by the client, a recipient verifies a
provider's item with it, and a key retired over the API signs nothing afterwards."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from exchange.client.directory import DirectoryRefused, fetch_directory, publish_keys, publishing_key
from exchange.client.http import ExchangeClient
from exchange.crypto.envelope import (
    InvalidEnvelope,
    ItemMetadata,
    Recipient,
    decode,
    encode,
    format_created,
    open_item,
    seal,
)
from exchange.crypto.keys import PartyKeys
from exchange.storage.models import PartyKeyRow
from exchange.storage.parties import register_party
from tests.integration.api_support import NOW, Api, assert_problem
from tests.integration.test_enrichment_api import POLICE, prepared_case, sealed_item


def events(api: Api, action: str) -> list[dict[str, object]]:
    with api.db.sessions.begin() as s:
        all_ = [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]
    return [e for e in all_ if e["action"] == action]


def register_outsider(api: Api) -> PartyKeys:
    """Veldhoven: a party of KIT, not of PIT, registered at the same hub."""
    keys = PartyKeys.create("veldhoven", NOW)
    with api.db.sessions.begin() as s:
        register_party(s, "veldhoven", "Veldhoven", [v.to_data("veldhoven") for v in keys.public()], NOW)
    api.keys["veldhoven"] = keys
    return keys


def test_the_directory_lists_only_the_parties_of_the_callers_covenants(api: Api) -> None:
    """Someren (PIT) sees the registered PIT parties' signing and sealing keys, not Veldhoven (KIT
    only), even when it asks for Veldhoven by name; Veldhoven sees none of PIT's."""
    register_outsider(api)
    directory = fetch_directory(api.client("someren"))
    parties = {k.party for k in directory.keys.values()}
    assert parties == {"someren", "senzer", "helmond", POLICE, "enexis", "wijkteam-zonder-rol"}
    senzer = api.keys["senzer"].current
    assert directory.public(senzer.sign_kid) == senzer.sign_public
    assert directory.public(senzer.box_kid) == senzer.box_public
    assert directory.status(senzer.sign_kid) == "current"
    raw = api.client("someren").get("/v1/keys?party=senzer").json()["keys"]
    assert {(k["party"], k["algorithm"], k["version"], k["status"]) for k in raw} == {
        ("senzer", "ed25519", 1, "current"),
        ("senzer", "x25519", 1, "current"),
    }
    assert all(k["retired_at"] is None and k["registered"] for k in raw)
    assert api.client("someren").get("/v1/keys?party=veldhoven").json() == {"keys": []}
    assert fetch_directory(api.client("someren"), "veldhoven").keys == {}
    theirs = fetch_directory(api.client("veldhoven"))
    assert {k.party for k in theirs.keys.values()} == {"veldhoven"}
    assert_problem(api.client("someren").get("/v1/keys?party=a%20b"), 400, "identifier")


def test_a_directory_entry_whose_kid_is_not_its_key_is_refused(api: Api) -> None:
    """The hub (or anything on the way) serves Senzer's kid with another public key: the client
    refuses the whole directory, not just that entry."""
    kid = api.keys["senzer"].current.sign_kid
    with api.db.sessions.begin() as s:
        s.execute(
            update(PartyKeyRow)
            .where(PartyKeyRow.kid == kid)
            .values(public=api.keys["helmond"].current.sign_public)
        )
    with pytest.raises(DirectoryRefused, match=f"{kid} of 'senzer' does not match its public key"):
        fetch_directory(api.client("someren"))
    with pytest.raises(DirectoryRefused, match="does not match"):
        fetch_directory(api.client("someren"), "senzer")


def test_a_recipient_verifies_an_item_with_the_directory(api: Api) -> None:
    """Helmond opens the police's item with the police's key from the directory; an item whose
    provider claims another party's key is refused."""
    case_id = prepared_case(api, ask_police=True)
    hk = api.keys["helmond"].current
    to = [Recipient("helmond", hk.box_kid, hk.box_public)]
    stored = api.client(POLICE).post(
        f"/v1/cases/{case_id}/items", {"envelope": sealed_item(api, case_id, "item-d", to)}
    )
    assert stored.status_code == 201, stored.text
    coord = api.client("helmond", "coord-1", "coordinator")
    directory = fetch_directory(coord)
    (raw,) = coord.get(f"/v1/cases/{case_id}/items").json()["items"]
    item = decode(base64.b64decode(raw))
    assert (
        open_item(item, api.keys["helmond"], directory.signers_for(item)) == b"2 meldingen overlast in 2026"
    )
    assert directory.signers_for(item) == {
        api.keys[POLICE].current.sign_kid: api.keys[POLICE].current.sign_public
    }
    # The same signature, presented as Senzer's item: the key is not Senzer's.
    meta = ItemMetadata(
        case_id, "item-x", "senzer", "politie-incidenten", "onrechtmatige-bewoning", format_created(NOW)
    )
    claimed = decode(encode(seal(b"x", meta, to, api.keys[POLICE].current)))
    with pytest.raises(DirectoryRefused, match="signing key of 'senzer'"):
        directory.signers_for(claimed)


def rotate_over_api(api: Api, party: str) -> PartyKeys:
    """``exchange keys rotate`` then ``exchange client keys publish``; returns the old keys."""
    old = api.keys[party]
    new = old.rotate(datetime.now(UTC))
    client = ExchangeClient("http://testserver", publishing_key(new), "u-1", "employee", http=api.http)
    added = publish_keys(client, new)
    assert set(added) == {new.current.sign_kid, new.current.box_kid}
    api.keys[party] = new
    return old


def test_a_party_rotates_and_retires_its_own_keys_over_the_api(api: Api) -> None:
    """The police publish a rotation signed with their current key: the new version is current, the
    old one retired on the hub's clock, the step is logged; the old key then authenticates nothing,
    and a retired key never becomes current again."""
    before = datetime.now(UTC)
    old = rotate_over_api(api, POLICE)
    new = api.keys[POLICE]
    stale = ExchangeClient("http://testserver", old.current, "u-1", "employee", http=api.http)
    assert_problem(stale.get("/v1/whoami"), 401, "retired")
    assert api.client(POLICE).get("/v1/whoami").json()["key_id"] == new.current.sign_kid
    listed = fetch_directory(api.client("helmond"), POLICE)
    assert (
        listed.status(old.current.sign_kid) == "retired" and listed.status(new.current.sign_kid) == "current"
    )
    retired_at = listed.keys[old.current.sign_kid].retired_at
    assert retired_at is not None and retired_at >= before
    (event,) = events(api, "key-registration")
    assert event["actor"]["party"] == POLICE  # type: ignore[index]
    assert event["details"] == {"keys_added": 2, "signing_key": new.current.sign_kid}
    # Publishing version 1 as current again (and version 2 retired): refused.
    swapped = [v.to_data(POLICE) for v in new.public()]
    swapped[0]["status"], swapped[1]["status"] = "current", "retired"
    again = api.client(POLICE).request("POST", "/v1/keys", swapped)  # type: ignore[arg-type]  # a JSON list body
    assert_problem(again, 409, "does not become current again")


def test_a_party_publishes_only_its_own_keys_and_all_of_them(api: Api) -> None:
    """Keys of another party, or a list that leaves out a registered version, are refused."""
    senzer = api.keys["senzer"].rotate(datetime.now(UTC))
    body = [v.to_data("senzer") for v in senzer.public()]
    r = api.client(POLICE).request("POST", "/v1/keys", body)  # type: ignore[arg-type]  # a JSON list body
    assert_problem(r, 400, "must belong to party 'politie-oost-brabant'")
    only_new = [senzer.current.public().to_data("senzer")]
    r = api.client("senzer").request("POST", "/v1/keys", only_new)  # type: ignore[arg-type]  # a JSON list body
    assert_problem(r, 400, "must list every registered version")
    assert events(api, "key-registration") == []


def test_a_key_retired_over_the_api_signs_nothing_afterwards(api: Api) -> None:
    """An item stored before the rotation still verifies with the directory; one signed with the
    retired key afterwards is refused by the hub, and the directory refuses it on the client too."""
    case_id = prepared_case(api, ask_police=True)
    hk = api.keys["helmond"].current
    to = [Recipient("helmond", hk.box_kid, hk.box_public)]
    police = api.client(POLICE)
    assert (
        police.post(
            f"/v1/cases/{case_id}/items", {"envelope": sealed_item(api, case_id, "item-old", to)}
        ).status_code
        == 201
    )
    old = rotate_over_api(api, POLICE)
    police = api.client(POLICE)  # signs with the new key; the item inside with the retired one
    coord = api.client("helmond", "coord-1", "coordinator")
    directory = fetch_directory(coord)
    (raw,) = coord.get(f"/v1/cases/{case_id}/items").json()["items"]
    before = decode(base64.b64decode(raw))
    assert (
        open_item(before, api.keys["helmond"], directory.signers_for(before))
        == b"2 meldingen overlast in 2026"
    )

    later = datetime.now(UTC) + timedelta(seconds=2)
    meta = ItemMetadata(
        case_id, "item-late", POLICE, "politie-incidenten", "onrechtmatige-bewoning", format_created(later)
    )
    late = encode(seal(b"late", meta, to, old.current))
    assert_problem(
        police.post(f"/v1/cases/{case_id}/items", {"envelope": base64.b64encode(late).decode()}),
        403,
        "retired key",
    )
    with pytest.raises(DirectoryRefused, match="retired before the item was created"):
        directory.signers_for(decode(late))
    with pytest.raises(InvalidEnvelope):
        open_item(decode(late), api.keys["helmond"], {})
