"""Covenant pseudonym keys through the hub, sealed: the custodian distributes, every party of the
covenant fetches the same key, nobody else gets or sends one, rotation keeps both versions for the
overlap and only then, and a party that rotated its sealing key shows as pending."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from exchange.client.pseudonym_keys import Distribution, distribute, fetch, open_copies
from exchange.client.texts import HubAnswerError
from exchange.crypto.envelope import Recipient
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import Keystore
from exchange.crypto.pseudonym import PseudonymKey, pseudonymise
from exchange.crypto.pseudonym_copy import InvalidCopy, encode_copy, seal_copy
from exchange.crypto.subjects import normalise_address
from exchange.errors import InvalidInputError
from exchange.storage.models import PseudonymKeyVersionRow
from exchange.storage.parties import register_party
from tests.integration.api_support import NOW, PARTIES, Api, assert_problem
from tests.integration.test_retired_keys import rotate

#: The test parties that are parties to PIT ('buitenstaander' is in no covenant).
PIT_PARTIES = tuple(p for p in PARTIES if p != "buitenstaander")

BASE = "/v1/covenants/pit/pseudonym-keys"
COORD = ("coord-1", "coordinator")
ADDRESS = normalise_address("5701 AB 12a")


class Custodian:
    """Helmond's keystore as its software keeps it: saved whenever a key is added."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.store = Keystore(api.keys["helmond"])

    def save(self, store: Keystore) -> None:
        self.store = store

    def distribute(
        self, new_version: bool = False, overlap_days: int = 30, role: str = "coordinator"
    ) -> Distribution:
        self.store = Keystore(self.api.keys["helmond"], self.store.pseudonym_keys)
        client = self.api.client("helmond", "coord-1", role)
        return distribute(
            client, self.store, "pit", self.save, new_version=new_version, overlap_days=overlap_days
        )


def fetched(api: Api, party: str) -> dict[int, PseudonymKey]:
    store, _ = fetch(api.client(party), Keystore(api.keys[party]), "pit")
    return {k.version: k for k in store.pseudonym_keys}


def events(api: Api) -> list[dict[str, Any]]:
    with api.db.sessions.begin() as s:
        return [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]


def open_case(api: Api, subject: str) -> int:
    r = api.client("helmond", *COORD).post(
        "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [subject]}
    )
    return r.status_code


def end_overlap(api: Api, version: int) -> None:
    with api.db.sessions.begin() as s:
        s.execute(
            update(PseudonymKeyVersionRow)
            .where(PseudonymKeyVersionRow.version == version)
            .values(accepted_until=datetime.now(UTC) - timedelta(seconds=1))
        )


def test_every_party_fetches_the_same_key(api: Api) -> None:
    """The custodian distributes once; every party of the covenant fetches and opens the same key,
    and the hub's tables and log hold no key."""
    custodian = Custodian(api)
    report = custodian.distribute()
    key = custodian.store.pseudonym_key("pit")
    assert report.new_version == 1 and key.version == 1
    assert set(report.uploaded[0][1]) == set(PIT_PARTIES)
    for party in PIT_PARTIES:
        assert fetched(api, party)[1].key == key.key
    log = json.dumps(events(api))
    assert key.key.hex() not in log and base64.b64encode(key.key).decode() not in log
    actions = [e["action"] for e in events(api)]
    assert actions.count("pseudonym-key-version") == 1
    assert actions.count("pseudonym-key-copy") == len(PIT_PARTIES)
    assert actions.count("pseudonym-key-fetch") == len(PIT_PARTIES)
    copy_events = [e for e in events(api) if e["action"] == "pseudonym-key-copy"]
    assert {e["counterparty"] for e in copy_events} == set(PIT_PARTIES)
    assert all(set(e["details"]) == {"version", "kid"} for e in copy_events)
    # Distributing again sends nothing: every party holds every accepted version.
    assert custodian.distribute().uploaded == ()


