"""Access requests (AVG art. 15) over HTTP: a privacy officer of a party to the covenant gets what the
log holds about one subject across every party, grouped for a letter; confidential categories are
withheld with the parties to ask; the request is logged; other roles and outsiders are refused."""

from __future__ import annotations

import base64
import json
from typing import Any

from exchange.crypto.envelope import ItemMetadata, Recipient, encode, format_created, seal
from exchange.crypto.keys import unb64
from exchange.crypto.pseudonym import PseudonymKey, pseudonymise
from exchange.crypto.subjects import normalise_address
from tests.integration.api_support import NOW, Api, assert_problem
from tests.integration.test_other_covenants_api import join

ADDRESS = "5701 AB 12a"
KEY1 = PseudonymKey("pit", 1, b"\x33" * 32)
KEY2 = PseudonymKey("pit", 2, b"\x44" * 32)
A1 = str(pseudonymise(normalise_address(ADDRESS), KEY1))
A2 = str(pseudonymise(normalise_address(ADDRESS), KEY2))
OTHER = str(pseudonymise(normalise_address("5701 AB 14"), KEY1))
POLICE = "politie-oost-brabant"


def coordinator(api: Api) -> Any:
    return api.client("helmond", "coord-1", "coordinator")


def open_case(api: Api, purpose: str, subject: str) -> str:
    coord = coordinator(api)
    r = coord.post("/v1/cases", {"covenant": "pit", "purpose": purpose, "subjects": [subject]})
    assert r.status_code == 201, r.text
    case_id = str(r.json()["id"])
    assert coord.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"}).status_code == 200
    return case_id


def prepare(api: Api, case_id: str) -> None:
    reason = api.sealed(
        case_id, "helmond", "Three signals of overcrowding.", "selection-reason", "coord-1", "coordinator"
    )
    r = coordinator(api).post(
        f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": reason}
    )
    assert r.status_code == 200, r.text


def send(api: Api, case_id: str, provider: str, category: str, purpose: str, user: str = "u-1") -> None:
    """``provider`` seals an item of ``category`` for the recipients the hub names and stores it."""
    c = api.client(provider, user, "employee")
    recipients = [
        Recipient(r["party"], r["kid"], unb64(r["public"], "key"))
        for r in c.get(f"/v1/cases/{case_id}/recipients?category={category}").json()
    ]
    assert recipients, f"nobody may receive {category} from {provider}"
    meta = ItemMetadata(
        case_id, f"item-{provider}-{category}", provider, category, purpose, format_created(NOW)
    )
    envelope = encode(seal(b"details about the object", meta, recipients, api.keys[provider].current))
    r = c.post(f"/v1/cases/{case_id}/items", {"envelope": base64.b64encode(envelope).decode()})
    assert r.status_code == 201, r.text


def history(api: Api) -> tuple[str, str]:
    """A subject with a history under two key versions, at several parties:

    - case 1 (key version 1, onrechtmatige-bewoning): hit/no-hit at selection (Senzer holds
      bijstand-status, the police politie-incidenten); in preparation the police disclose incidents
      to Helmond (confidential), Helmond discloses BRP registrations to Senzer (and to the police,
      now a party to the case), and Senzer reads them;
    - case 2 (key version 2, brandveiligheid): Enexis discloses an energy anomaly to Helmond.
    """
    api.client("senzer", "s-1", "employee").post("/v1/index/bijstand-status", {"add": [A1]})
    api.client(POLICE, "p-1", "employee").post("/v1/index/politie-incidenten", {"add": [A1]})
    first = open_case(api, "onrechtmatige-bewoning", A1)
    coord = coordinator(api)
    assert coord.post(f"/v1/cases/{first}/hits", {}).status_code == 200
    prepare(api, first)
    coord.post(
        f"/v1/cases/{first}/enrichment-requests", {"provider": POLICE, "categories": ["politie-incidenten"]}
    )
    send(api, first, POLICE, "politie-incidenten", "onrechtmatige-bewoning", user="agent-7")
    assert len(coord.get(f"/v1/cases/{first}/items").json()["items"]) == 1
    coord.post(f"/v1/cases/{first}/parties", {"party": "senzer"})
    senzer = api.client("senzer", "s-1", "employee")
    asked = senzer.post(
        f"/v1/cases/{first}/enrichment-requests", {"provider": "helmond", "categories": ["brp-inschrijving"]}
    )
    assert asked.json()[0]["requested"] is True, asked.text
    send(api, first, "helmond", "brp-inschrijving", "onrechtmatige-bewoning", user="clerk-3")
    assert len(senzer.get(f"/v1/cases/{first}/items").json()["items"]) == 1

    second = open_case(api, "brandveiligheid", A2)
    prepare(api, second)
    coord.post(f"/v1/cases/{second}/parties", {"party": "enexis"})
    coord.post(
        f"/v1/cases/{second}/enrichment-requests", {"provider": "enexis", "categories": ["energie-afwijking"]}
    )
    send(api, second, "enexis", "energie-afwijking", "brandveiligheid")
    return first, second


