"""The HTTP service: every route refuses unauthenticated, wrongly signed, tampered, replayed and
expired requests; decisions are logged before they are answered; retries are idempotent."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from exchange.client.http import sign_request
from exchange.crypto.keys import PartyKeys
from exchange.storage.schema import head_revision
from tests.conftest import moved
from tests.integration.api_support import (
    DECISION,
    FLAG,
    JOIN,
    JOIN_PATH,
    NOW,
    ROUTES,
    SUBJECT,
    TILE,
    Api,
    assert_problem,
    signed,
)
from tests.integration.conftest import block_log_writes, unblock_log_writes


def test_whoami(api: Api) -> None:
    """A signed request learns who the service thinks it is: party, user, role and key."""
    r = api.client("someren", "u-17", "coordinator").get("/v1/whoami")
    assert r.status_code == 200
    assert r.json() == {
        "party": "someren",
        "user": "u-17",
        "role": "coordinator",
        "key_id": api.keys["someren"].current.sign_kid,
    }


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_unauthenticated(api: Api, method: str, path: str, body: dict[str, str] | None) -> None:
    """Without a signature every route answers 401 with a problem document."""
    r = api.http.request(method, path, json=body)
    assert_problem(r, 401, "not signed")
    assert r.headers["www-authenticate"].startswith("Signature")


@pytest.mark.parametrize(("method", "path", "body"), [r for r in ROUTES if r[1] != JOIN_PATH])
def test_unregistered_key(api: Api, method: str, path: str, body: dict[str, str] | None) -> None:
    """A request signed with a key the operator never registered is refused (every route but one:
    see :func:`test_a_join_is_the_one_route_signed_with_an_unregistered_key`)."""
    stranger = PartyKeys.create("someren", NOW)
    req = api.http.build_request(method, path, content=json.dumps(body).encode() if body else b"")
    r = api.http.send(sign_request(req, stranger.current, "u-1", "employee"))
    assert_problem(r, 401, "not registered")


def test_a_join_is_the_one_route_signed_with_an_unregistered_key(api: Api) -> None:
    """The documented exception to the rule above: ``POST /v1/joins`` is signed with the new party's
    own key, which the hub does not know yet, and is accepted only when the signature verifies under
    the current key the body presents (proof of possession). Signed with any other key, unregistered
    or registered, it is refused; so is every other route signed with the new key."""
    body = next(b for _, p, b in ROUTES if p == JOIN_PATH)
    newcomer = PartyKeys.create("deurne", NOW)
    presented = {**(body or {}), "keys": [v.to_data("deurne") for v in newcomer.public()]}
    content = json.dumps(presented).encode()
    headers = {"Content-Type": "application/json"}
    for other in (PartyKeys.create("deurne", NOW), api.keys["someren"]):
        req = api.http.build_request("POST", JOIN_PATH, content=content, headers=headers)
        r = api.http.send(sign_request(req, other.current, "u-1", "coordinator"))
        assert_problem(r, 401, "signed with the signing key in its body")
    req = api.http.build_request("POST", JOIN_PATH, content=content, headers=headers)
    r = api.http.send(sign_request(req, newcomer.current, "u-1", "coordinator"))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending" and r.json()["signing_key"] == newcomer.current.sign_kid
    for method, path, _ in ROUTES:
        if path != JOIN_PATH:
            req = api.http.build_request(method, path)
            r = api.http.send(sign_request(req, newcomer.current, "u-1", "coordinator"))
            assert_problem(r, 401, "not registered")


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_tampered_request(api: Api, method: str, path: str, body: dict[str, str] | None) -> None:
    """Changing the body, the target or a covered header after signing is detected."""
    req = signed(api, method, path, body)
    tampered = api.http.build_request(method, path + "?x=1", content=req.content, headers=req.headers)
    assert_problem(api.http.send(tampered), 401, "not valid")
    req2 = signed(api, method, path, body)
    req2.headers["Exchange-Role"] = "coordinator"  # escalate the asserted role
    assert_problem(api.http.send(req2), 401, "not valid")
    if body is not None:
        req3 = signed(api, method, path, body)
        other = api.http.build_request(
            method, path, content=json.dumps({**body, "purpose": "brandveiligheid"}), headers=req3.headers
        )
        assert_problem(api.http.send(other), 401, "not valid")


def test_a_repeated_signed_header_is_refused(api: Api) -> None:
    """A request that repeats a covered header (Exchange-User twice) is refused, whatever the values:
    a verifier and a logger could otherwise read different ones."""
    for name, value in (("Exchange-User", "u-1"), ("Exchange-User", "po-1"), ("Exchange-Role", "jurist")):
        req = signed(api, "GET", "/v1/whoami", None)
        headers = [*req.headers.multi_items(), (name, value)]
        twice = api.http.build_request("GET", "/v1/whoami", headers=headers)
        assert_problem(api.http.send(twice), 401, "appears more than once")
    req = signed(api, "GET", "/v1/whoami", None)
    again = api.http.build_request(
        "GET",
        "/v1/whoami",
        headers=[
            *req.headers.multi_items(),
            *[(k, v) for k, v in req.headers.multi_items() if k.lower() == "signature"],
        ],
    )
    assert_problem(api.http.send(again), 401, "appears more than once")


def _nonces(api: Api) -> int:
    with api.db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM request_nonces")).scalar_one())


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_replayed_signature(api: Api, method: str, path: str, body: dict[str, str] | None) -> None:
    """The same signed request sent twice is refused the second time, when the first was answered
    or its refusal logged: its nonce was recorded with what it did. A first request that failed
    (malformed input, a tile that is not there) changed nothing and recorded no nonce, so the same
    request gets the same answer again (docs/adr/0022-signed-request-overhead.md)."""
    req = signed(api, method, path, body)
    before = _nonces(api)
    first = api.http.send(req)
    assert first.status_code != 401, first.text  # accepted (whatever the route then answers)
    recorded = _nonces(api) - before
    assert recorded in (0, 1)
    assert recorded == 1 or first.status_code >= 400, (first.status_code, first.text)
    again = api.http.build_request(method, path, content=req.content, headers=req.headers)
    if recorded:
        assert_problem(api.http.send(again), 401, "replay")
    else:
        assert api.http.send(again).status_code == first.status_code


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_expired_and_future_signatures(api: Api, method: str, path: str, body: dict[str, str] | None) -> None:
    """A signature older than five minutes, or created in the future, is refused."""
    old = signed(api, method, path, body, created=datetime.now(UTC) - timedelta(minutes=10))
    assert_problem(api.http.send(old), 401, "not valid")
    future = signed(api, method, path, body, created=datetime.now(UTC) + timedelta(minutes=10))
    assert_problem(api.http.send(future), 401, "not valid")


def test_the_signature_covers_the_target_as_sent(api: Api) -> None:
    """RFC 9421 section 2.2.2: @target-uri is the request target as the client sent it, percent-encoding
    and query included. A client that signs ``case%2D...`` is verified over exactly that; the same
    signature on the decoded spelling, or on another target, is refused."""
    coord = api.client("helmond", "coord-1", "coordinator")
    case_id = coord.post(
        "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [SUBJECT]}
    ).json()["id"]
    encoded = f"/v1/cases/{case_id.replace('-', '%2D')}"
    for path in (encoded, f"{encoded}/recipients?category=bijstand%2Dstatus", "/v1/whoami?x=%41%2f"):
        req = sign_request(
            api.http.build_request("GET", path), api.keys["helmond"].current, "c-1", "coordinator"
        )
        r = api.http.send(req)
        assert r.status_code not in (400, 401), (path, r.status_code, r.text)
    assert (
        api.http.send(
            sign_request(
                api.http.build_request("GET", encoded), api.keys["helmond"].current, "c-1", "coordinator"
            )
        ).json()["id"]
        == case_id
    )
    for altered in (f"/v1/cases/{case_id}", encoded.replace("%2D", "%2d"), f"{encoded}?x=1"):
        req = sign_request(
            api.http.build_request("GET", encoded), api.keys["helmond"].current, "c-1", "coordinator"
        )
        moved = api.http.build_request("GET", altered, headers=req.headers)
        assert_problem(api.http.send(moved), 401, "not valid")


def test_signature_must_cover_the_digest_and_carry_a_nonce(api: Api) -> None:
    """Signatures that leave out Content-Digest or the nonce are refused."""
    from http_message_signatures import HTTPMessageSigner, algorithms

    from exchange.client.http import _OwnKey

    key = api.keys["someren"].current
    req = api.http.build_request(
        "GET", "/v1/whoami", headers={"Exchange-User": "u", "Exchange-Role": "employee"}
    )
    HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=_OwnKey(key.sign_kid, key.sign_secret or b"")
    ).sign(
        req,
        key_id=key.sign_kid,
        covered_component_ids=("@method", "@target-uri", "exchange-user", "exchange-role"),
        tag="exchange-v1",
        nonce="n" * 20,
    )
    assert_problem(api.http.send(req), 401, "not valid")
    short_nonce = signed(api, "GET", "/v1/whoami", None, nonce="abc")
    assert_problem(api.http.send(short_nonce), 401, "nonce")


def test_party_cannot_sign_as_another(api: Api) -> None:
    """Senzer's key cannot produce a request the service attributes to Someren."""
    req = signed(api, "GET", "/v1/whoami", None, party="senzer")
    assert api.http.send(req).json()["party"] == "senzer"
    forged = signed(api, "GET", "/v1/whoami", None, party="senzer")
    forged.headers["Signature-Input"] = forged.headers["Signature-Input"].replace(
        api.keys["senzer"].current.sign_kid, api.keys["someren"].current.sign_kid
    )
    assert_problem(api.http.send(forged), 401, "not valid")


