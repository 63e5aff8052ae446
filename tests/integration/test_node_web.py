"""The node's workspace over HTTP against a real SQLite store and keystore: sign-in, lockout, CSRF,
sessions, headers, and the start page when the hub is away."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from exchange.node.accounts import disable_user
from exchange.node.signin import token_hash
from exchange.node.store import AuditRow, SessionRow, UserRow
from exchange.node.web import COOKIE, PRE_COOKIE
from tests.integration.busy_hub import Busy
from tests.integration.node_support import PASSWORD, Node, make_node, node_settings
from tests.pgserver import PostgresServer

FAILED = "Aanmelden is niet gelukt"


def _node(tmp_path: Path, url: str | None) -> Iterator[Node]:
    n = make_node(node_settings(tmp_path, store_url=url))
    n.add("j.jansen", "coordinator", "privacy-officer")
    yield n
    n.client.close()
    n.runtime.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Node]:
    """A node on a fresh store: the tests of accounts and sessions run on SQLite and PostgreSQL."""
    url = None
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("pg_server")
        url = server.create_database(f"n{uuid.uuid4().hex[:12]}")
    yield from _node(tmp_path, url)


@pytest.fixture
def sqlite_node(tmp_path: Path) -> Iterator[Node]:
    """For what does not depend on the store (headers, pages, the hub's absence): SQLite only."""
    yield from _node(tmp_path, None)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None, html
    return match.group(1)


def _try(node: Node, name: str = "j.jansen", password: str = PASSWORD) -> str:
    """Post the sign-in form as a browser would: fetch it, then send its token back."""
    form = node.client.get("/aanmelden")
    r = node.client.post("/aanmelden", data={"name": name, "password": password, "csrf": _csrf(form.text)})
    return str(r.headers.get("location") or r.text)


def _audit(node: Node) -> list[tuple[str, int | None]]:
    with node.runtime.sessions.begin() as s:
        return [(a.kind, a.user_id) for a in s.scalars(select(AuditRow).order_by(AuditRow.id))]


def _user_id(node: Node, name: str = "j.jansen") -> int:
    with node.runtime.sessions.begin() as s:
        user_id: int = s.scalars(select(UserRow.id).where(UserRow.name == name)).one()
    return user_id


def test_sign_in_shows_the_start_page_with_name_roles_and_party(node: Node) -> None:
    """After sign-in the start page names the user, the roles in Dutch and the party."""
    assert _try(node) == "/start"
    page = node.client.get("/start")
    assert page.status_code == 200
    assert "Welkom, j.jansen" in page.text
    assert "coördinator, privacyfunctionaris" in page.text
    assert "Gemeente Helmond" in page.text
    assert ("sign-in", _user_id(node)) in _audit(node)


def test_cookies_are_secure_httponly_and_strict(sqlite_node: Node) -> None:
    """Both the pre-session and the session cookie carry Secure, HttpOnly and SameSite=Strict."""
    form = sqlite_node.client.get("/aanmelden")
    r = sqlite_node.client.post(
        "/aanmelden", data={"name": "j.jansen", "password": PASSWORD, "csrf": _csrf(form.text)}
    )
    cookies = form.headers.get_list("set-cookie") + r.headers.get_list("set-cookie")
    session = [c for c in cookies if c.startswith(f"{COOKIE}=")]
    pre = [c for c in cookies if c.startswith(f"{PRE_COOKIE}=")]
    assert session and pre
    for c in session + pre:
        assert "Secure" in c and "HttpOnly" in c and "SameSite=strict" in c
    assert "Max-Age" not in session[0]  # a browser session cookie; the server ends it when idle


def test_unknown_user_and_wrong_password_get_the_same_answer(node: Node) -> None:
    """Neither answer reveals which accounts exist; both are audited, the unknown one without id."""
    wrong = _try(node, password="niet het wachtwoord")
    unknown = _try(node, name="niemand")
    assert FAILED in wrong and FAILED in unknown
    # The form echoes the name typed and its token; the rest is the same page.
    assert re.sub(r'value="[^"]*"', "", wrong) == re.sub(r'value="[^"]*"', "", unknown)
    assert _audit(node)[-2:] == [("sign-in-failed", _user_id(node)), ("sign-in-failed", None)]


def test_five_failures_lock_the_account_for_fifteen_minutes(node: Node) -> None:
    """The sixth try fails even with the right password; after the lockout it works again."""
    for _ in range(5):
        assert FAILED in _try(node, password="fout wachtwoord")
    assert ("locked", _user_id(node)) in _audit(node)
    assert FAILED in _try(node)  # the right password, but locked
    node.clock.advance(minutes=14, seconds=59)
    assert FAILED in _try(node)
    node.clock.advance(seconds=2)
    assert _try(node) == "/start"


def test_a_success_resets_the_failure_count(node: Node) -> None:
    """Four failures, a success, four failures: no lockout."""
    for _ in range(4):
        _try(node, password="fout wachtwoord")
    assert _try(node) == "/start"
    for _ in range(4):
        _try(node, password="fout wachtwoord")
    assert _try(node) == "/start"


def test_sign_in_without_or_with_a_wrong_csrf_token_is_refused(node: Node) -> None:
    """403 with a Dutch message; no session is made and nothing is audited."""
    node.client.get("/aanmelden")
    before = _audit(node)
    for data in (
        {"name": "j.jansen", "password": PASSWORD},
        {"name": "j.jansen", "password": PASSWORD, "csrf": "vervalst"},
    ):
        r = node.client.post("/aanmelden", data=data)
        assert r.status_code == 403
        assert "Formulier geweigerd" in r.text and "Er is niets gedaan" in r.text
        assert COOKIE not in r.cookies
    with node.runtime.sessions.begin() as s:
        assert s.scalars(select(SessionRow)).all() == []
    assert _audit(node) == before


def test_sign_out_without_the_session_token_changes_nothing(node: Node) -> None:
    """A forged sign-out (no token, the pre-session token, a wrong one) leaves the session alive."""
    _try(node)
    for data in ({}, {"csrf": "vervalst"}):
        r = node.client.post("/afmelden", data=data)
        assert r.status_code == 403 and "Formulier geweigerd" in r.text
    assert node.client.get("/start").status_code == 200
    assert "sign-out" not in [k for k, _ in _audit(node)]


def test_sign_out_ends_the_session_on_the_server(node: Node) -> None:
    """The old cookie, replayed after sign-out, no longer opens the start page."""
    _try(node)
    token = node.client.cookies[COOKIE]
    start = node.client.get("/start")
    r = node.client.post("/afmelden", data={"csrf": _csrf(start.text)})
    assert r.status_code == 303 and r.headers["location"] == "/aanmelden?afgemeld=1"
    assert "U bent afgemeld." in node.client.get("/aanmelden?afgemeld=1").text
    node.client.cookies.set(COOKIE, token)
    assert node.client.get("/start").headers["location"] == "/aanmelden"
    with node.runtime.sessions.begin() as s:
        assert s.get(SessionRow, token_hash(token)) is None
    assert _audit(node)[-1] == ("sign-out", _user_id(node))


def test_an_idle_session_ends(node: Node) -> None:
    """Within the idle timeout each request extends it; beyond it the session is gone and audited."""
    _try(node)
    for _ in range(3):
        node.clock.advance(minutes=14)
        assert node.client.get("/start").status_code == 200
    node.clock.advance(minutes=15, seconds=1)
    assert node.client.get("/start").headers["location"] == "/aanmelden"
    assert _audit(node)[-1] == ("session-expired", _user_id(node))
    with node.runtime.sessions.begin() as s:
        assert s.scalars(select(SessionRow)).all() == []


def test_a_disabled_user_cannot_sign_in_and_loses_open_sessions(node: Node) -> None:
    """Disabling ends the user's sessions at once; the sign-in answer is the generic one."""
    _try(node)
    with node.runtime.sessions.begin() as s:
        disable_user(s, "j.jansen", node.clock())
    assert node.client.get("/start").headers["location"] == "/aanmelden"
    assert FAILED in _try(node)


def test_the_store_keeps_only_a_hash_of_the_session_token(sqlite_node: Node) -> None:
    """The cookie's token is nowhere in the store."""
    _try(sqlite_node)
    token = sqlite_node.client.cookies[COOKIE]
    raw = (Path(sqlite_node.runtime.settings.data_dir) / "node.db").read_bytes()
    wal = Path(sqlite_node.runtime.settings.data_dir) / "node.db-wal"
    raw += wal.read_bytes() if wal.exists() else b""
    assert len(raw) > 0 and token.encode() not in raw
    with sqlite_node.runtime.sessions.begin() as s:
        assert s.get(SessionRow, token_hash(token)) is not None


@pytest.mark.parametrize("path", ["/aanmelden", "/start", "/", "/nergens", "/static/node.css"])
def test_every_response_carries_the_security_headers(sqlite_node: Node, path: str) -> None:
    """CSP without inline script or style, no framing, no referrer, on pages and static files."""
    _try(sqlite_node)
    r = sqlite_node.client.get(path)
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "script-src" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    if not path.startswith("/static/"):
        assert r.headers["cache-control"] == "no-store"


def test_the_refusal_page_carries_the_headers_too(sqlite_node: Node) -> None:
    """Even a 403 is not framable."""
    r = sqlite_node.client.post("/aanmelden", data={})
    assert r.status_code == 403 and r.headers["x-frame-options"] == "DENY"


def test_pages_have_no_inline_script_or_style(sqlite_node: Node) -> None:
    """What the CSP would block is not there to begin with."""
    _try(sqlite_node)
    for path in ("/aanmelden", "/start"):
        html = sqlite_node.client.get(path).text
        assert "<script" not in html and "style=" not in html and "<style" not in html


def test_an_unreachable_hub_gives_a_dutch_message(sqlite_node: Node) -> None:
    """Nothing listens at the hub's address: the start page says so and still works."""
    _try(sqlite_node)
    page = sqlite_node.client.get("/start")
    assert page.status_code == 200
    assert "De uitwisselingsdienst is nu niet bereikbaar" in page.text


def test_a_hub_answering_503_gives_a_dutch_message(tmp_path: Path) -> None:
    """A hub that is busy: a message that says so, and the page still works."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        node = make_node(node_settings(tmp_path, hub_url=f"http://127.0.0.1:{server.server_port}"))
        node.add("j.jansen", "employee")
        _try(node)
        page = node.client.get("/start")
        assert page.status_code == 200
        assert "De uitwisselingsdienst is nu druk of nog niet gereed" in page.text
        node.runtime.engine.dispose()
    finally:
        server.shutdown()
        server.server_close()


def test_a_new_sign_in_replaces_the_browsers_previous_session(node: Node) -> None:
    """Signing in again in the same browser leaves one session, and the old token is dead."""
    _try(node)
    old = node.client.cookies[COOKIE]
    assert _try(node) == "/start"
    assert node.client.cookies[COOKIE] != old
    with node.runtime.sessions.begin() as s:
        assert s.get(SessionRow, token_hash(old)) is None
        assert len(s.scalars(select(SessionRow)).all()) == 1


def test_a_role_the_covenants_no_longer_allow_is_not_asserted_to_the_hub(node: Node) -> None:
    """A role stored before a covenant revision took it away: the hub is not asked, the page says why."""
    _try(node)
    with node.runtime.sessions.begin() as s:
        user = s.scalars(select(UserRow).where(UserRow.name == "j.jansen")).one()
        user.roles = "case-keeper"  # as if a revision had dropped the role
    page = node.client.get("/start")
    assert page.status_code == 200
    assert "Geen van uw rollen is een rol die de convenanten uw organisatie toestaan" in page.text
