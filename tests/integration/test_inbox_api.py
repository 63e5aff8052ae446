"""GET /v1/inbox: in one call, what waits for the caller's party, metadata only, under the same role
rules as the separate routes, and nothing of another party (docs/specs/inbox.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from exchange.crypto.envelope import Recipient
from exchange.storage.models import ActionPoint
from tests.integration.api_support import Api
from tests.integration.test_enrichment_api import POLICE, prepared_case, sealed_item
from tests.integration.test_followup_api import case_with_item

COORD = ("helmond", "coord-1", "coordinator")


def inbox(api: Api, party: str, user: str = "u-1", role: str = "employee") -> dict[str, Any]:
    r = api.client(party, user, role).get("/v1/inbox")
    assert r.status_code == 200, r.text
    box: dict[str, Any] = r.json()
    assert box["party"] == party
    return box


def ids(box: dict[str, Any], kind: str) -> set[str]:
    return {x.get("id", x.get("case")) for x in box[kind]}


def test_requests_items_and_texts(api: Api) -> None:
    """The police see the request addressed to them until they answer it; Helmond's coordinator sees
    the police's item until it reads it; an employee of Helmond, whom the flow does not name, does
    not; a text sealed for the police shows until they read it. Other parties see none of it."""
    case_id = prepared_case(api, ask_police=True)
    police = inbox(api, POLICE)
    assert [(r["case"], r["category"], r["requested_by"]) for r in police["enrichment_requests"]] == [
        (case_id, "politie-incidenten", "helmond")
    ]
    assert "subjects" not in police["enrichment_requests"][0]  # metadata only
    for other in ("senzer", "someren", "helmond"):
        assert inbox(api, other)["enrichment_requests"] == []

    hk = api.keys["helmond"].current
    item = f"item-{case_id[-6:]}"
    envelope = sealed_item(api, case_id, item, [Recipient("helmond", hk.box_kid, hk.box_public)])
    assert api.client(POLICE).post(f"/v1/cases/{case_id}/items", {"envelope": envelope}).status_code == 201
    assert inbox(api, POLICE)["enrichment_requests"] == []  # answered
    coord_box = inbox(api, *COORD)
    assert [(i["id"], i["kind"], i["category"], i["sender"]) for i in coord_box["items"]] == [
        (item, "item", "politie-incidenten", POLICE)
    ]
    assert "envelope" not in json.dumps(coord_box) and "wrap" not in json.dumps(coord_box)
    # The flow names the coordinator: the items route would withhold it from an employee, so does the inbox.
    assert inbox(api, "helmond", "u-5", "employee")["items"] == []
    assert inbox(api, "senzer")["items"] == [] and inbox(api, POLICE)["items"] == []
    # Reading it (a logged read) takes it out of the inbox, for every user of the party.
    assert len(api.client(*COORD).get(f"/v1/cases/{case_id}/items").json()["items"]) == 1
    assert inbox(api, "helmond", "coord-2", "coordinator")["items"] == []

    # A text Helmond seals now is for the police too (they take part and read free text).
    coord = api.client(*COORD)
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"})
    deadline = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    action = coord.post(
        f"/v1/cases/{case_id}/actions", {"kind": "reinspection", "owner": "helmond", "deadline": deadline}
    ).json()["id"]
    reason = api.sealed(
        case_id, "helmond", "Inspection done with the police.", "action-reason", "coord-1", "coordinator"
    )
    r = coord.post(f"/v1/cases/{case_id}/actions/{action}", {"status": "done", "reason_sealed": reason})
    assert r.status_code == 200, r.text
    texts = inbox(api, POLICE)["items"]
    assert [(t["kind"], t["category"], t["sender"]) for t in texts] == [("action-reason", None, "helmond")]
    assert inbox(api, *COORD)["items"] == []  # its own text waits for nobody at Helmond
    assert len(api.client(POLICE).get(f"/v1/cases/{case_id}/texts").json()["texts"]) == 1
    assert inbox(api, POLICE)["items"] == []


def test_actions_and_feedback(api: Api) -> None:
    """The owner sees its open action points with overdue marked, not those of others nor done ones;
    a contributor sees the feedback sent to it, the coordinator (who gave it) and others do not."""
    case_id = case_with_item(api)
    coord = api.client(*COORD)
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"})
    deadline = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    made = [
        coord.post(f"/v1/cases/{case_id}/actions", {"kind": k, "owner": o, "deadline": deadline}).json()["id"]
        for k, o in (("reinspection", POLICE), ("fine", POLICE), ("other", "helmond"))
    ]
    with api.db.sessions.begin() as s:  # the first one's deadline has passed
        s.execute(
            update(ActionPoint)
            .where(ActionPoint.id == made[0])
            .values(deadline=datetime.now(UTC) - timedelta(days=1))
        )
    assert (
        api.client(POLICE).post(f"/v1/cases/{case_id}/actions/{made[1]}", {"status": "done"}).status_code
        == 200
    )
    police = inbox(api, POLICE)
    assert [(a["id"], a["case"], a["kind"], a["overdue"]) for a in police["actions"]] == [
        (made[0], case_id, "reinspection", True)
    ]
    assert ids(inbox(api, "helmond"), "actions") == {made[2]}
    assert inbox(api, "senzer")["actions"] == []

    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "follow-up"})
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "feedback"})
    assert coord.post(f"/v1/cases/{case_id}/feedback", {"outcome": "violation-found"}).status_code == 200
    fed = inbox(api, POLICE)["feedback"]
    assert [f["case"] for f in fed] == [case_id]
    assert "outcome" not in fed[0]  # the outcome itself is read at GET /v1/cases/{id}/feedback
    assert inbox(api, *COORD)["feedback"] == [] and inbox(api, "senzer")["feedback"] == []


def test_reading_the_inbox_is_not_logged(api: Api) -> None:
    """The inbox shows metadata only: like the other list routes, reading it writes no event."""
    case_with_item(api)
    before = api.log_size()
    inbox(api, *COORD)
    inbox(api, POLICE)
    assert api.log_size() == before
