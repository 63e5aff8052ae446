"""Forwarding a signal over HTTP: a coordinator seals it for the partner it belongs to, the covenant
must have a signal-phase flow from its party to that partner, the hub stores ciphertext and logs a
``forward`` event without content, and only the recipient opens it (docs/specs/forwards.md)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.api.app import create_app
from exchange.audit.events import Action, Outcome
from exchange.cases.followup import shred_expired
from exchange.cases.unit import Unit
from exchange.client.forwards import forward_signal, open_forward
from exchange.config import Settings
from exchange.crypto.envelope import ItemMetadata, Recipient, decode, encode, seal
from exchange.crypto.keys import PartyKeys
from exchange.storage.models import ForwardRow, LogEntry
from exchange.storage.parties import register_party
from exchange.vocabulary import Caller
from tests.integration.api_support import NOW, PARTIES, Api, assert_problem
from tests.integration.conftest import ORIGIN, Db
from tests.integration.forward_support import forwarding_tree

SIGNAL = "Neighbours report six adults moved into the flat at Kerkstraat 12 in October."
COORD = ("helmond", "coord-1", "coordinator")


@pytest.fixture
def fapi(db: Db, tmp_path: Path) -> Iterator[Api]:
    keys = {p: PartyKeys.create(p, NOW) for p in PARTIES}
    with db.sessions.begin() as s:
        for p, k in keys.items():
            register_party(s, p, p.title(), [v.to_data(p) for v in k.public()], NOW)
    settings = Settings(
        mode="dev", database_url=db.url, convenant_dir=forwarding_tree(tmp_path), log_origin=ORIGIN
    )
    with TestClient(create_app(settings, db.engine)) as http:
        yield Api(http, db, keys)


def signers(api: Api, party: str) -> dict[str, bytes]:
    k = api.keys[party].current
    return {k.sign_kid: k.sign_public}


def events(api: Api, action: str) -> list[LogEntry]:
    with api.db.sessions.begin() as s:
        return list(
            s.execute(select(LogEntry).where(LogEntry.action == action).order_by(LogEntry.idx)).scalars()
        )


def test_forward_opened_by_the_recipient_only(fapi: Api) -> None:
    """Helmond's coordinator forwards; Senzer sees it in its inbox and opens it; nobody else can;
    the hub holds ciphertext only; the send and the read are logged."""
    sent = forward_signal(
        fapi.client(*COORD), fapi.keys["helmond"], "senzer", "uitkeringsfraude", "pit", SIGNAL
    )
    fid = sent["id"]
    assert sent["to"] == "senzer" and sent["digest"].startswith("sha256:")
    box = fapi.client("senzer").get("/v1/inbox").json()
    assert [(f["id"], f["sender"], f["purpose"], f["covenant"]) for f in box["forwards"]] == [
        (fid, "helmond", "uitkeringsfraude", "pit/2021")
    ]
    for other in ("someren", "helmond", "politie-oost-brabant"):
        assert fapi.client(other).get("/v1/inbox").json()["forwards"] == []
        assert_problem(fapi.client(other).get(f"/v1/forwards/{fid}"), 404, f"no forward '{fid}'")
    with fapi.db.sessions.begin() as s:
        row = s.get(ForwardRow, fid)
        assert row is not None and SIGNAL.encode() not in row.ciphertext + row.header
    # A jurist of Senzer is not a role the flow names: refused (and logged), not opened.
    assert_problem(
        fapi.client("senzer", "j-1", "jurist").get(f"/v1/forwards/{fid}"), 403, "'jurist' of 'senzer'"
    )
    assert fapi.client("senzer", "j-1", "jurist").get("/v1/inbox").json()["forwards"] == []
    opened = open_forward(fapi.client("senzer"), fapi.keys["senzer"], fid, signers(fapi, "helmond"))
    assert opened.text == SIGNAL and opened.sender == "helmond" and opened.covenant == "pit/2021"
    assert fapi.client("senzer").get("/v1/inbox").json()["forwards"] == []  # opened
    reads = [e for e in events(fapi, "dossier-read") if e.actor_party == "senzer"]
    assert len(reads) == 1 and reads[0].counterparty == "helmond" and reads[0].outcome == "done"


def test_the_forward_event_holds_no_content(fapi: Api) -> None:
    """The event names the parties, purpose, covenant and the envelope's digest, never the text."""
    sent = forward_signal(
        fapi.client(*COORD), fapi.keys["helmond"], "senzer", "uitkeringsfraude", "pit", SIGNAL
    )
    [e] = events(fapi, Action.FORWARD)
    assert e.idx == sent["log_index"]
    data = json.loads(e.event)
    assert (
        data["actor"]["party"],
        data["counterparty"],
        data["purpose"],
        data["processingActivity"]["covenant"],
        data["phase"],
    ) == (
        "helmond",
        "senzer",
        "uitkeringsfraude",
        "pit/2021",
        "signal",
    )
    assert data["text"] == {"id": sent["id"], "digest": sent["digest"]} and data["outcome"] == Outcome.DONE
    assert data["case"] is None
    for word in ("Kerkstraat", "Neighbours", "six adults"):
        assert word not in e.event.decode()