def test_decision_is_logged_before_it_is_answered(api: Api) -> None:
    """An allowed and a denied decision are both answered with their log index and logged."""
    c = api.client("someren", "u-9", "employee")

    before = api.log_size()
    ok = c.post("/v1/decisions", {**DECISION, "moment": moved("2022-03-01T10:00:00+01:00"), "case": "case-7"})  # type: ignore[dict-item]
    assert ok.status_code == 200
    assert ok.json()["allowed"] is True and ok.json()["articles"] == ["7"]
    no = c.post("/v1/decisions", {**DECISION, "purpose": "brandveiligheid"})  # type: ignore[dict-item]
    assert (
        no.status_code == 200 and no.json()["allowed"] is False and no.json()["code"] == "purpose-not-covered"
    )
    assert api.log_size() == before + 2
    with api.db.sessions.begin() as s:
        entry = json.loads(api.db.log.entry(s, ok.json()["log_index"]).event)
    assert entry["actor"] == {"party": "someren", "user": "u-9", "role": "employee"}
    assert entry["case"] == "case-7" and entry["processingActivity"]["articles"] == ["7"]


def test_idempotent_retry(api: Api) -> None:
    """A retry with the same Idempotency-Key gets the same answer and no second event; another body
    with the same key is a conflict."""
    c = api.client("someren")
    first = c.post("/v1/decisions", DECISION, idempotency_key="retry-0001")  # type: ignore[arg-type]
    size = api.log_size()
    again = c.post("/v1/decisions", DECISION, idempotency_key="retry-0001")  # type: ignore[arg-type]
    assert again.json() == first.json()
    assert api.log_size() == size
    other = c.post("/v1/decisions", {**DECISION, "phase": "selection"}, idempotency_key="retry-0001")  # type: ignore[dict-item]
    assert_problem(other, 409, "different request")
    bad_key = c.post("/v1/decisions", DECISION, idempotency_key="no")  # type: ignore[arg-type]
    assert bad_key.status_code == 400


