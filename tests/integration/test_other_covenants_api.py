"""The same case flow over HTTP for KIT 2020 and an LSI project, each with a RIEC joining a case."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from exchange.crypto.envelope import ItemMetadata, Recipient, decode, encode, format_created, open_item, seal
from exchange.crypto.keys import PartyKeys, unb64
from exchange.crypto.pseudonym import PseudonymKey, pseudonymise
from exchange.crypto.subjects import normalise_address
from exchange.storage.parties import register_party
from tests.integration.api_support import NOW, Api


def join(api: Api, *parties: str) -> None:
    with api.db.sessions.begin() as s:
        for p in parties:
            api.keys[p] = PartyKeys.create(p, NOW)
            register_party(s, p, p, [v.to_data(p) for v in api.keys[p].public()], NOW)


def run_case(
    api: Api,
    covenant: str,
    coordinator: str,
    purpose: str,
    provider: str,
    category: str,
    expect_recipients: list[str],
    extra_parties: tuple[str, ...] = (),
    requester: str | None = None,
) -> str:
    """Open, select, enrich from ``provider`` and return the text the recipients read."""
    key = PseudonymKey(covenant, 1, b"\x44" * 32)
    subject = str(pseudonymise(normalise_address("5502 AB 7"), key))
    coord = api.client(coordinator, "coord-1", "coordinator")
    r = coord.post("/v1/cases", {"covenant": covenant, "purpose": purpose, "subjects": [subject]})
    assert r.status_code == 201, r.text
    cid = str(r.json()["id"])
    for party in extra_parties:
        assert coord.post(f"/v1/cases/{cid}/parties", {"party": party}).status_code == 200
    coord.post(f"/v1/cases/{cid}/transitions", {"to": "selection"})
    reason = api.sealed(
        cid, coordinator, "Selected by the case table.", "selection-reason", "coord-1", "coordinator"
    )
    coord.post(f"/v1/cases/{cid}/transitions", {"to": "preparation", "reason_sealed": reason})
    if category == "ondermijning-signaal":  # signals to the RIEC flow only from the action on
        coord.post(f"/v1/cases/{cid}/transitions", {"to": "action"})
    asking = coord if requester is None else api.client(requester)
    asked = asking.post(
        f"/v1/cases/{cid}/enrichment-requests", {"provider": provider, "categories": [category]}
    )
    assert asked.json()[0]["requested"] is True, asked.text
    providing = api.client(provider)
    rcpts = providing.get(f"/v1/cases/{cid}/recipients?category={category}").json()
    assert sorted(x["party"] for x in rcpts) == sorted(expect_recipients), (asked.json(), rcpts)
    to = [Recipient(x["party"], x["kid"], unb64(x["public"], "key")) for x in rcpts]
    meta = ItemMetadata(cid, f"item-{cid}", provider, category, purpose, format_created(datetime.now(UTC)))
    env = base64.b64encode(
        encode(seal(b"gegevens voor de casus", meta, to, api.keys[provider].current))
    ).decode()
    stored = providing.post(f"/v1/cases/{cid}/items", {"envelope": env})
    assert stored.status_code == 201, stored.text
    texts = []
    for party in expect_recipients:
        role = "coordinator" if party == coordinator else "employee"
        items = api.client(party, "u-1", role).get(f"/v1/cases/{cid}/items").json()["items"]
        for raw in items:
            provider_keys = {api.keys[provider].current.sign_kid: api.keys[provider].current.sign_public}
            texts.append(open_item(decode(base64.b64decode(raw)), api.keys[party], provider_keys).decode())
    assert len(texts) == len(expect_recipients)
    return cid


def test_kit_benefit_fraud_case(api: Api) -> None:
    """KIT 2020: Veldhoven (responsible partner) gets UWV benefit status; Best, in the case, does not."""
    join(api, "veldhoven", "uwv", "best")
    run_case(
        api,
        "kit",
        "veldhoven",
        "uitkeringsfraude",
        "uwv",
        "uitkering-status",
        ["veldhoven"],
        extra_parties=("best",),
    )


def test_kit_riec_receives_undermining_signals(api: Api) -> None:
    """KIT 2020: the RIEC joins a case and receives the AVIM's signal of undermining crime."""
    join(api, "veldhoven", "avim", "riec-ob")
    run_case(
        api,
        "kit",
        "veldhoven",
        "ondermijning",
        "avim",
        "ondermijning-signaal",
        ["riec-ob"],
        extra_parties=("riec-ob",),
        requester="riec-ob",
    )


def test_lsi_labour_exploitation_and_riec(api: Api) -> None:
    """LSI Woensel-Noord: the labour inspectorate informs Eindhoven; Eindhoven signals the RIEC."""
    join(api, "eindhoven", "arbeidsinspectie", "riec-ob")
    run_case(
        api,
        "lsi-woensel",
        "eindhoven",
        "arbeidsuitbuiting",
        "arbeidsinspectie",
        "tewerkstelling",
        ["eindhoven"],
    )
    run_case(
        api,
        "lsi-woensel",
        "eindhoven",
        "ondermijning",
        "eindhoven",
        "ondermijning-signaal",
        ["riec-ob"],
        extra_parties=("riec-ob",),
        requester="riec-ob",
    )
