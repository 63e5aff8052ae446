"""Roles are bound to parties by the covenant, and coordinator-only actions check the role as well as
the party: a case-by-case partner cannot coordinate, an employee of the coordinating party cannot assign
action points or feed back outcomes, and nothing changes on a closed case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.api_support import DECISION, Api, assert_problem
from tests.integration.test_cases_api import A, open_case
from tests.integration.test_enrichment_api import POLICE
from tests.integration.test_followup_api import case_with_item

ASK = {**(DECISION or {})}
PIT_CASE = {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [A]}


def test_a_party_cannot_act_in_a_role_the_covenant_does_not_give_it(api: Api) -> None:
    """Senzer signs the PIT covenant but does not coordinate: it cannot open a case as coordinator, and
    a decision asked in that role is denied with the reason and who may hold the role."""
    senzer = api.client("senzer", "s-1", "coordinator")
    assert_problem(
        senzer.post("/v1/cases", PIT_CASE),
        403,
        "in PIT 2021 the role 'coordinator' is held only by De zes Peelgemeenten, not by 'senzer'",
    )
    decided = api.client("senzer", "s-1", "coordinator").post("/v1/decisions", ASK).json()
    assert decided["allowed"] is False and decided["code"] == "role-not-held"
    # The same party in a role it holds is heard as usual.
    assert (
        api.client("senzer", "s-1", "employee").post("/v1/decisions", ASK).json()["code"] != "role-not-held"
    )


def test_hit_queries_in_a_role_not_held_are_refused_not_answered_empty(api: Api) -> None:
    """A hit/no-hit query in a role the party may not hold is a clear 403, not an empty answer."""
    case_id = open_case(api)
    api.client("helmond", "coord-1", "coordinator").post(f"/v1/cases/{case_id}/parties", {"party": "senzer"})
    assert_problem(
        api.client("senzer", "s-1", "coordinator").post(f"/v1/cases/{case_id}/hits", {}),
        403,
        "the role 'coordinator' is held only by",
    )


def test_coordinator_only_actions_check_the_role(api: Api) -> None:
    """An employee of the coordinating municipality may not assign action points or give feedback."""
    case_id = case_with_item(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    employee = api.client("helmond", "u-2", "employee")
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"})
    deadline = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    action = {"kind": "reinspection", "owner": POLICE, "deadline": deadline}
    assert_problem(employee.post(f"/v1/cases/{case_id}/actions", action), 403, "coordinator")
    made = coord.post(f"/v1/cases/{case_id}/actions", action)
    assert made.status_code == 201, made.text
    # The coordinating party's employee is not the owner either.
    assert_problem(
        employee.post(f"/v1/cases/{case_id}/actions/{made.json()['id']}", {"status": "done"}),
        403,
        "only the owner or the coordinator",
    )
    for phase in ("follow-up", "feedback"):
        coord.post(f"/v1/cases/{case_id}/transitions", {"to": phase})
    assert_problem(
        employee.post(f"/v1/cases/{case_id}/feedback", {"outcome": "no-action"}), 403, "coordinator"
    )
    assert coord.post(f"/v1/cases/{case_id}/feedback", {"outcome": "no-action"}).status_code == 200


def test_a_closed_case_takes_no_change(api: Api) -> None:
    """After closure no action point is updated and no selection is reviewed."""
    case_id = case_with_item(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"})
    deadline = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    made = coord.post(
        f"/v1/cases/{case_id}/actions", {"kind": "reinspection", "owner": POLICE, "deadline": deadline}
    ).json()
    reason = api.sealed(
        case_id, "helmond", "Finished after action.", "closing-reason", "coord-1", "coordinator"
    )
    closed = coord.post(f"/v1/cases/{case_id}/transitions", {"to": "closed", "reason_sealed": reason})
    assert closed.status_code == 200, closed.text
    police = api.client(POLICE, "agent-7", "employee")
    assert_problem(
        police.post(f"/v1/cases/{case_id}/actions/{made['id']}", {"status": "done"}),
        409,
        "the case is closed",
    )
    jurist = api.client("helmond", "jur-1", "jurist")
    assert_problem(
        jurist.post(f"/v1/cases/{case_id}/review", {"verdict": "approved", "note_sealed": reason}),
        409,
        "the case is closed",
    )
    assert_problem(coord.post(f"/v1/cases/{case_id}/parties", {"party": "vrbzo"}), 409, "the case is closed")