def test_a_forward_without_a_flow_is_refused_and_the_refusal_logged(fapi: Api) -> None:
    """No flow from Helmond to Someren (or to Senzer for another purpose) in phase signal: 403, a
    refusal event, nothing stored. An employee may not forward at all; only a coordinator does."""
    coord = fapi.client(*COORD)
    r = coord.get("/v1/forwards/recipients?to=someren&purpose=uitkeringsfraude&covenant=pit")
    assert_problem(r, 403, "no flow from 'helmond' to 'someren'")
    r = coord.get("/v1/forwards/recipients?to=senzer&purpose=onrechtmatige-bewoning&covenant=pit")
    assert_problem(r, 403, "no flow from 'helmond' to 'senzer'")
    refusals = events(fapi, Action.REFUSAL)
    assert [e.reason_code for e in refusals] == ["no-flow", "no-flow"]
    # Sealing for Senzer's key but addressing Someren does not get past the flow check either.
    k = fapi.keys["senzer"].current
    meta = ItemMetadata(
        "fwd-" + "a" * 32,
        "fwd-" + "a" * 32,
        "helmond",
        "signal-forward",
        "uitkeringsfraude",
        "2026-11-30T10:00:00Z",
    )
    envelope = base64.b64encode(
        encode(
            seal(
                SIGNAL.encode(),
                meta,
                [Recipient("senzer", k.box_kid, k.box_public)],
                fapi.keys["helmond"].current,
            )
        )
    ).decode()
    r = coord.post(
        "/v1/forwards",
        {"to": "someren", "purpose": "uitkeringsfraude", "covenant": "pit", "envelope": envelope},
    )
    assert_problem(r, 403, "no flow")
    # Addressed to Senzer but sealed for Someren's key: refused too.
    s = fapi.keys["someren"].current
    wrong = base64.b64encode(
        encode(
            seal(
                SIGNAL.encode(),
                meta,
                [Recipient("someren", s.box_kid, s.box_public)],
                fapi.keys["helmond"].current,
            )
        )
    ).decode()
    r = coord.post(
        "/v1/forwards", {"to": "senzer", "purpose": "uitkeringsfraude", "covenant": "pit", "envelope": wrong}
    )
    assert_problem(r, 403, "sealed only for 'senzer'")
    r = fapi.client("helmond", "u-1", "employee").post(
        "/v1/forwards",
        {"to": "senzer", "purpose": "uitkeringsfraude", "covenant": "pit", "envelope": envelope},
    )
    assert_problem(r, 403, "only a coordinator forwards a signal")
    assert events(fapi, Action.FORWARD) == []
    with fapi.db.sessions.begin() as session:
        assert session.execute(select(ForwardRow)).first() is None