def test_the_custodians_keystore_key_is_used_when_none_is_on_record(api: Api) -> None:
    """A custodian that made its key by hand before distributes that key, not a new one."""
    custodian = Custodian(api)
    by_hand = PseudonymKey.generate("pit", 1)
    custodian.store = custodian.store.with_pseudonym_key(by_hand)
    custodian.distribute()
    assert fetched(api, "senzer")[1].key == by_hand.key


def test_a_non_custodian_cannot_distribute(api: Api) -> None:
    """Someren (a coordinator, not PIT's custodian) and Helmond in a role other than coordinator or
    privacy officer are refused; a copy signed by someone else than the custodian is refused too."""
    senzer = api.keys["senzer"].current
    copy = seal_copy(
        PseudonymKey.generate("pit"),
        Recipient("senzer", senzer.box_kid, senzer.box_public),
        "someren",
        api.keys["someren"].current,
        "2026-01-05T09:30:00Z",
    )
    body = {
        "copies": [
            {"party": "senzer", "kid": senzer.box_kid, "sealed": base64.b64encode(encode_copy(copy)).decode()}
        ]
    }
    r = api.client("someren", "c-1", "coordinator").request("PUT", f"{BASE}/1", body)
    assert_problem(r, 403, "only PIT 2021's key custodian, 'helmond', distributes")
    r = api.client("helmond", "u-1", "employee").request("PUT", f"{BASE}/1", body)
    assert_problem(r, 403, "coordinator or privacy officer")
    assert_problem(api.client("someren", "c-1", "coordinator").get(f"{BASE}/pending"), 403, "key custodian")
    # Helmond uploading a copy someren sealed and signed: not signed by the custodian's key.
    r = api.client("helmond", *COORD).request("PUT", f"{BASE}/1", body)
    assert_problem(r, 400, "not a sealed copy signed with helmond's current signing key")
    refusals = [e for e in events(api) if e["action"] == "refusal"]
    assert {e["reasonCode"] for e in refusals} >= {"not-custodian", "not-custodian-role"}


def test_a_party_outside_the_covenant_gets_nothing(api: Api) -> None:
    """Veldhoven (KIT, not PIT) is refused its copies and gets no copy sealed for it."""
    outsider = PartyKeys.create("veldhoven", NOW)
    with api.db.sessions.begin() as s:
        register_party(s, "veldhoven", "Veldhoven", [v.to_data("veldhoven") for v in outsider.public()], NOW)
    api.keys["veldhoven"] = outsider
    custodian = Custodian(api)
    report = custodian.distribute()
    assert "veldhoven" not in report.uploaded[0][1]
    assert_problem(api.client("veldhoven").get(BASE), 403, "'veldhoven' is not a party to PIT 2021")
    key = custodian.store.pseudonym_key("pit")
    copy = seal_copy(
        key,
        Recipient("veldhoven", outsider.current.box_kid, outsider.current.box_public),
        "helmond",
        api.keys["helmond"].current,
        "2026-01-05T09:30:00Z",
    )
    body = {
        "copies": [
            {
                "party": "veldhoven",
                "kid": outsider.current.box_kid,
                "sealed": base64.b64encode(encode_copy(copy)).decode(),
            }
        ]
    }
    r = api.client("helmond", *COORD).request("PUT", f"{BASE}/1", body)
    assert_problem(r, 403, "'veldhoven' is not a party to PIT 2021: it gets no copy")


