"""Findings and feedback over HTTP: after an action each participating party registers counts per
category and violation code of the covenant; the outcome reaches every party that contributed an
item or answered a hit, and only them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from exchange.crypto.envelope import Recipient
from exchange.storage.case_queries import year_records
from tests.integration.api_support import Api, assert_problem
from tests.integration.test_enrichment_api import POLICE, A, sealed_item

FINDINGS = [
    {"category": "politie-incidenten", "code": "ondermijning", "count": 1},
    {"category": "brp-inschrijving", "code": "onjuiste-inschrijving", "count": 3},
]


def events(api: Api, action: str) -> list[dict[str, Any]]:
    with api.db.sessions.begin() as s:
        every = [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]
    return [e for e in every if e["action"] == action]


def refusal_codes(api: Api) -> list[tuple[str, str]]:
    return [(e["details"]["operation"], e["reasonCode"]) for e in events(api, "refusal")]


def worked_case(api: Api, *, hits: bool = False) -> str:
    """A PIT case of Helmond on address A, prepared, with an item from the police. With ``hits``,
    Senzer holds A in its index and the coordinator asks in 'signal': Senzer answers a hit, Someren
    (asked about the register) no-hit."""
    coord = api.client("helmond", "coord-1", "coordinator")
    case_id = str(
        coord.post(
            "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [A]}
        ).json()["id"]
    )
    if hits:
        api.client("senzer").post("/v1/index/bijstand-status", {"add": [A]})
        answers = coord.post(f"/v1/cases/{case_id}/hits", {}).json()
        assert {a["provider"] for a in answers if a["hit"]} == {"senzer"}
        assert "someren" in {a["provider"] for a in answers}
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"})
    reason = api.sealed(
        case_id, "helmond", "Three signals of overcrowding.", "selection-reason", "coord-1", "coordinator"
    )
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": reason})
    coord.post(
        f"/v1/cases/{case_id}/enrichment-requests", {"provider": POLICE, "categories": ["politie-incidenten"]}
    )
    hk = api.keys["helmond"].current
    envelope = sealed_item(
        api, case_id, f"item-{case_id[-6:]}", [Recipient("helmond", hk.box_kid, hk.box_public)]
    )
    assert api.client(POLICE).post(f"/v1/cases/{case_id}/items", {"envelope": envelope}).status_code == 201
    return case_id


def test_findings_are_registered_and_replaced(api: Api) -> None:
    """From the action on, a participating party registers counts per category and code; a second
    registration replaces its first; each party's findings stand beside the others'."""
    case_id = worked_case(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    police = api.client(POLICE, "agent-7", "employee")
    assert_problem(
        police.post(f"/v1/cases/{case_id}/findings", {"findings": FINDINGS}), 409, "after the action"
    )
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"})
    first = police.post(f"/v1/cases/{case_id}/findings", {"findings": FINDINGS})
    assert first.status_code == 200, first.text
    assert [(f["party"], f["category"], f["code"], f["count"]) for f in first.json()["findings"]] == [
        (POLICE, "brp-inschrijving", "onjuiste-inschrijving", 3),
        (POLICE, "politie-incidenten", "ondermijning", 1),
    ]
    again = [{"category": "politie-incidenten", "code": "ondermijning", "count": 2}]
    assert police.post(f"/v1/cases/{case_id}/findings", {"findings": again}).status_code == 200
    own = [{"category": "bag-gebruik", "code": "illegale-bewoning", "count": 1}]
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "follow-up"})
    assert coord.post(f"/v1/cases/{case_id}/findings", {"findings": own}).status_code == 200
    listed = police.get(f"/v1/cases/{case_id}/findings").json()["findings"]
    assert [(f["party"], f["category"], f["code"], f["count"]) for f in listed] == [
        ("helmond", "bag-gebruik", "illegale-bewoning", 1),
        (POLICE, "politie-incidenten", "ondermijning", 2),
    ]
    # Each count is its own event, with the violation's article; each registration says how many
    # earlier rows it replaced. No event holds free text or a subject.
    logged = events(api, "finding")
    assert [(e["actor"]["party"], e["category"], e["details"]) for e in logged] == [
        (POLICE, "politie-incidenten", {"code": "ondermijning", "count": 1}),
        (POLICE, "brp-inschrijving", {"code": "onjuiste-inschrijving", "count": 3}),
        (POLICE, None, {"registered": 2, "replaced": 0}),
        (POLICE, "politie-incidenten", {"code": "ondermijning", "count": 2}),
        (POLICE, None, {"registered": 1, "replaced": 2}),
        ("helmond", "bag-gebruik", {"code": "illegale-bewoning", "count": 1}),
        ("helmond", None, {"registered": 1, "replaced": 0}),
    ]
    for e in logged:
        assert e["reason"] is None and "text" not in e and e["dataSubjectId"] is None
        assert e["case"] == case_id
    assert {tuple(e["processingActivity"]["articles"]) for e in logged if e["category"]} == {("11",)}
    # The annual report counts them, per category and code, for every party at the table.
    with api.db.sessions.begin() as s:
        year = year_records(s, POLICE, datetime.now(UTC).year)
    assert sorted(year.violations) == [
        ("bag-gebruik", "illegale-bewoning", 1),
        ("politie-incidenten", "ondermijning", 2),
    ]
    # An empty registration withdraws the party's findings.
    assert police.post(f"/v1/cases/{case_id}/findings", {"findings": []}).json() == {"findings": []}
    assert [f["party"] for f in coord.get(f"/v1/cases/{case_id}/findings").json()["findings"]] == ["helmond"]


def test_findings_refused(api: Api) -> None:
    """An outsider, a role that does not register findings, an unknown code or category, a bad count
    and a closed case are each refused with a problem that says what to do; nothing is stored."""
    case_id = worked_case(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"})
    path = f"/v1/cases/{case_id}/findings"
    police = api.client(POLICE, "agent-7", "employee")
    assert_problem(api.client("senzer").post(path, {"findings": FINDINGS}), 404, "no case")
    assert_problem(api.client("senzer").get(path), 404, "no case")
    assert_problem(
        api.client(POLICE, "j-1", "jurist").post(path, {"findings": FINDINGS}),
        403,
        "only an employee or the coordinator",
    )
    assert_problem(
        api.client(POLICE, "c-1", "coordinator").post(path, {"findings": FINDINGS}), 403, "held only by"
    )
    typo = [{"category": "bijstand-status", "code": "onrechtmatige-uitkeringg", "count": 1}]
    r = police.post(path, {"findings": typo})
    assert_problem(r, 400, "'onrechtmatige-uitkeringg' is not a violation code of PIT 2021")
    assert "did you mean 'onrechtmatige-uitkering'?" in r.json()["detail"]
    assert "known: brandonveilig, illegale-bewoning," in r.json()["detail"]
    unknown = [{"category": "uitkeringen", "code": "onrechtmatige-uitkering", "count": 1}]
    r = police.post(path, {"findings": unknown})
    assert_problem(r, 400, "'uitkeringen' is not a data category of PIT 2021")
    assert "bag-gebruik" in r.json()["detail"]
    twice = [FINDINGS[0], {**FINDINGS[0], "count": 5}]
    assert_problem(police.post(path, {"findings": twice}), 400, "listed twice")
    for count in (0, -1, 1.5, "2", True):
        bad = [{**FINDINGS[0], "count": count}]
        assert_problem(police.post(path, {"findings": bad}), 400, "count")
    noted = [{**FINDINGS[0], "note": "Mr. Jansen, Dorpsstraat 1"}]
    assert_problem(police.post(path, {"findings": noted}), 400, "note")
    reason = api.sealed(
        case_id, "helmond", "Everything was dealt with.", "closing-reason", "coord-1", "coordinator"
    )
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "closed", "reason_sealed": reason})
    assert_problem(police.post(path, {"findings": FINDINGS}), 409, "closed")
    assert coord.get(path).json() == {"findings": []}
    assert events(api, "finding") == []
    assert refusal_codes(api) == [
        ("register_findings", "not-found"),
        ("list_findings", "not-found"),
        ("register_findings", "not-employee-or-coordinator"),
        ("register_findings", "role-not-held"),
        ("register_findings", "case-closed"),
    ]


def test_a_party_that_answered_a_hit_is_told_the_outcome(api: Api) -> None:
    """Feedback goes to the contributor and to the party that answered a hit; the latter reads the
    outcome without taking part in the case. A party that answered no-hit, or was never asked, is not
    told and cannot read it; nor can the hit answerer before it is told, or read anything else."""
    case_id = worked_case(api, hits=True)
    coord = api.client("helmond", "coord-1", "coordinator")
    senzer, someren, enexis = api.client("senzer"), api.client("someren"), api.client("enexis")
    feedback = f"/v1/cases/{case_id}/feedback"
    for phase in ("action", "follow-up", "feedback"):
        coord.post(f"/v1/cases/{case_id}/transitions", {"to": phase})
    assert_problem(senzer.get(feedback), 404, "no case")  # not told yet
    told = coord.post(feedback, {"outcome": "benefit-adjusted"})
    assert told.json() == {"outcome": "benefit-adjusted", "told": [POLICE, "senzer"]}
    assert senzer.get(feedback).json()["outcome"] == "benefit-adjusted"
    assert api.client(POLICE).get(feedback).json()["outcome"] == "benefit-adjusted"
    for outsider in (someren, enexis):
        assert_problem(outsider.get(feedback), 404, "no case")
    # Told of the outcome, Senzer still does not take part: the case and its findings stay hidden.
    assert_problem(senzer.get(f"/v1/cases/{case_id}"), 404, "no case")
    assert_problem(senzer.get(f"/v1/cases/{case_id}/findings"), 404, "no case")
    assert [(e["counterparty"], e["details"]) for e in events(api, "feedback")] == [
        (POLICE, {"outcome": "benefit-adjusted", "contributed": True, "answered-hit": False}),
        ("senzer", {"outcome": "benefit-adjusted", "contributed": False, "answered-hit": True}),
    ]