ASK = {**(DECISION or {})}


def test_an_idempotency_key_is_scoped_to_user_role_and_route(api: Api) -> None:
    """Another user, or the same user in another role, reusing a key gets its own answer and its own
    log event, never the first user's stored answer."""
    first = api.client("someren", "u-1", "employee").post("/v1/decisions", ASK, idempotency_key="shared-0001")
    size = api.log_size()
    other_user = api.client("someren", "u-2", "employee").post(
        "/v1/decisions", ASK, idempotency_key="shared-0001"
    )
    assert other_user.status_code == 200 and other_user.json()["log_index"] != first.json()["log_index"]
    assert api.log_size() == size + 1
    other_role = api.client("someren", "u-1", "jurist").post(
        "/v1/decisions", ASK, idempotency_key="shared-0001"
    )
    assert other_role.json()["log_index"] not in (first.json()["log_index"], other_user.json()["log_index"])
    assert api.log_size() == size + 2
    case = api.client("someren", "u-1", "employee").post(
        "/v1/cases",
        {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [SUBJECT]},
        idempotency_key="shared-0001",
    )
    # Not the decision route's stored answer, nor a conflict with it: the route's own refusal.
    assert_problem(case, 403, "only a coordinator")


def test_log_failure_answers_503_and_discloses_nothing(api: Api) -> None:
    """If the log cannot record the decision, the answer is 503 and no decision is returned."""
    block_log_writes(api.db)
    r = api.client("someren").post("/v1/decisions", DECISION)  # type: ignore[arg-type]
    assert_problem(r, 503, "nothing was done")
    assert "allowed" not in r.json()
    unblock_log_writes(api.db)
    assert api.client("someren").post("/v1/decisions", DECISION).status_code == 200  # type: ignore[arg-type]


