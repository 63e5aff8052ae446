"""Refusals of authenticated requests are in the log: each with its reason code and no personal data,
recorded although the action was not, within a per-user budget per minute. Malformed input is not a
refusal, and an outsider still gets the same 404 as for a missing case."""

from __future__ import annotations

import json
from typing import Any

from exchange.crypto.pseudonym import pseudonymise
from exchange.crypto.subjects import normalise_address
from tests.integration.api_support import Api, assert_problem
from tests.integration.test_cases_api import KEY, A, open_case


def refusals(api: Api) -> list[dict[str, Any]]:
    with api.db.sessions.begin() as s:
        events = [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]
    return [e for e in events if e["action"] == "refusal"]


def test_each_refusal_is_logged_with_its_reason_code(api: Api) -> None:
    """Too many subjects, a role not held, a step reserved to the coordinator, a closed case and a case
    of others each leave one refusal event naming the reason and the operation, and nothing else."""
    coord = api.client("helmond", "coord-1", "coordinator")
    many = [str(pseudonymise(normalise_address(f"5701 AB {n}"), KEY)) for n in range(1, 14)]
    body = {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": many}
    assert_problem(coord.post("/v1/cases", body), 403, "at most 12")
    senzer = api.client("senzer", "s-1", "coordinator")
    assert_problem(senzer.post("/v1/cases", {**body, "subjects": [A]}), 403, "held only by")
    case_id = open_case(api)
    employee = api.client("helmond", "u-2", "employee")
    assert_problem(employee.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"}), 403, "coordinator")
    outsider = api.client("someren", "u-9", "employee")
    missing = outsider.get("/v1/cases/case-ffffffffffffffff")
    hidden = outsider.get(f"/v1/cases/{case_id}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(case_id, "X") == missing.json()["detail"].replace(
        "case-ffffffffffffffff", "X"
    )
    reason = api.sealed(
        case_id, "helmond", "Not a matter for the team.", "closing-reason", "coord-1", "coordinator"
    )
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "closed", "reason_sealed": reason})
    assert_problem(coord.post(f"/v1/cases/{case_id}/parties", {"party": "vrbzo"}), 409, "closed")

    got = [
        (e["actor"]["party"], e["reasonCode"], e["details"].get("operation"), e["case"], e["outcome"])
        for e in refusals(api)
    ]
    assert got == [
        ("helmond", "query-limit", "create_case", None, "denied"),
        ("senzer", "role-not-held", "create_case", None, "denied"),
        ("helmond", "not-coordinator", "transition", case_id, "denied"),
        ("someren", "not-found", "get_case", "case-ffffffffffffffff", "denied"),
        ("someren", "not-found", "get_case", case_id, "denied"),
        ("helmond", "case-closed", "add_party", case_id, "denied"),
    ]
    for e in refusals(api):
        assert e["dataSubjectId"] is None and e["reason"] is None


def test_malformed_input_is_not_a_refusal(api: Api) -> None:
    """A body that does not validate is a 400 and leaves no refusal event."""
    coord = api.client("helmond", "coord-1", "coordinator")
    r = coord.post(
        "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": ["5701 AB 1"]}
    )
    assert r.status_code == 400
    assert refusals(api) == []


def test_one_user_cannot_flood_the_log_with_refusals(api: Api) -> None:
    """Past the budget a user's refusals in the same minute are counted in one over-limit event."""
    service = api.http.app.state.service  # type: ignore[attr-defined]
    service.refusals.per_minute = 3
    outsider = api.client("someren", "u-9", "employee")
    for n in range(8):
        assert outsider.get(f"/v1/cases/case-{n:016x}").status_code == 404
    assert len(refusals(api)) == 3
    service.refusals.flush()  # as when the minute passes or the service stops
    last = refusals(api)[-1]
    assert (last["reasonCode"], last["details"]["count"], last["actor"]["user"]) == ("over-limit", 5, "u-9")
    assert len(refusals(api)) == 4
