"""Joining a covenant over the signed API: a join takes effect only when both the hub's operator and
the covenant's key custodian approve; it is signed with the key it presents; only the custodian
decides for its covenant; a rejected join never registers; joins are rate-limited (429)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from exchange.api.app import create_app
from exchange.cli.main import app as cli
from exchange.client.directory import DirectoryAnswerError, fetch_directory
from exchange.client.http import ExchangeClient, sign_request
from exchange.client.joins import decide_join, join_body, pending_joins, request_join
from exchange.config import Settings
from exchange.crypto.keys import PartyKeys
from exchange.storage.directory import is_registered
from exchange.storage.parties import register_party
from tests.conftest import convenant_today
from tests.integration.api_support import NOW, PARTIES, Api, assert_problem
from tests.integration.conftest import ORIGIN, Db

CUSTODIAN = ("helmond", "po-1", "privacy-officer")


def newcomer(api: Api, party: str = "deurne") -> PartyKeys:
    keys = PartyKeys.create(party, NOW)
    api.keys[party] = keys
    return keys


def ask(api: Api, party: str = "deurne", covenant: str = "pit") -> dict[str, Any]:
    return request_join(
        "http://testserver",
        newcomer(api, party),
        covenant,
        f"Gemeente {party}",
        "u-1",
        "coordinator",
        api.http,
    )


def operator(api: Api, verb: str, join_id: str) -> Any:
    env = {
        "EXCHANGE_MODE": "dev",
        "EXCHANGE_DATABASE_URL": api.db.url,
        "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
        "EXCHANGE_LOG_ORIGIN": ORIGIN,
    }
    return CliRunner().invoke(cli, ["admin", verb, join_id], env=env)


def log_events(api: Api) -> list[dict[str, Any]]:
    with api.db.sessions.begin() as s:
        return [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]


def registered(api: Api, party: str) -> bool:
    with api.db.sessions.begin() as s:
        return is_registered(s, party)


def test_a_join_takes_effect_only_when_both_sides_approve(api: Api) -> None:
    """The custodian's approval alone registers nothing; with the operator's too, the party and its
    keys are registered and it signs. Every step is logged, without free text."""
    join = ask(api)
    assert join["status"] == "pending" and join["signing_key"] == api.keys["deurne"].current.sign_kid
    custodian = api.client(*CUSTODIAN)
    assert [j["id"] for j in pending_joins(custodian)] == [join["id"]]
    after = decide_join(custodian, join["id"], approve=True)
    assert (after["status"], after["custodian"], after["operator"]) == ("pending", "approved", None)
    assert not registered(api, "deurne")
    assert_problem(api.client("deurne").get("/v1/whoami"), 401, "not registered")

    shown = CliRunner().invoke(
        cli, ["admin", "joins"], env={"EXCHANGE_DATABASE_URL": api.db.url, "EXCHANGE_MODE": "dev"}
    )
    assert shown.exit_code == 0 and join["id"] in shown.output and "custodian: approved" in shown.output, (
        shown.output
    )
    done = operator(api, "approve-join", join["id"])
    assert done.exit_code == 0 and "deurne is registered and can sign" in done.output, done.output
    assert api.client("deurne", "u-1", "coordinator").get("/v1/whoami").json()["party"] == "deurne"
    assert (
        fetch_directory(api.client("someren"), "deurne").status(api.keys["deurne"].current.sign_kid)
        == "current"
    )
    assert pending_joins(custodian) == []

    steps = [
        (e["action"], e["outcome"], e["details"].get("side"), e["counterparty"])
        for e in log_events(api)
        if e["action"] in ("join-request", "join-approval", "join-rejection", "key-registration")
    ]
    assert steps == [
        ("join-request", "done", None, "deurne"),
        ("join-approval", "allowed", "custodian", "deurne"),
        ("join-approval", "allowed", "operator", "deurne"),
        ("key-registration", "done", None, "deurne"),
    ]
    text = json.dumps(log_events(api))
    assert "Gemeente deurne" not in text
    assert all(e["reason"] is None for e in log_events(api) if e["action"].startswith("join"))


def test_the_operator_first_then_the_custodian(api: Api) -> None:
    """The order does not matter: the second approval makes the join take effect."""
    join = ask(api, "asten")
    assert operator(api, "approve-join", join["id"]).exit_code == 0
    assert not registered(api, "asten")
    assert decide_join(api.client(*CUSTODIAN), join["id"], approve=True)["status"] == "registered"
    assert api.client("asten").get("/v1/whoami").status_code == 200


def test_only_the_custodian_decides_for_its_covenant(api: Api) -> None:
    """Someren's privacy officer (a PIT party, not its custodian) gets 404 as for an unknown join and
    sees no joins; Helmond in a role other than privacy officer or coordinator gets 403."""
    join = ask(api)
    other = api.client("someren", "po-2", "privacy-officer")
    with pytest.raises(DirectoryAnswerError, match="404"):
        decide_join(other, join["id"], approve=True)
    assert pending_joins(other) == []
    assert_problem(
        api.client("helmond", "u-2", "employee").post(f"/v1/joins/{join['id']}/approval", {"approve": True}),
        403,
        "privacy-officer or coordinator",
    )
    assert_problem(api.client("helmond", "u-2", "employee").get("/v1/joins"), 403, "not 'employee'")
    assert operator(api, "approve-join", join["id"]).exit_code == 0
    assert not registered(api, "deurne")
    refusals = [e["reasonCode"] for e in log_events(api) if e["action"] == "refusal"]
    assert refusals.count("not-custodian-role") == 2 and "not-found" in refusals


def test_a_rejected_join_never_registers(api: Api) -> None:
    """Rejected by the custodian, the operator's approval is refused; rejected by the operator, the
    custodian's too; neither party is registered."""
    join = ask(api)
    assert decide_join(api.client(*CUSTODIAN), join["id"], approve=False)["status"] == "rejected"
    refused = operator(api, "approve-join", join["id"])
    assert refused.exit_code != 0 and "rejected already" in refused.output
    second = ask(api, "asten")
    assert operator(api, "reject-join", second["id"]).exit_code == 0
    with pytest.raises(DirectoryAnswerError, match="409"):
        decide_join(api.client(*CUSTODIAN), second["id"], approve=True)
    assert not registered(api, "deurne") and not registered(api, "asten")
    assert_problem(api.client("asten").get("/v1/whoami"), 401, "not registered")
    rejections = [e["details"]["side"] for e in log_events(api) if e["action"] == "join-rejection"]
    assert rejections == ["custodian", "operator"]