def test_rotation_keeps_both_versions_for_the_overlap_only(api: Api) -> None:
    """During the overlap v1 and v2 pseudonyms are both taken; after it v1 is refused at case
    creation, index additions and hit queries, saying which versions are accepted."""
    custodian = Custodian(api)
    custodian.distribute()
    v1 = custodian.store.pseudonym_key("pit", 1)
    old_case = (
        api.client("helmond", *COORD)
        .post(
            "/v1/cases",
            {
                "covenant": "pit",
                "purpose": "onrechtmatige-bewoning",
                "subjects": [str(pseudonymise(ADDRESS, v1))],
            },
        )
        .json()["id"]
    )
    report = custodian.distribute(new_version=True, overlap_days=7)
    assert report.new_version == 2
    v2 = fetched(api, "senzer")[2]
    assert v2.key == custodian.store.pseudonym_key("pit", 2).key != v1.key
    p1, p2 = str(pseudonymise(ADDRESS, v1)), str(pseudonymise(ADDRESS, v2))
    assert open_case(api, p1) == 201 and open_case(api, p2) == 201
    senzer = api.client("senzer")
    assert senzer.post("/v1/index/bijstand-status", {"add": [p1, p2]}).status_code == 200
    listed = api.client("senzer").get(BASE).json()
    assert [(v["version"], v["accepted_until"] is not None) for v in listed["versions"]] == [
        (1, True),
        (2, False),
    ]
    end_overlap(api, 1)
    coord = api.client("helmond", *COORD)
    r = coord.post("/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [p1]})
    assert_problem(r, 409, "pseudonyms of key version v1 are not accepted for 'pit'; accepted now: v2")
    assert_problem(senzer.post("/v1/index/bijstand-status", {"add": [p1]}), 409, "accepted now: v2")
    assert senzer.post("/v1/index/bijstand-status", {"remove": [p1]}).status_code == 200  # cleaning up
    assert_problem(coord.post(f"/v1/cases/{old_case}/hits", {}), 409, "key version v1")
    assert open_case(api, p2) == 201
    unknown = "v9:" + p2.split(":")[1]
    assert_problem(
        coord.post(
            "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [unknown]}
        ),
        409,
        "v9",
    )
    # The superseded version is no longer handed out, and can no longer be topped up.
    assert [c["version"] for c in api.client("senzer").get(BASE).json()["copies"]] == [2]


def test_without_a_version_on_record_any_version_is_taken(api: Api) -> None:
    """Before the custodian distributes through the hub, pseudonyms of any version are accepted, as
    before keys went through the hub."""
    for version in (1, 7):
        assert open_case(api, str(pseudonymise(ADDRESS, PseudonymKey.generate("pit", version)))) == 201


def test_a_party_that_rotated_its_sealing_key_is_pending_and_topped_up(api: Api) -> None:
    """After Senzer rotates its keys it lacks a copy for its new sealing key; the custodian sees that
    and tops it up, and Senzer opens the copy with its new key."""
    custodian = Custodian(api)
    custodian.distribute()
    rotate(api, "senzer")
    coord = api.client("helmond", *COORD)
    pending = coord.get(f"{BASE}/pending").json()
    lacking = {p["party"]: p for p in pending["parties"] if p["missing"]}
    assert set(lacking) == {"senzer"} and lacking["senzer"]["missing"] == [1]
    assert lacking["senzer"]["kid"] == api.keys["senzer"].current.box_kid
    report = custodian.distribute()
    assert report.new_version is None and report.uploaded == ((1, ("senzer",)),)
    assert fetched(api, "senzer")[1].key == custodian.store.pseudonym_key("pit").key
    assert not [p for p in coord.get(f"{BASE}/pending").json()["parties"] if p["missing"]]


def test_copies_are_refused_for_a_stale_key_or_a_version_going_back(api: Api) -> None:
    """A copy sealed to a sealing key that is no longer the party's current one, and a version below
    the newest on record, are refused."""
    custodian = Custodian(api)
    custodian.store = custodian.store.with_pseudonym_key(PseudonymKey.generate("pit", 2))
    custodian.distribute()
    old = rotate(api, "senzer")
    key = PseudonymKey.generate("pit", 1)
    copy = seal_copy(
        key,
        Recipient("senzer", old.current.box_kid, old.current.box_public),
        "helmond",
        api.keys["helmond"].current,
        "2026-01-05T09:30:00Z",
    )
    body = {
        "copies": [
            {
                "party": "senzer",
                "kid": old.current.box_kid,
                "sealed": base64.b64encode(encode_copy(copy)).decode(),
            }
        ]
    }
    r = api.client("helmond", *COORD).request("PUT", f"{BASE}/2", body)
    assert_problem(r, 409, "is not the current sealing key of 'senzer'")
    new = api.keys["senzer"].current
    copy = seal_copy(
        key,
        Recipient("senzer", new.box_kid, new.box_public),
        "helmond",
        api.keys["helmond"].current,
        "2026-01-05T09:30:00Z",
    )
    body = {
        "copies": [
            {"party": "senzer", "kid": new.box_kid, "sealed": base64.b64encode(encode_copy(copy)).decode()}
        ]
    }
    r = api.client("helmond", *COORD).request("PUT", f"{BASE}/1", body)
    assert_problem(r, 409, "version 1 is older than version 2")
    # The copy's own binding must match the path: a v1 copy is not stored as v3.
    r = api.client("helmond", *COORD).request(
        "PUT", f"{BASE}/3", {**body, "previous_accepted_until": "2099-01-01T00:00:00Z"}
    )
    assert_problem(r, 400, "is bound to pit v1")


def test_the_client_refuses_a_copy_not_signed_by_the_custodian(api: Api) -> None:
    """A hub that lists a key of its own as the custodian's is caught when the party pins the
    custodian's real key; a copy relabelled for another version does not open."""
    custodian = Custodian(api)
    custodian.distribute()
    senzer = Keystore(api.keys["senzer"])
    answer = api.client("senzer").get(BASE).json()
    helmond = api.keys["helmond"].current
    assert open_copies(answer, senzer, "pit", {helmond.sign_kid: helmond.sign_public})[0].version == 1
    stranger = PartyKeys.create("helmond", NOW).current
    with pytest.raises(InvalidCopy):
        open_copies(answer, senzer, "pit", {stranger.sign_kid: stranger.sign_public})
    relabelled = {**answer, "copies": [{**answer["copies"][0], "version": 2}]}
    with pytest.raises(InvalidCopy):
        open_copies(relabelled, senzer, "pit")
    with pytest.raises(HubAnswerError, match="403"):
        fetch(api.client("senzer"), senzer, "kit")


def test_roles_and_retries(api: Api) -> None:
    """A party of the covenant in a role it may not hold is refused its copies; sending a new
    version's upload again (a retry) is taken, another overlap for it is not."""
    custodian = Custodian(api)
    custodian.distribute()
    assert_problem(api.client("enexis", "u-1", "coordinator").get(BASE), 403, "the role 'coordinator'")
    key = PseudonymKey.generate("pit", 2)
    senzer = api.keys["senzer"].current
    copy = seal_copy(
        key,
        Recipient("senzer", senzer.box_kid, senzer.box_public),
        "helmond",
        api.keys["helmond"].current,
        "2026-01-05T09:30:00Z",
    )
    until = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
    sealed = base64.b64encode(encode_copy(copy)).decode()
    body = {
        "copies": [{"party": "senzer", "kid": senzer.box_kid, "sealed": sealed}],
        "previous_accepted_until": until,
    }
    coord = api.client("helmond", *COORD)
    assert coord.request("PUT", f"{BASE}/2", body).json() == {"covenant": "pit", "version": 2, "stored": 1}
    assert coord.request("PUT", f"{BASE}/2", body).status_code == 200
    later = (datetime.now(UTC) + timedelta(days=9)).isoformat()
    r = coord.request("PUT", f"{BASE}/2", {**body, "previous_accepted_until": later})
    assert_problem(r, 400, "leave out 'previous_accepted_until' when topping up")


def test_topping_up_needs_the_custodians_key(api: Api) -> None:
    """Software of the custodian without the distributed key cannot top up a rotated party, and says
    why; a negative overlap is refused before anything is sent."""
    Custodian(api).distribute()
    rotate(api, "senzer")
    fresh = Custodian(api)  # the custodian's party, but a keystore without PIT's key
    with pytest.raises(
        InvalidInputError, match="holds no pseudonym key v1 for 'pit', so it cannot top up senzer"
    ):
        fresh.distribute()
    with pytest.raises(InvalidInputError, match="0 or more"):
        fresh.distribute(new_version=True, overlap_days=-1)