def officer(api: Api, party: str = "senzer", role: str = "privacy-officer") -> Any:
    return api.client(party, "po-1", role)


def ask(api: Api, *pseudonyms: str, party: str = "senzer", role: str = "privacy-officer") -> Any:
    return officer(api, party, role).post(
        "/v1/access-requests", {"covenant": "pit", "pseudonyms": list(pseudonyms)}
    )


def events(api: Api) -> list[dict[str, Any]]:
    with api.db.sessions.begin() as s:
        return [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]


def groups(answer: dict[str, Any]) -> list[tuple[str, str, str, str | None, list[str], list[str]]]:
    return [
        (
            d["recipient"]["id"],
            d["provider"]["id"],
            d["kind"],
            d["category"] and d["category"]["id"],
            [a["id"] for a in d["articles"]],
            d["legal_grounds"],
        )
        for d in answer["disclosures"]
    ]


def test_a_subject_with_disclosures_by_several_parties(api: Api) -> None:
    """Another party's officer (Senzer) sees what Helmond, Senzer and Enexis exchanged about the
    subject, grouped by recipient, provider and kind, with Dutch names, articles, grounds and dates,
    across both key versions; no-hits only as counts; police data withheld with the police named."""
    first, second = history(api)
    r = ask(api, A1, A2)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["covenant"]["id"] == "pit" and answer["subjects"] == 2
    assert [(c["case"], c["coordinator"]["name"], c["purpose"]["id"]) for c in answer["cases"]] == [
        (first, "Gemeente Helmond", "onrechtmatige-bewoning"),
        (second, "Gemeente Helmond", "brandveiligheid"),
    ]
    assert groups(answer) == [
        ("helmond", "enexis", "disclosed", "energie-afwijking", ["9"], ["Elektriciteitswet 1998 art. 79"]),
        ("helmond", "senzer", "hit", "bijstand-status", ["4"], ["AVG art. 6 lid 1 sub e"]),
        (POLICE, "helmond", "disclosed", "brp-inschrijving", ["5"], ["Wet BRP art. 3.3"]),
        ("senzer", "helmond", "disclosed", "brp-inschrijving", ["5"], ["Wet BRP art. 3.3"]),
        ("senzer", "helmond", "read", "brp-inschrijving", ["5"], ["Wet BRP art. 3.3"]),
    ]
    hit = answer["disclosures"][1]
    assert hit["recipient"]["name"] == "Gemeente Helmond" and hit["provider"]["name"] == "Senzer"
    assert hit["category"]["name"] == "Of en sinds wanneer bijstand wordt verstrekt"
    assert hit["articles"] == [{"id": "4", "name": "Selectie van casussen"}]
    assert len(hit["dates"]) == 1
    assert hit["count"] == 1
    # The other answers of the hit/no-hit query are counts per asking party, asked party and category;
    # no other party published an index, so each is counted as no-index, not as nothing found.
    no_hits = {
        (h["asked_by"]["id"], h["provider"]["id"], h["category"]["id"]): (h["count"], h["no_index"])
        for h in answer["no_hits"]
    }
    assert no_hits and set(no_hits.values()) == {(0, 1)}
    assert ("helmond", "someren", "brp-inschrijving") in no_hits
    assert all(k[2] != "politie-incidenten" for k in no_hits)


def test_confidential_categories_are_withheld_with_the_provider_named(api: Api) -> None:
    """Police incidents and signals of organised crime appear only as withheld, with the parties to
    ask; no date, article, count or party of their exchange, and the same list for a subject
    about whom nothing was exchanged."""
    history(api)
    answer = ask(api, A1, A2).json()
    assert answer["withheld"] == [
        {
            "category": {"id": "ondermijning-signaal", "name": "Signaal dat op ondermijning wijst"},
            "ask": [
                {"id": "helmond", "name": "Gemeente Helmond"},
                {"id": POLICE, "name": "Politie Oost-Brabant (incl. AVIM)"},
            ],
        },
        {
            "category": {"id": "politie-incidenten", "name": "Incidenten en mutaties op het adres"},
            "ask": [{"id": POLICE, "name": "Politie Oost-Brabant (incl. AVIM)"}],
        },
    ]
    text = json.dumps(answer)
    assert "politie-incidenten" not in json.dumps(answer["disclosures"] + answer["no_hits"])
    assert '"6"' not in text and "Wpg" not in text  # the police article and ground
    nobody = ask(api, OTHER).json()
    assert nobody["withheld"] == answer["withheld"]
    assert (nobody["cases"], nobody["disclosures"], nobody["no_hits"], nobody["entries"]) == ([], [], [], 0)


