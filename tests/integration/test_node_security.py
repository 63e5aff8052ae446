"""The node's workspace as an attacker meets it. Every route comes from the app's own route table,
so a route added later is tried too (and must be classed below before this file passes):

- without a session, every route sends the browser to sign in (or refuses), and nothing changes;
- every POST without or with a wrong CSRF token is refused, and nothing changes or reaches the hub;
- an employee reaches no coordinator page or form and no oversight link (403, nothing to the hub);
- one party's user cannot sign in to another party's node, nor carry a session there;
- a user without the privacy-officer role cannot reach the console's log through the node;
- ``exchange node serve`` refuses to start, saying why, on a wrong or missing passphrase.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from exchange.cli.main import app as cli
from exchange.node.web import COOKIE
from tests.conftest import CONVENANT
from tests.integration.casework_support import Hub, csrf_of, helmond_node, running_hub
from tests.integration.node_support import PASSWORD, Node, make_keystore, make_node, node_settings

#: Routes anyone may use: the sign-in form (its POST is checked against a pre-session token).
PUBLIC = {
    ("GET", "/"),
    ("GET", "/aanmelden"),
    ("POST", "/aanmelden"),
    ("GET", "/aanmelden/oidc"),  # to the organisation's OpenID provider (ADR 0020)
    ("GET", "/aanmelden/oidc/terug"),  # its answer: checked by state, nonce and ID token
    ("GET", "/toegankelijkheid"),  # the accessibility statement
    ("GET", "/health"),  # "ok" for the container's health check, nothing else
}
#: By path prefix: who may use the rest. A route under none of these fails the classification test.
COORDINATOR_ONLY = ("/signalen", "/casussen")
OVERSIGHT_ONLY = ("/toezicht", "/inzage", "/convenantversies")
ANY_SIGNED_IN = (
    "/doorgestuurd",
    "/start",
    "/afmelden",
    "/index",
    "/verzoeken",
    "/concepten",
    "/actiepunten",
    "/terugkoppeling",
)
#: Path parameters filled with values of a valid shape, so a route answers past its format checks.
SAMPLES = {
    "case_id": "c-2026-0001",
    "ref": "s1a2b3c4",
    "request_id": "er-1",
    "upload_id": "u1",
    "draft_id": "d1",
}
REFUSED = "Formulier geweigerd"
EVERY_ROLE = ("coordinator", "privacy-officer", "jurist", "team-lead", "employee")


def _walk(table: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for r in table:
        if isinstance(r, APIRoute):
            yield from ((m, prefix + r.path) for m in r.methods or ())
        elif hasattr(r, "original_router"):  # FastAPI >= 0.165 keeps an included router whole
            context = getattr(r, "include_context", None)
            yield from _walk(r.original_router.routes, prefix + str(getattr(context, "prefix", "") or ""))


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every route the node's app serves, from its route table."""
    return sorted(set(_walk(app.routes)))


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLES.get(m.group(1), "x1"), path)


def under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