def test_the_party_must_be_listed_by_the_covenant_and_not_registered(api: Api) -> None:
    """Veldhoven is no party to PIT (a revision adds it first): 403. Someren is registered: 409. A
    second join for a party with one pending: 409. An unknown covenant: 404."""
    with pytest.raises(DirectoryAnswerError, match=r"403.*revision of the covenant adds it first"):
        ask(api, "veldhoven")
    with pytest.raises(DirectoryAnswerError, match=r"409.*registered already"):
        request_join(
            "http://testserver",
            PartyKeys.create("someren", NOW),
            "pit",
            "Someren",
            "u",
            "coordinator",
            api.http,
        )
    ask(api)
    with pytest.raises(DirectoryAnswerError, match=r"409.*pending already"):
        ask(api)
    with pytest.raises(DirectoryAnswerError, match="404"):
        ask(api, "asten", "nope")


def test_a_join_signed_with_another_key_than_presented_is_refused(api: Api) -> None:
    """The signature must verify under the body's current key: a join signed with another new key,
    or with a registered party's key, is refused and stores nothing."""
    presented = newcomer(api)
    body = json.dumps(join_body(presented, "pit", "Gemeente Deurne")).encode()
    for signer in (PartyKeys.create("deurne", NOW), api.keys["helmond"]):
        req = api.http.build_request(
            "POST", "/v1/joins", content=body, headers={"Content-Type": "application/json"}
        )
        assert_problem(
            api.http.send(sign_request(req, signer.current, "u-1", "coordinator")),
            401,
            "signing key in its body",
        )
    assert pending_joins(api.client(*CUSTODIAN)) == []


@contextmanager
def served(db: Db, **limits: int) -> Iterator[Api]:
    """The service with the test parties and the given join limits."""
    keys = {p: PartyKeys.create(p, NOW) for p in PARTIES}
    with db.sessions.begin() as s:
        for p, k in keys.items():
            register_party(s, p, p.title(), [v.to_data(p) for v in k.public()], NOW)
    base = Settings(mode="dev", database_url=db.url, convenant_dir=convenant_today(), log_origin=ORIGIN)
    settings = base.model_copy(update=limits)
    with TestClient(create_app(settings, db.engine)) as http:
        yield Api(http, db, keys)


def test_joins_are_rate_limited(db: Db) -> None:
    """Beyond the pending joins a covenant may have, and beyond the attempts one address may make in
    an hour, the hub answers 429 with Retry-After and stores nothing."""
    with served(db, join_pending_per_covenant=2, joins_per_source_per_hour=3) as api:
        ask(api, "deurne")
        ask(api, "asten")
        keys = newcomer(api, "laarbeek")
        client = ExchangeClient("http://testserver", keys.current, "u-1", "coordinator", http=api.http)
        full = client.post("/v1/joins", join_body(keys, "pit", "Gemeente Laarbeek"))
        assert_problem(full, 429, "joins waiting for approval")
        assert full.headers["retry-after"] == "3600"
        busy = client.post("/v1/joins", join_body(keys, "pit", "Gemeente Laarbeek"))
        assert_problem(busy, 429, "too many join requests from your address")
        assert 0 < int(busy.headers["retry-after"]) <= 3600
        assert [j["party"] for j in pending_joins(api.client(*CUSTODIAN))] == ["deurne", "asten"]


def test_joins_per_hour_are_limited(db: Db) -> None:
    """The hub takes a configurable number of new joins an hour in all (EXCHANGE_JOINS_PER_HOUR)."""
    with served(db, joins_per_hour=1) as api:
        ask(api, "deurne")
        with pytest.raises(DirectoryAnswerError, match=r"429.*joins an hour"):
            ask(api, "asten")
