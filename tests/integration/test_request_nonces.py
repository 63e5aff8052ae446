"""A signed request's nonce is recorded with what the request did (docs/adr/0022-signed-request-overhead.md):
a logged answer and its nonce commit in one writer transaction; a request that only reads records
its nonce before its answer is released; a request that fails records nothing and changes nothing,
so the same request may be sent again; a logged refusal records its nonce with its event; of
identical requests sent at once exactly one is done; and every change to a key bumps the key
generation that keeps the processes' key caches honest."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Engine, event, text, update

from exchange.client.http import sign_request
from exchange.crypto.keys import PartyKeys
from exchange.storage.db import READ_ONLY
from exchange.storage.models import PartyKeyRow
from exchange.storage.parties import register_party
from exchange.storage.request_nonces import key_generation
from tests.integration.api_support import SUBJECT, Api, assert_problem
from tests.integration.conftest import Db, block_log_writes, unblock_log_writes

CASE = {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [SUBJECT]}


def _count(api: Api, table: str) -> int:
    with api.db.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608 - fixed names


def _refusals(api: Api) -> int:
    with api.db.sessions.begin() as s:
        events = [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]
    return sum(1 for e in events if e["action"] == "refusal")


def _signed(api: Api, method: str, path: str, body: Any, party: str = "helmond") -> httpx.Request:
    content = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    req = api.http.build_request(method, path, content=content, headers=headers)
    return sign_request(req, api.keys[party].current, "coord-1", "coordinator")


def _again(api: Api, req: httpx.Request) -> httpx.Request:
    again: httpx.Request = api.http.build_request(
        req.method, req.url, content=req.content, headers=req.headers
    )
    return again


@contextmanager
def _writer_commits(engine: Engine) -> Iterator[list[int]]:
    """How many transactions that may write commit meanwhile (read-only ones are not counted)."""
    commits = [0]

    def on_commit(conn: Any) -> None:
        if not conn.get_execution_options().get(READ_ONLY):
            commits[0] += 1

    event.listen(engine, "commit", on_commit)
    try:
        yield commits
    finally:
        event.remove(engine, "commit", on_commit)


def test_a_logged_answer_and_its_nonce_commit_in_one_writer_transaction(api: Api) -> None:
    """A hit/no-hit query logs its answers and records its nonce in one writer transaction; a
    request that only reads makes one writer transaction too, for its nonce, before it is answered."""
    created = api.http.send(_signed(api, "POST", "/v1/cases", CASE))
    case_id = created.json()["id"]
    before = _count(api, "request_nonces")
    with _writer_commits(api.db.engine) as commits:
        hits = api.http.send(_signed(api, "POST", f"/v1/cases/{case_id}/hits", {}))
    assert hits.status_code == 200 and hits.json()
    assert commits == [1]
    with _writer_commits(api.db.engine) as commits:
        whoami = api.http.send(_signed(api, "GET", "/v1/whoami", None))
    assert whoami.status_code == 200 and commits == [1]
    assert _count(api, "request_nonces") == before + 2


def test_a_failed_request_records_no_nonce_and_changes_nothing(api: Api) -> None:
    """With the log unwritable, opening a case fails (503): no case, no event, no nonce. The same
    signed request, sent again once the log works, opens the case once; a third time it is a replay."""
    req = _signed(api, "POST", "/v1/cases", CASE)
    nonces, cases, size = _count(api, "request_nonces"), _count(api, "cases"), api.log_size()
    block_log_writes(api.db)
    try:
        assert api.http.send(req).status_code == 503
    finally:
        unblock_log_writes(api.db)
    assert (_count(api, "request_nonces"), _count(api, "cases"), api.log_size()) == (nonces, cases, size)
    assert api.http.send(_again(api, req)).status_code == 201
    assert_problem(api.http.send(_again(api, req)), 401, "replay")
    assert _count(api, "cases") == cases + 1
    assert _count(api, "request_nonces") == nonces + 1


def test_a_logged_refusal_records_its_nonce_with_its_event(api: Api) -> None:
    """Someren asks for a case it takes no part in: refused (404) and logged, with the request's
    nonce. The replay is refused as a replay and logs no second refusal."""
    case_id = api.http.send(_signed(api, "POST", "/v1/cases", CASE)).json()["id"]
    req = _signed(api, "GET", f"/v1/cases/{case_id}", None, party="someren")
    refusals, nonces = _refusals(api), _count(api, "request_nonces")
    assert api.http.send(req).status_code == 404
    assert (_refusals(api), _count(api, "request_nonces")) == (refusals + 1, nonces + 1)
    assert_problem(api.http.send(_again(api, req)), 401, "replay")
    assert (_refusals(api), _count(api, "request_nonces")) == (refusals + 1, nonces + 1)


def test_of_identical_requests_sent_at_once_exactly_one_is_done(api: Api) -> None:
    """Six copies of one signed request to open a case, sent at the same moment: one case is
    opened, the other five are refused as replays (their units may share one group commit)."""
    req = _signed(api, "POST", "/v1/cases", CASE)
    cases = _count(api, "cases")
    start = threading.Barrier(6)
    statuses: list[int] = []

    def send() -> None:
        copy = _again(api, req)
        start.wait()
        r = api.http.send(copy)
        statuses.append(r.status_code)
        if r.status_code != 201:
            assert_problem(r, 401, "replay")

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 401, 401, 401, 401, 401]
    assert _count(api, "cases") == cases + 1


def _generation(db: Db) -> int:
    with db.engine.connect() as conn:
        return key_generation(conn)


def test_every_change_to_a_key_bumps_the_key_generation(db: Db) -> None:
    """Registering a party, a rotation (the old version retired), a destruction and a change made
    by hand in SQL each bump the generation, in the transaction that makes the change."""
    now = datetime.now(UTC)
    keys = PartyKeys.create("deurne", now)
    seen = [_generation(db)]
    with db.sessions.begin() as s:
        register_party(s, "deurne", "Deurne", [v.to_data("deurne") for v in keys.public()], now)
    seen.append(_generation(db))
    keys = keys.rotate(now)
    with db.sessions.begin() as s:
        register_party(s, "deurne", "Deurne", [v.to_data("deurne") for v in keys.public()], now)
    seen.append(_generation(db))
    keys = keys.destroy(1)
    with db.sessions.begin() as s:
        register_party(s, "deurne", "Deurne", [v.to_data("deurne") for v in keys.public()], now)
    seen.append(_generation(db))
    with db.sessions.begin() as s:
        s.execute(update(PartyKeyRow).where(PartyKeyRow.party == "deurne").values(status="destroyed"))
        inside = key_generation(s.connection())
    seen.append(_generation(db))
    assert inside == seen[-1]
    assert all(b > a for a, b in itertools.pairwise(seen)), seen
