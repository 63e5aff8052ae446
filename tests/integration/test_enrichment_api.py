"""Enrichment over HTTP: the hub re-decides every recipient, stores ciphertext only, and each party
reads exactly the items sealed for it; every disclosure and read is logged."""

from __future__ import annotations

import base64
import json

from exchange.crypto.envelope import ItemMetadata, Recipient, decode, encode, format_created, open_item, seal
from exchange.crypto.keys import unb64
from exchange.crypto.pseudonym import PseudonymKey, pseudonymise
from exchange.crypto.subjects import normalise_address
from tests.integration.api_support import NOW, Api, assert_problem

A = str(pseudonymise(normalise_address("5701 AB 12a"), PseudonymKey("pit", 1, b"\x33" * 32)))
POLICE = "politie-oost-brabant"


def prepared_case(api: Api, ask_police: bool = False) -> str:
    coord = api.client("helmond", "coord-1", "coordinator")
    case_id = str(
        coord.post(
            "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [A]}
        ).json()["id"]
    )
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"})
    reason = api.sealed(
        case_id, "helmond", "Three signals of overcrowding.", "selection-reason", "coord-1", "coordinator"
    )
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": reason})
    if ask_police:
        coord.post(
            f"/v1/cases/{case_id}/enrichment-requests",
            {"provider": POLICE, "categories": ["politie-incidenten"]},
        )
    return case_id


def sealed_item(
    api: Api,
    case_id: str,
    item: str,
    recipients: list[Recipient],
    provider: str = POLICE,
    claimed_provider: str | None = None,
) -> str:
    meta = ItemMetadata(
        case_id,
        item,
        claimed_provider or provider,
        "politie-incidenten",
        "onrechtmatige-bewoning",
        format_created(NOW),
    )
    envelope = encode(seal(b"2 meldingen overlast in 2026", meta, recipients, api.keys[provider].current))
    return base64.b64encode(envelope).decode()


