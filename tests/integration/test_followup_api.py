"""Follow-up, feedback and closure: action points with deadlines and reasons, the abstracted outcome
for every contributor, and retention that ends in shredding."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from exchange.audit.checkpoint import NoteSigner
from exchange.cases.followup import shred_expired
from exchange.cases.unit import Unit
from exchange.crypto.envelope import Recipient
from exchange.storage.models import ActionPoint
from exchange.vocabulary import Caller
from tests.integration.api_support import Api, assert_problem
from tests.integration.test_enrichment_api import POLICE, prepared_case, sealed_item


def case_with_item(api: Api) -> str:
    case_id = prepared_case(api, ask_police=True)
    hk = api.keys["helmond"].current
    r = api.client(POLICE).post(
        f"/v1/cases/{case_id}/items",
        {
            "envelope": sealed_item(
                api, case_id, f"item-{case_id[-6:]}", [Recipient("helmond", hk.box_kid, hk.box_public)]
            )
        },
    )
    assert r.status_code == 201, r.text
    return case_id


def test_action_points(api: Api) -> None:
    """The coordinator assigns action points; the owner updates them; overdue ones need a reason."""
    case_id = case_with_item(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    deadline = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    assert_problem(
        coord.post(
            f"/v1/cases/{case_id}/actions", {"kind": "reinspection", "owner": POLICE, "deadline": deadline}
        ),
        409,
        "phase 'preparation'",
    )
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"})
    made = coord.post(
        f"/v1/cases/{case_id}/actions", {"kind": "reinspection", "owner": POLICE, "deadline": deadline}
    )
    assert made.status_code == 201 and made.json()["status"] == "open" and made.json()["overdue"] is False
    action_id = made.json()["id"]
    assert_problem(
        coord.post(f"/v1/cases/{case_id}/actions", {"kind": "arrest", "owner": POLICE, "deadline": deadline}),
        400,
        "kind must be one of",
    )
    assert_problem(
        coord.post(f"/v1/cases/{case_id}/actions", {"kind": "fine", "owner": "vrbzo", "deadline": deadline}),
        400,
        "does not take part",
    )
    assert_problem(
        api.client(POLICE).post(
            f"/v1/cases/{case_id}/actions", {"kind": "fine", "owner": POLICE, "deadline": deadline}
        ),
        403,
        "coordinator",
    )
    # Make it overdue, as if two weeks passed.
    with api.db.sessions.begin() as s:
        s.execute(
            update(ActionPoint)
            .where(ActionPoint.id == action_id)
            .values(deadline=datetime.now(UTC) - timedelta(days=1))
        )
    listed = coord.get(f"/v1/cases/{case_id}/actions").json()
    assert [(a["id"], a["overdue"]) for a in listed] == [(action_id, True)]
    police = api.client(POLICE, "agent-7", "employee")
    assert_problem(
        police.post(f"/v1/cases/{case_id}/actions/{action_id}", {"status": "done"}), 400, "overdue"
    )
    assert_problem(
        police.post(f"/v1/cases/{case_id}/actions/{action_id}", {"status": "done", "reason": "Moved, away."}),
        400,
        "seal it",
    )
    reason = api.sealed(
        case_id,
        POLICE,
        "Re-inspection moved: the occupants were away.",
        "action-reason",
        "agent-7",
        "employee",
    )
    done = police.post(
        f"/v1/cases/{case_id}/actions/{action_id}", {"status": "done", "reason_sealed": reason}
    )
    assert done.json()["status"] == "done" and done.json()["overdue"] is False
    assert (done.json()["reason"]["by"], done.json()["reason"]["user"]) == (POLICE, "agent-7")
    assert_problem(
        police.post(f"/v1/cases/{case_id}/actions/act-unknown", {"status": "done"}), 404, "no action"
    )


def test_feedback_reaches_every_contributor(api: Api) -> None:
    """In the feedback phase the coordinator records an outcome code; each contributor is told and can read it."""
    case_id = case_with_item(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    for phase in ("action", "follow-up"):
        coord.post(f"/v1/cases/{case_id}/transitions", {"to": phase})
    assert_problem(coord.post(f"/v1/cases/{case_id}/feedback", {"outcome": "violation-found"}), 409, "phase")
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "feedback"})
    assert_problem(coord.post(f"/v1/cases/{case_id}/feedback", {"outcome": "guilty"}), 400, "outcome must be")
    told = coord.post(f"/v1/cases/{case_id}/feedback", {"outcome": "violation-found"})
    assert told.json() == {"outcome": "violation-found", "told": [POLICE]}
    assert api.client(POLICE).get(f"/v1/cases/{case_id}/feedback").json()["outcome"] == "violation-found"
    with api.db.sessions.begin() as s:
        events = [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]
    feedback = [e for e in events if e["action"] == "feedback"]
    assert [(e["counterparty"], e["details"]["outcome"]) for e in feedback] == [(POLICE, "violation-found")]


def test_closure_sets_retention_and_expired_items_are_shredded(api: Api) -> None:
    """Closing sets each item's retention from its category; after it, the item is unreadable for everyone,
    the shred is logged, and the log still verifies."""
    case_id = case_with_item(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    reason = api.sealed(
        case_id, "helmond", "No grounds after enrichment.", "closing-reason", "coord-1", "coordinator"
    )
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "closed", "reason_sealed": reason})
    log = api.http.app.state.service.log  # type: ignore[attr-defined]
    operator = Caller("operator", "retention", "operator", "operator")
    with api.db.sessions.begin() as s:
        early = Unit(s, operator, "t-early", datetime.now(UTC) + timedelta(days=300), log)
        assert shred_expired(early) == []
        late = Unit(s, operator, "t-retention", datetime.now(UTC) + timedelta(days=366), log)
        shredded = shred_expired(late)
    assert shredded == [f"item-{case_id[-6:]}"]
    assert coord.get(f"/v1/cases/{case_id}/items").json()["items"] == []
    with api.db.sessions.begin() as s:
        events = [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]
        signer = NoteSigner.from_seed(api.db.log.origin, b"\x05" * 32)
        api.db.log.sign_checkpoint(s, signer, datetime.now(UTC))
        api.db.log.verify(s, signer.verifier)
    assert [e["item"] for e in events if e["action"] == "shred"] == shredded