def test_a_pseudonym_under_each_key_version_merges(api: Api) -> None:
    """Each key version alone finds its own case; both together find both."""
    first, second = history(api)
    only1 = ask(api, A1).json()
    only2 = ask(api, A2).json()
    both = ask(api, A1, A2).json()
    assert [c["case"] for c in only1["cases"]] == [first]
    assert [c["case"] for c in only2["cases"]] == [second]
    assert [c["case"] for c in both["cases"]] == [first, second]
    assert both["entries"] == only1["entries"] + only2["entries"]
    assert groups(only2) == [
        ("helmond", "enexis", "disclosed", "energie-afwijking", ["9"], ["Elektriciteitswet 1998 art. 79"])
    ]


def test_the_request_is_logged_without_free_text(api: Api) -> None:
    """One access-request event per pseudonym, with the covenant and counts, the pseudonym only as
    the subject; no reason, no free text; logged before the answer, which names it."""
    history(api)
    answer = ask(api, A1, A2).json()
    logged = [e for e in events(api) if e["action"] == "access-request"]
    assert [e["dataSubjectId"] for e in logged] == [A1, A2]
    for e in logged:
        assert e["actor"] == {"party": "senzer", "user": "po-1", "role": "privacy-officer"}
        assert e["processingActivity"]["covenant"].startswith("pit/")
        assert e["details"] == {"entries": answer["entries"], "pseudonyms": 2}
        assert e["reason"] is None and e["reasonCode"] is None and e["outcome"] == "done"
        assert e["case"] is None and e["category"] is None
    assert logged[0]["traceId"] == logged[1]["traceId"]
    with api.db.sessions.begin() as s:
        entry = api.db.log.entry(s, answer["log_index"])
        assert json.loads(entry.event)["action"] == "access-request"


def test_no_internal_user_id_in_the_answer(api: Api) -> None:
    """The users who queried, sent and read (coord-1, agent-7, clerk-3, s-1) are named nowhere."""
    history(api)
    text = ask(api, A1, A2).text
    for user in ("coord-1", "agent-7", "clerk-3", "s-1", "u-1", "po-1"):
        assert user not in text
    assert "user" not in text and "role" not in text


def test_other_roles_are_refused_and_the_refusal_logged(api: Api) -> None:
    """An employee and a jurist of a party to the covenant get 403; each refusal is logged with its
    reason code, and no access-request event is written."""
    history(api)
    for role in ("employee", "jurist"):
        assert_problem(ask(api, A1, role=role), 403, "only a privacy-officer")
    refused = [e for e in events(api) if e["action"] == "refusal"]
    assert [(e["actor"]["role"], e["reasonCode"], e["details"].get("operation")) for e in refused] == [
        ("employee", "not-privacy-officer", "access_request"),
        ("jurist", "not-privacy-officer", "access_request"),
    ]
    assert all(e["dataSubjectId"] is None for e in refused)
    assert not [e for e in events(api) if e["action"] == "access-request"]


def test_a_party_outside_the_covenant_is_refused(api: Api) -> None:
    """Veldhoven (KIT only) gets 403 for PIT and learns nothing; the refusal is logged."""
    history(api)
    join(api, "veldhoven")
    r = ask(api, A1, party="veldhoven")
    assert_problem(r, 403, "not a party to PIT")
    assert "disclosures" not in r.text
    refused = [e for e in events(api) if e["action"] == "refusal"]
    assert [(e["actor"]["party"], e["reasonCode"]) for e in refused] == [("veldhoven", "not-a-party")]


def test_malformed_requests(api: Api) -> None:
    """Two pseudonyms of one key version, too many, an address, or no pseudonym: 400, not logged."""
    po = officer(api)
    two = po.post("/v1/access-requests", {"covenant": "pit", "pseudonyms": [A1, OTHER]})
    assert_problem(two, 400, "two pseudonyms under key version 1")
    many = po.post("/v1/access-requests", {"covenant": "pit", "pseudonyms": [A1] * 5})
    assert many.status_code == 400
    address = po.post("/v1/access-requests", {"covenant": "pit", "pseudonyms": [ADDRESS]})
    assert_problem(address, 400, "pseudonym looks like")
    assert po.post("/v1/access-requests", {"covenant": "pit", "pseudonyms": []}).status_code == 400
    unknown = po.post("/v1/access-requests", {"covenant": "pitt", "pseudonyms": [A1]})
    assert_problem(unknown, 403, "no version of covenant 'pitt' is in force")
    assert not [e for e in events(api) if e["action"] == "access-request"]