def test_enrichment_end_to_end(api: Api) -> None:
    """Helmond asks the police; the police seal for exactly the allowed recipient; Helmond reads it."""
    case_id = prepared_case(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    asked = coord.post(
        f"/v1/cases/{case_id}/enrichment-requests",
        {"provider": POLICE, "categories": ["politie-incidenten", "bijstand-status"]},
    ).json()
    assert asked[0]["requested"] is True and asked[0]["articles"] == ["6"]
    assert asked[1]["requested"] is False and "no flow" in asked[1]["reason"]

    police = api.client(POLICE, "agent-7", "employee")
    pending = police.get("/v1/enrichment-requests").json()
    assert [(p["case"], p["category"], p["subjects"]) for p in pending] == [
        (case_id, "politie-incidenten", [A])
    ]
    recipients = police.get(f"/v1/cases/{case_id}/recipients?category=politie-incidenten").json()
    assert [r["party"] for r in recipients] == ["helmond"]
    to = [Recipient(r["party"], r["kid"], unb64(r["public"], "key")) for r in recipients]
    stored = police.post(f"/v1/cases/{case_id}/items", {"envelope": sealed_item(api, case_id, "item-1", to)})
    assert stored.status_code == 201, stored.text
    assert stored.json() == {"item": "item-1", "recipients": ["helmond"]}
    assert police.get("/v1/enrichment-requests").json() == []

    items = coord.get(f"/v1/cases/{case_id}/items").json()["items"]
    assert len(items) == 1
    opened = open_item(
        decode(base64.b64decode(items[0])),
        api.keys["helmond"],
        {api.keys[POLICE].current.sign_kid: api.keys[POLICE].current.sign_public},
    )
    assert opened == b"2 meldingen overlast in 2026"
    assert police.get(f"/v1/cases/{case_id}/items").json()["items"] == []  # the provider is no recipient

    with api.db.sessions.begin() as s:
        events = [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]
    disclosures = [e for e in events if e["action"] == "disclosure"]
    assert [
        (e["actor"]["party"], e["counterparty"], e["processingActivity"]["articles"]) for e in disclosures
    ] == [(POLICE, "helmond", ["6"])]
    assert [e["actor"]["party"] for e in events if e["action"] == "dossier-read"] == ["helmond"]


def test_provider_cannot_widen_the_recipients(api: Api) -> None:
    """An item sealed also for a party the covenant excludes is refused; nothing is stored."""
    case_id = prepared_case(api, ask_police=True)
    coord = api.client("helmond", "coord-1", "coordinator")
    coord.post(f"/v1/cases/{case_id}/parties", {"party": "senzer"})
    police = api.client(POLICE)
    senzer_key = api.keys["senzer"].current
    helmond_key = api.keys["helmond"].current
    to = [
        Recipient("helmond", helmond_key.box_kid, helmond_key.box_public),
        Recipient("senzer", senzer_key.box_kid, senzer_key.box_public),
    ]
    r = police.post(f"/v1/cases/{case_id}/items", {"envelope": sealed_item(api, case_id, "item-2", to)})
    assert_problem(r, 403, "does not allow 'politie-incidenten' to go to 'senzer'")
    assert api.client("senzer").get(f"/v1/cases/{case_id}/items").json()["items"] == []
    unregistered = [Recipient("helmond", "x25519_000000000000000000000000", helmond_key.box_public)]
    r2 = police.post(
        f"/v1/cases/{case_id}/items", {"envelope": sealed_item(api, case_id, "item-3", unregistered)}
    )
    assert_problem(r2, 403, "not a registered encryption key")


def test_forged_or_tampered_items(api: Api) -> None:
    """Items claiming another provider, signed by another party, tampered, or repeated are refused."""
    case_id = prepared_case(api, ask_police=True)
    police = api.client(POLICE)
    hk = api.keys["helmond"].current
    to = [Recipient("helmond", hk.box_kid, hk.box_public)]
    claims_other = sealed_item(api, case_id, "item-4", to, claimed_provider="vrbzo")
    assert_problem(
        police.post(f"/v1/cases/{case_id}/items", {"envelope": claims_other}), 400, "does not match"
    )
    good = sealed_item(api, case_id, "item-5", to)
    api.client("helmond", "coord-1", "coordinator").post(f"/v1/cases/{case_id}/parties", {"party": "senzer"})
    assert_problem(
        api.client("senzer").post(f"/v1/cases/{case_id}/items", {"envelope": good}),
        403,
        "your own registered keys",
    )
    raw = bytearray(base64.b64decode(good))
    raw[len(raw) // 2] ^= 1
    tampered = base64.b64encode(bytes(raw)).decode()
    assert_problem(police.post(f"/v1/cases/{case_id}/items", {"envelope": tampered}), 400, "does not verify")
    assert_problem(police.post(f"/v1/cases/{case_id}/items", {"envelope": "!!"}), 400, "not base64")
    assert_problem(police.post(f"/v1/cases/{case_id}/items", {"envelope": "AAAA"}), 400, "malformed")
    assert police.post(f"/v1/cases/{case_id}/items", {"envelope": good}).status_code == 201
    assert_problem(police.post(f"/v1/cases/{case_id}/items", {"envelope": good}), 409, "exists already")


def test_enrichment_only_after_selection(api: Api) -> None:
    """A case still in signal or selection cannot be enriched."""
    coord = api.client("helmond", "coord-1", "coordinator")
    case_id = coord.post(
        "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [A]}
    ).json()["id"]
    r = coord.post(
        f"/v1/cases/{case_id}/enrichment-requests", {"provider": POLICE, "categories": ["politie-incidenten"]}
    )
    assert_problem(r, 409, "items are exchanged from preparation to feedback")


def test_reading_is_limited_by_role_and_phase(api: Api) -> None:
    """Police incidents go to Helmond's coordinators only (art. 6); an employee of Helmond is refused,
    and after the action the item is no longer served (purpose limitation); refusals are logged."""
    case_id = prepared_case(api, ask_police=True)
    hk = api.keys["helmond"].current
    api.client(POLICE).post(
        f"/v1/cases/{case_id}/items",
        {"envelope": sealed_item(api, case_id, "item-9", [Recipient("helmond", hk.box_kid, hk.box_public)])},
    )
    assert (
        len(api.client("helmond", "coord-1", "coordinator").get(f"/v1/cases/{case_id}/items").json()["items"])
        == 1
    )
    assert api.client("helmond", "u-2", "employee").get(f"/v1/cases/{case_id}/items").json()["items"] == []
    coord = api.client("helmond", "coord-1", "coordinator")
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"})
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "follow-up"})
    assert coord.get(f"/v1/cases/{case_id}/items").json()["items"] == []
    with api.db.sessions.begin() as s:
        events = [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]
    reads = [(e["actor"]["role"], e["phase"], e["outcome"]) for e in events if e["action"] == "dossier-read"]
    assert reads == [
        ("coordinator", "preparation", "done"),
        ("employee", "preparation", "denied"),
        ("coordinator", "follow-up", "denied"),
    ]