class Recorder(BaseHTTPRequestHandler):
    """A stand-in hub that records every request and answers 503: whatever reaches it is a leak."""

    seen: ClassVar[list[str]] = []

    def _answer(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        body = json.dumps({"title": "busy", "status": 503}).encode()
        self.send_response(503)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def recorder() -> Iterator[tuple[str, list[str]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", Recorder.seen
    finally:
        server.shutdown()


@pytest.fixture
def node(tmp_path: Path, recorder: tuple[str, list[str]]) -> Iterator[Node]:
    """Helmond's node on the recording hub, with a user of every role and an employee."""
    n = make_node(node_settings(tmp_path, hub_url=recorder[0]))
    n.add("a.alles", *EVERY_ROLE)
    n.add("e.smit", "employee")
    yield n
    n.client.close()
    n.runtime.engine.dispose()


def state(node: Node) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the store (sessions without their idle timer, which each request refreshes)."""
    with node.runtime.engine.connect() as c:
        out = {}
        for table in inspect(c).get_table_names():
            columns = "token_hash, user_id, csrf, created" if table == "node_sessions" else "*"
            out[table] = sorted(tuple(r) for r in c.execute(text(f"SELECT {columns} FROM {table}")))  # noqa: S608  # table names from the store's own schema
        return out


def sign_in(node: Node, name: str) -> str:
    form = node.client.get("/aanmelden")
    r = node.client.post("/aanmelden", data={"name": name, "password": PASSWORD, "csrf": csrf_of(form.text)})
    assert r.headers.get("location") == "/start", r.text
    return csrf_of(node.client.get("/start").text)


def test_every_route_is_classed(node: Node) -> None:
    """Each route of the route table is public, or under exactly one prefix of the tables above; the
    table really is the app's (the pages of every module are in it)."""
    found = routes(node.client.app)  # type: ignore[arg-type]  # TestClient.app is the node's FastAPI app
    for must in (("POST", "/casussen/{case_id}/hits"), ("POST", "/toezicht"), ("POST", "/index")):
        assert must in found
    # The same routes as the app's own OpenAPI description lists (no included router missed).
    described = node.client.app.openapi()["paths"]  # type: ignore[attr-defined]  # the node's FastAPI app
    assert found == sorted((m.upper(), p) for p, ops in described.items() for m in ops)
    for method, path in found:
        if (method, path) in PUBLIC:
            continue
        classes = [t for t in (COORDINATOR_ONLY, OVERSIGHT_ONLY, ANY_SIGNED_IN) if under(path, t)]
        assert len(classes) == 1, f"{method} {path}: add it to one table of {__name__}"


def test_without_a_session_every_route_sends_to_sign_in_and_changes_nothing(
    node: Node, recorder: tuple[str, list[str]]
) -> None:
    """No cookie: a redirect to the sign-in page, or 401/403; the store and the hub see nothing."""
    before = state(node)
    recorder[1].clear()
    for method, path in routes(node.client.app):  # type: ignore[arg-type]  # the node's FastAPI app
        if (method, path) in PUBLIC:
            continue
        r = node.client.request(method, concrete(path), data={"csrf": "x"} if method == "POST" else None)
        redirected = r.status_code == 303 and r.headers["location"] == "/aanmelden"
        assert redirected or r.status_code in (401, 403), (method, path, r.status_code)
    assert state(node) == before
    assert recorder[1] == []


def test_every_post_without_or_with_a_wrong_csrf_token_is_refused(
    node: Node, recorder: tuple[str, list[str]]
) -> None:
    """Signed in with every role: each form without its token, or with another, gets the Dutch
    refusal; nothing is stored and nothing is sent."""
    right = sign_in(node, "a.alles")
    before = state(node)
    recorder[1].clear()
    posts = [p for m, p in routes(node.client.app) if m == "POST"]  # type: ignore[arg-type]  # the node's app
    assert len(posts) >= 10
    for path in posts:
        for data in ({}, {"csrf": "not-the-token"}, {"csrf": right[:-1]}):
            r = node.client.post(concrete(path), data=data)
            assert r.status_code == 403 and REFUSED in r.text, (path, data, r.status_code)
    assert state(node) == before
    assert recorder[1] == []
    assert node.client.get("/start").status_code == 200  # still signed in: /afmelden was refused too


def test_the_sign_in_form_needs_its_pre_session_token(node: Node) -> None:
    """The sign-in POST without the form's token, or with another, signs no one in."""
    node.client.get("/aanmelden")
    for data in (
        {"name": "a.alles", "password": PASSWORD},
        {"name": "a.alles", "password": PASSWORD, "csrf": "x"},
    ):
        r = node.client.post("/aanmelden", data=data)
        assert r.status_code == 403 and COOKIE not in r.cookies
    assert node.client.get("/start").headers["location"] == "/aanmelden"


def test_an_employee_reaches_no_coordinator_or_oversight_route(
    node: Node, recorder: tuple[str, list[str]]
) -> None:
    """Every coordinator and oversight route, GET or POST with the right token: 403, no hub call."""
    csrf = sign_in(node, "e.smit")
    before = state(node)
    recorder[1].clear()
    tried = 0
    for method, path in routes(node.client.app):  # type: ignore[arg-type]  # the node's FastAPI app
        if not under(path, COORDINATOR_ONLY + OVERSIGHT_ONLY):
            continue
        data = {"csrf": csrf, "role": "coordinator", "to": "preparation", "party": "senzer"}
        r = node.client.request(method, concrete(path), data=data if method == "POST" else None)
        assert r.status_code == 403, (method, path, r.status_code)
        tried += 1
    assert tried >= 10
    assert state(node) == before
    assert recorder[1] == []
    menu = node.client.get("/start").text
    assert 'href="/signalen"' not in menu and 'action="/toezicht"' not in menu


def test_a_user_of_one_party_cannot_sign_in_to_another_partys_node(
    tmp_path: Path, recorder: tuple[str, list[str]]
) -> None:
    """Senzer's user and password do not open Helmond's node, nor does Senzer's session cookie."""
    senzer = make_node(node_settings(tmp_path / "senzer", party="senzer", hub_url=recorder[0]))
    helmond = make_node(node_settings(tmp_path / "helmond", hub_url=recorder[0]))
    try:
        senzer.add("s.bakker", "employee")
        sign_in(senzer, "s.bakker")
        form = helmond.client.get("/aanmelden")
        r = helmond.client.post(
            "/aanmelden", data={"name": "s.bakker", "password": PASSWORD, "csrf": csrf_of(form.text)}
        )
        assert r.status_code == 200 and "Aanmelden is niet gelukt" in r.text
        token = senzer.client.cookies.get(COOKIE)
        assert token
        helmond.client.cookies.set(COOKIE, token)
        r = helmond.client.get("/start")
        assert r.status_code == 303 and r.headers["location"] == "/aanmelden"
    finally:
        for n in (senzer, helmond):
            n.client.close()
            n.runtime.engine.dispose()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub")) as h:
        yield h


def test_without_the_privacy_officer_role_the_console_log_stays_closed(hub: Hub, tmp_path: Path) -> None:
    """A coordinator asking the node for the privacy officer's console is refused before the hub is
    asked; in the own role the console refuses the log."""
    node = helmond_node(tmp_path, hub)
    try:
        csrf = sign_in(node, "j.jansen")
        tickets = _tickets(hub)
        for role in ("privacy-officer", "jurist"):
            r = node.client.post("/toezicht", data={"csrf": csrf, "role": role})
            assert r.status_code == 403
        assert _tickets(hub) == tickets  # the hub was not asked
        r = node.client.post("/toezicht", data={"csrf": csrf, "role": "coordinator"})
        assert r.status_code == 303
        login = httpx.get(r.headers["location"], follow_redirects=False)
        cookies = {"exchange_console": login.cookies["exchange_console"]}
        log = httpx.get(hub.base + "/console/log", cookies=cookies)
        assert log.status_code == 403 and "j.jansen (coördinator) · Gemeente Helmond" in log.text
    finally:
        node.client.close()
        node.runtime.engine.dispose()


def _tickets(hub: Hub) -> int:
    import sqlite3

    with sqlite3.connect(hub.db) as db:
        return int(db.execute("SELECT count(*) FROM console_tickets").fetchone()[0])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    make_keystore(tmp_path, "helmond")
    return {
        "EXCHANGE_NODE_PARTY": "helmond",
        "EXCHANGE_NODE_KEYSTORE": str(tmp_path / "helmond.keystore"),
        "EXCHANGE_NODE_PASSPHRASE_FILE": str(tmp_path / "passphrase"),
        "EXCHANGE_NODE_DATA_DIR": str(tmp_path / "node"),
        "EXCHANGE_NODE_CONVENANT_DIR": str(CONVENANT),
        "EXCHANGE_NODE_HUB_URL": "http://127.0.0.1:9",
    }


@pytest.mark.parametrize(
    ("passphrase", "said"),
    [
        ("not the passphrase\n", "the passphrase does not open the keystore"),
        ("\n", "no keystore passphrase: set EXCHANGE_NODE_PASSPHRASE_FILE"),
        (None, "cannot read the passphrase file"),
    ],
    ids=["wrong", "empty", "missing-file"],
)
def test_serve_refuses_to_start_without_the_right_passphrase(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passphrase: str | None, said: str
) -> None:
    """Exit status 2 and the reason; the web server is never started."""
    import uvicorn

    started: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(a))
    if passphrase is None:
        (tmp_path / "passphrase").unlink()
    else:
        (tmp_path / "passphrase").write_text(passphrase, encoding="utf-8")
    result = CliRunner().invoke(cli, ["node", "serve"], env=env)
    assert result.exit_code == 2 and said in result.output, result.output
    assert started == []


@pytest.mark.parametrize("setting", [None, "", " "], ids=["unset", "empty", "blank"])
def test_serve_refuses_to_start_without_a_passphrase_setting(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, setting: str | None
) -> None:
    """Neither EXCHANGE_NODE_PASSPHRASE_FILE (or an empty one) nor EXCHANGE_NODE_PASSPHRASE: refused,
    saying which to set (an empty variable once named the working directory as the file)."""
    import uvicorn

    started: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(a))
    monkeypatch.delenv("EXCHANGE_NODE_PASSPHRASE", raising=False)
    env = {k: v for k, v in env.items() if k != "EXCHANGE_NODE_PASSPHRASE_FILE"}
    if setting is not None:
        env["EXCHANGE_NODE_PASSPHRASE_FILE"] = setting
    result = CliRunner().invoke(cli, ["node", "serve"], env=env)
    assert result.exit_code == 2 and "no keystore passphrase" in result.output, result.output
    assert started == []