def test_the_shipped_pit_covenant_allows_exactly_its_signal_flows(api: Api) -> None:
    """PIT 2021 lets a municipality forward a benefit signal to Senzer and a fire-safety signal to the
    safety region (flows signaal-naar-*); nothing goes to the police that way."""
    coord = api.client(*COORD)
    r = coord.get("/v1/forwards/recipients?to=senzer&purpose=uitkeringsfraude&covenant=pit")
    assert r.status_code == 200 and [x["party"] for x in r.json()] == ["senzer"], r.text
    r = coord.get("/v1/forwards/recipients?to=politie-oost-brabant&purpose=uitkeringsfraude&covenant=pit")
    assert_problem(r, 403, "no flow from 'helmond' to 'politie-oost-brabant'")


def test_forwards_are_shredded_at_retention(fapi: Api) -> None:
    """Past the covenant's longest retention the recipient's wraps are deleted and the shred logged;
    the forward is gone from the inbox and cannot be opened."""
    sent = forward_signal(
        fapi.client(*COORD), fapi.keys["helmond"], "senzer", "uitkeringsfraude", "pit", SIGNAL
    )
    operator = Caller("operator", "retention", "operator", "operator")
    with fapi.db.sessions.begin() as s:  # PIT's longest retention is five years (P5Y)
        early = Unit(s, operator, "tr-early", NOW + timedelta(days=4 * 366), fapi.db.log)
        assert shred_expired(early) == []
    with fapi.db.sessions.begin() as s:
        late = Unit(s, operator, "tr-late", NOW + timedelta(days=5 * 366 + 1), fapi.db.log)
        assert shred_expired(late) == [sent["id"]]
    [e] = [e for e in events(fapi, Action.SHRED) if e.counterparty == "senzer"]
    assert json.loads(e.event)["text"]["digest"] == sent["digest"]
    assert fapi.client("senzer").get("/v1/inbox").json()["forwards"] == []
    assert_problem(fapi.client("senzer").get(f"/v1/forwards/{sent['id']}"), 404, "no forward")


def test_the_envelope_returned_carries_only_the_recipients_wraps(fapi: Api) -> None:
    """The recipient's GET returns the sealed envelope; the hub added nothing and cannot open it."""
    sent = forward_signal(
        fapi.client(*COORD), fapi.keys["helmond"], "senzer", "uitkeringsfraude", "pit", SIGNAL
    )
    got = fapi.client("senzer").get(f"/v1/forwards/{sent['id']}").json()
    item = decode(base64.b64decode(got["envelope"]))
    assert {p for p, _ in item.header.recipients} == {"senzer"}
    assert item.header.metadata.category == "signal-forward"


def test_who_may_call_the_forward_routes(fapi: Api) -> None:
    """Only a coordinator of a party that may coordinate forwards; a party that may not hold the role
    is refused with role-not-held; each refusal is logged with its reason code."""
    query = "/v1/forwards/recipients?to=senzer&purpose=uitkeringsfraude&covenant=pit"
    r = fapi.client("senzer", "c-1", "coordinator").get(query.replace("to=senzer", "to=helmond"))
    assert r.status_code == 403 and r.json()["type"].endswith("/denied")
    r = fapi.client("helmond", "u-1", "employee").get(query)
    assert_problem(r, 403, "only a coordinator forwards a signal")
    assert [e.reason_code for e in events(fapi, Action.REFUSAL)] == ["role-not-held", "not-coordinator"]
    sent = forward_signal(
        fapi.client(*COORD), fapi.keys["helmond"], "senzer", "uitkeringsfraude", "pit", SIGNAL
    )
    r = fapi.client("senzer", "c-1", "coordinator").get(f"/v1/forwards/{sent['id']}")
    assert r.status_code == 403 and r.json()["type"].endswith("/denied")
    assert events(fapi, Action.REFUSAL)[-1].reason_code == "role-not-held"