def test_bad_bodies(api: Api) -> None:
    """Oversized, malformed and unexpected bodies get a clear 4xx problem, never a 500."""
    c = api.client("someren")
    huge = api.http.build_request("POST", "/v1/decisions", content=b"x" * (3 * 1024 * 1024))
    assert_problem(api.http.send(huge), 413, "exceeds")
    broken = signed(api, "POST", "/v1/decisions", None)
    broken = api.http.build_request(
        "POST", "/v1/decisions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    r = api.http.send(sign_request(broken, api.keys["someren"].current, "u", "employee"))
    assert r.status_code == 400
    extra = c.post("/v1/decisions", {**DECISION, "requester": "helmond"})  # type: ignore[dict-item]
    assert_problem(extra, 400, "requester")
    assert api.http.get("/v1/nothing-here").status_code == 404


def test_openapi_documents_every_status(api: Api) -> None:
    """The OpenAPI document lists the problem responses each route can return."""
    spec = api.http.get("/openapi.json").json()
    assert set(spec["paths"]["/v1/whoami"]["get"]["responses"]) >= {"200", "400", "401"}
    assert set(spec["paths"]["/v1/decisions"]["post"]["responses"]) >= {
        "200",
        "400",
        "401",
        "409",
        "413",
        "503",
    }


def test_every_route_is_in_the_security_matrix(api: Api) -> None:
    """The per-route security tests above cover every route the service has; a new route must join."""
    # /health and /ready are unauthenticated by design (load balancers probe them); they show no data.
    # /metrics takes the operator's bearer token, not a party signature: test_operations.py tries it
    # without a token, with a wrong one and without the scheme.
    # The routes come from the application's own OpenAPI document, which lists every route of every
    # router; the /console pages are not in it: they take a session cookie from a signed ticket
    # request, and test_console.py tries each without a cookie and with a forged one.
    unsigned = ("/health", "/ready", "/metrics")
    paths = api.http.get("/openapi.json").json()["paths"]
    have = {(m.upper(), p) for p, ops in paths.items() if p not in unsigned for m in ops}
    tried = set()
    for method, path, _ in ROUTES:
        template = re.sub(r"case-0{16}", "{case_id}", path.split("?")[0]).replace(
            "act-000000000000", "{action_id}"
        )
        template = template.replace("/v1/index/bijstand-status", "/v1/index/{category}")
        template = (
            template.replace(FLAG, "{flag_id}")
            .replace(JOIN, "{join_id}")
            .replace("fwd-" + "0" * 32, "{forward_id}")
        )
        template = template.replace("/v1/covenants/pit/", "/v1/covenants/{covenant}/")
        template = template.replace("/pseudonym-keys/1", "/pseudonym-keys/{version}")
        template = template.replace("sha256:" + "0" * 64, "{digest}")
        template = template.replace(TILE, "/v1/log/tile/{path}")
        tried.add((method, template))
    assert have == tried


def test_every_router_authenticates_before_it_parses() -> None:
    """Each router of the API builds its routes as :class:`SignedRoute`, so a signed route checks the
    signature before FastAPI parses the body (an unsigned request gets 401 whatever its body)."""
    import importlib
    import pkgutil

    from exchange.api import routes
    from exchange.api.context import SignedRoute

    found = 0
    for module in pkgutil.iter_modules(routes.__path__):
        router = importlib.import_module(f"{routes.__name__}.{module.name}").router
        assert all(isinstance(r, SignedRoute) for r in router.routes), module.name
        found += len(router.routes)
    assert found >= len(ROUTES)


def test_health_and_ready(api: Api) -> None:
    """Liveness and readiness answer without a signature; readiness fails while the schema is not current."""
    assert api.http.get("/health").json() == {"status": "ok"}
    ready = api.http.get("/ready").json()
    assert ready["status"] == "ready" and ready["covenants"] == 4
    with api.db.sessions.begin() as s:
        s.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    r = api.http.get("/ready")
    assert_problem(r, 503, "newer than this version of exchange knows")
    with api.db.sessions.begin() as s:
        s.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()})
    service = api.http.app.state.service  # type: ignore[attr-defined]
    service.decisions._snapshot = type(service.decisions._snapshot)({}, {})
    assert_problem(api.http.get("/ready"), 503, "no covenant is loaded")


def test_application_logs_are_one_json_line() -> None:
    """A log record is one JSON line even if a message holds newlines; exceptions log only their type."""
    import logging

    from exchange.logging_json import JsonFormatter

    record = logging.LogRecord("exchange", logging.ERROR, __file__, 1, "first\nsecond", None, None)
    try:
        raise ValueError("1234AB 5 secret detail")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "first\nsecond" and data["error"] == "ValueError"
    assert "1234AB" not in line
