"""Sign-in on the party node through a real OpenID provider (oidc-provider, started by the test run):
the whole authorisation code flow over HTTP redirects between the node and the provider, the party's
group mapping, refusals of users without a mapped group, of a tampered and of an expired ID token and
of a wrong state, and sign-out at the node and the provider."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from exchange.cli.main import app as cli
from exchange.node.accounts import list_users
from exchange.node.oidc_accounts import account_name
from exchange.node.store import AuditRow
from tests import oidc_provider
from tests.conftest import CONVENANT
from tests.integration.node_support import PASSWORD, Node, make_node, node_settings
from tests.pgserver import PostgresServer

NODE = "https://testserver"
CALLBACK = NODE + "/aanmelden/oidc/terug"
SIGNED_OUT = NODE + "/aanmelden?afgemeld=1"


@pytest.fixture(scope="module")
def provider() -> Iterator[oidc_provider.Provider]:
    p = oidc_provider.start([CALLBACK], [SIGNED_OUT])
    try:
        yield p
    finally:
        p.stop()


def _node(tmp_path: Path, provider: oidc_provider.Provider, **extra: Any) -> Node:
    (tmp_path / "roles.yaml").write_text(oidc_provider.ROLE_MAP, encoding="utf-8")
    (tmp_path / "client-secret").write_text(oidc_provider.CLIENT_SECRET + "\n", encoding="utf-8")
    settings = node_settings(
        tmp_path,
        oidc_issuer=provider.issuer,
        oidc_client_id=oidc_provider.CLIENT_ID,
        oidc_client_secret_file=tmp_path / "client-secret",
        oidc_redirect_uri=CALLBACK,
        oidc_display_name="Helmond-account",
        oidc_scopes="openid profile groups",
        oidc_roles_file=tmp_path / "roles.yaml",
        **extra,
    )
    return make_node(settings)


@pytest.fixture(params=["sqlite", "postgresql"])
def node(request: pytest.FixtureRequest, tmp_path: Path, provider: oidc_provider.Provider) -> Iterator[Node]:
    """A node whose staff sign in at the test provider, on SQLite and on PostgreSQL."""
    extra: dict[str, Any] = {}
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("pg_server")
        extra["store_url"] = server.create_database(f"n{uuid.uuid4().hex[:12]}")
    n = _node(tmp_path, provider, **extra)
    try:
        yield n
    finally:
        n.client.close()
        n.runtime.engine.dispose()


class Browser:
    """Follows redirects as a browser does, between the node (in-process) and the provider (HTTP)."""

    def __init__(self, node: Node, provider: oidc_provider.Provider) -> None:
        self.node = node
        self.issuer = provider.issuer
        self.http = httpx.Client(timeout=10)

    def get(self, url: str) -> httpx.Response:
        while True:
            r: httpx.Response
            if url.startswith(NODE) or url.startswith("/"):
                r = self.node.client.get(url.removeprefix(NODE))
            else:
                r = self.http.get(url)
            if r.status_code not in (302, 303):
                return r
            url = self._absolute(r, r.headers["location"])

    def post_provider(self, url: str, data: dict[str, str]) -> str:
        """Post a form at the provider; the node address its redirects end at."""
        r = self.http.post(url, data=data)
        while r.status_code in (302, 303):
            location = self._absolute(r, r.headers["location"])
            if location.startswith(NODE):
                return location
            r = self.http.get(location)
        raise AssertionError(f"the provider did not send the browser back: {r.status_code} {r.text[:300]}")

    def _absolute(self, r: httpx.Response, location: str) -> str:
        if location.startswith("/") and not str(r.request.url).startswith(NODE):
            return self.issuer + location
        return location

    def to_callback(self, login: str) -> str:
        """Press "Aanmelden met ..." and sign in at the provider as ``login``: the callback address
        the provider sends the browser to (not yet opened)."""
        start = self.node.client.get("/aanmelden/oidc")
        assert start.status_code == 303
        page = self.http.get(start.headers["location"])
        while page.status_code in (302, 303):
            location = self._absolute(page, page.headers["location"])
            if location.startswith(NODE):  # still signed in at the provider: straight back
                return location
            page = self.http.get(location)
        assert page.status_code == 200, page.text  # the provider's sign-in page
        action = re.search(r'action="([^"]+)"', page.text)
        assert action is not None
        return self.post_provider(self.issuer + action.group(1), {"login": login})

    def sign_in(self, login: str) -> httpx.Response:
        r: httpx.Response = self.node.client.get(self.to_callback(login).removeprefix(NODE))
        return r


@pytest.fixture
def browser(node: Node, provider: oidc_provider.Provider) -> Iterator[Browser]:
    b = Browser(node, provider)
    try:
        yield b
    finally:
        b.http.close()


def _audit(node: Node) -> list[tuple[str, int | None]]:
    with node.runtime.sessions.begin() as s:
        return [(r.kind, r.user_id) for r in s.scalars(select(AuditRow).order_by(AuditRow.id))]


def _user(node: Node, login: str, issuer: str) -> tuple[int, str, tuple[str, ...]] | None:
    name = account_name(issuer, oidc_provider.USERS[login][0])
    with node.runtime.sessions.begin() as s:
        found = [(u.id, u.display_name, u.roles) for u in list_users(s) if u.name == name]
    return found[0] if found else None


def test_the_sign_in_page_offers_the_organisations_account(node: Node) -> None:
    """With OpenID Connect configured the sign-in page offers "Aanmelden met <name>", and the local form."""
    page = node.client.get("/aanmelden")
    assert 'href="/aanmelden/oidc"' in page.text
    assert "Aanmelden met Helmond-account" in page.text
    assert "Of aanmelden met een lokaal account" in page.text


def test_sign_in_through_the_provider_end_to_end(
    node: Node, browser: Browser, provider: oidc_provider.Provider
) -> None:
    """A user in a mapped group signs in at the provider, comes back to the node with a session, and is
    in the node's user list under an id derived from issuer and subject, with the mapped roles."""
    callback = browser.to_callback("jan")
    query = parse_qs(urlsplit(callback).query)
    assert set(query) >= {"code", "state"}
    done = node.client.get(callback.removeprefix(NODE))
    assert done.status_code == 200
    assert 'content="0; url=/start"' in done.text
    assert done.cookies.get("exchange_node")
    start = node.client.get("/start")
    assert start.status_code == 200
    assert "Jan de Vries" in start.text
    user = _user(node, "jan", provider.issuer)
    assert user is not None
    user_id, display, roles = user
    assert display == "Jan de Vries"
    assert roles == ("coordinator", "privacy-officer")
    assert ("user-added", user_id) in _audit(node)
    assert _audit(node)[-1] == ("oidc-sign-in", user_id)
    # The mapped role opens the coordinator's pages.
    assert node.client.get("/signalen").status_code == 200


def test_a_second_sign_in_keeps_the_same_account(
    node: Node, browser: Browser, provider: oidc_provider.Provider
) -> None:
    """The account's id is stable: signing in again reuses it rather than adding another."""
    assert browser.sign_in("jan").status_code == 200
    first = _user(node, "jan", provider.issuer)
    node.client.cookies.clear()
    assert browser.sign_in("jan").status_code == 200
    assert _user(node, "jan", provider.issuer) == first
    with node.runtime.sessions.begin() as s:
        assert len(list_users(s)) == 1


def test_a_user_without_a_mapped_group_is_refused_in_dutch(
    node: Node, browser: Browser, provider: oidc_provider.Provider
) -> None:
    """The provider vouches for the user, but none of their groups gives a role: a Dutch refusal,
    no session, no account, and the refusal in the audit trail without an id."""
    r = browser.sign_in("piet")
    assert r.status_code == 403
    assert "geeft geen toegang tot deze werkruimte" in r.text
    assert "Piet" not in r.text
    assert not r.cookies.get("exchange_node")
    assert _user(node, "piet", provider.issuer) is None
    assert _audit(node)[-1] == ("oidc-refused-no-role", None)
    assert node.client.get("/start").status_code == 303


def test_a_tampered_id_token_is_refused(
    node: Node, browser: Browser, provider: oidc_provider.Provider
) -> None:
    """An ID token whose claims were changed after signing (its signature no longer holds) is refused."""
    r = browser.sign_in("vervalst")
    assert r.status_code == 400
    assert "kon niet worden afgerond" in r.text
    assert _user(node, "vervalst", provider.issuer) is None
    assert _audit(node)[-1] == ("oidc-refused-token", None)
    assert node.client.get("/start").status_code == 303


def test_an_expired_id_token_is_refused(
    node: Node, browser: Browser, provider: oidc_provider.Provider
) -> None:
    """A validly signed ID token whose expiry has passed is refused."""
    r = browser.sign_in("verlopen")
    assert r.status_code == 400
    assert _user(node, "verlopen", provider.issuer) is None
    assert _audit(node)[-1] == ("oidc-refused-token", None)


def test_a_wrong_state_is_refused(node: Node, browser: Browser, provider: oidc_provider.Provider) -> None:
    """A callback whose state is not the one this browser's sign-in started with is refused, and the
    flow is used up: the right state afterwards does not work either."""
    callback = browser.to_callback("jan")
    state = parse_qs(urlsplit(callback).query)["state"][0]
    wrong = ("y" if state[0] == "x" else "x") + state[1:]
    r = node.client.get(callback.removeprefix(NODE).replace(state, wrong))
    assert r.status_code == 400
    assert _audit(node)[-1] == ("oidc-refused-state", None)
    again = node.client.get(callback.removeprefix(NODE))
    assert again.status_code == 400
    assert _user(node, "jan", provider.issuer) is None


def test_an_error_from_the_provider_is_refused(node: Node, browser: Browser) -> None:
    """The provider sends the browser back with an error (here: it does not know the user): a Dutch
    refusal, audited, and the provider's own error text is neither shown nor kept."""
    callback = browser.to_callback("onbekend")
    assert "error=access_denied" in callback
    r = node.client.get(callback.removeprefix(NODE))
    assert r.status_code == 403
    assert "kon niet worden afgerond" in r.text
    assert "unknown test user" not in r.text
    assert _audit(node)[-1] == ("oidc-refused-provider", None)


def test_a_callback_in_another_browser_is_refused(
    node: Node, browser: Browser, provider: oidc_provider.Provider
) -> None:
    """The callback is accepted only in the browser that started the sign-in (its flow cookie)."""
    callback = browser.to_callback("jan")
    node.client.cookies.clear()
    r = node.client.get(callback.removeprefix(NODE))
    assert r.status_code == 400
    assert _user(node, "jan", provider.issuer) is None


def test_sign_out_ends_the_node_session_and_the_providers(
    node: Node, browser: Browser, provider: oidc_provider.Provider
) -> None:
    """Signing out deletes the node's session and sends the browser to the provider's end_session
    endpoint; after it the provider asks the user to sign in again."""
    assert browser.sign_in("jan").status_code == 200
    start = node.client.get("/start")
    csrf = re.search(r'name="csrf" value="([^"]+)"', start.text)
    assert csrf is not None
    out = node.client.post("/afmelden", data={"csrf": csrf.group(1)})
    assert out.status_code == 303
    end = out.headers["location"]
    assert end.startswith(provider.issuer + "/session/end")
    assert parse_qs(urlsplit(end).query)["post_logout_redirect_uri"] == [SIGNED_OUT]
    assert node.client.get("/start").status_code == 303
    user = _user(node, "jan", provider.issuer)
    assert user is not None
    assert _audit(node)[-1] == ("sign-out", user[0])
    confirm = browser.get(end)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', confirm.text)
    action = re.search(r'action="([^"]+)"', confirm.text)
    assert xsrf is not None and action is not None
    back = browser.post_provider(
        browser._absolute(confirm, action.group(1)), {"xsrf": xsrf.group(1), "logout": "yes"}
    )
    assert back.startswith(SIGNED_OUT + "&state=")
    # The provider's session is gone: a new sign-in shows its sign-in page again.
    again = node.client.get("/aanmelden/oidc")
    assert "Aanmelden bij de testorganisatie" in browser.get(again.headers["location"]).text


def test_the_csp_lets_forms_go_on_to_the_provider_only(node: Node, provider: oidc_provider.Provider) -> None:
    """form-action names the node, the provider's origin and the oversight console's, nothing else."""
    csp = node.client.get("/aanmelden").headers["content-security-policy"]
    action = next(d for d in csp.split("; ") if d.startswith("form-action "))
    console = node.runtime.settings.console_origin()
    assert set(action.split()[1:]) == {"'self'", provider.issuer, console}


def test_only_administrators_sign_in_locally_when_the_setting_says_so(
    tmp_path: Path, provider: oidc_provider.Provider
) -> None:
    """With local sign-in for administrators only, an administrator signs in with a password and
    other local accounts get the usual failure, audited as a refused local sign-in."""
    n = _node(tmp_path, provider, local_sign_in="admins", admins="beheer")
    try:
        admin = n.add("beheer", "coordinator")
        staff = n.add("j.jansen", "coordinator")
        page = n.client.get("/aanmelden")
        assert "Beheerders van de node: aanmelden met een lokaal account" in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        refused = n.client.post(
            "/aanmelden", data={"name": "j.jansen", "password": PASSWORD, "csrf": csrf.group(1)}
        )
        assert refused.status_code == 200
        assert "Aanmelden is niet gelukt" in refused.text
        assert _audit(n)[-1] == ("local-sign-in-refused", staff)
        ok = n.client.post("/aanmelden", data={"name": "beheer", "password": PASSWORD, "csrf": csrf.group(1)})
        assert ok.status_code == 303
        assert _audit(n)[-1] == ("sign-in", admin)
    finally:
        n.client.close()
        n.runtime.engine.dispose()


def test_the_expired_token_is_refused_for_its_expiry(
    tmp_path: Path, provider: oidc_provider.Provider
) -> None:
    """The same expired token is accepted within a tolerated clock difference larger than its age:
    the refusal above is for the expiry, not for anything else about that token."""
    n = _node(tmp_path, provider, oidc_clock_skew_seconds=600)
    b = Browser(n, provider)
    try:
        assert b.sign_in("verlopen").status_code == 200
    finally:
        b.http.close()
        n.client.close()
        n.runtime.engine.dispose()


def test_the_user_list_names_the_account_by_its_id_and_marks_it(
    tmp_path: Path, node: Node, browser: Browser, provider: oidc_provider.Provider
) -> None:
    """`exchange node user list` shows the account under its stable id, with its roles, marked as one
    of the OpenID provider with the name it has there; `user disable` works on it and the provider's
    sign-in is then refused."""
    assert browser.sign_in("jan").status_code == 200
    env = {
        "EXCHANGE_NODE_PARTY": "helmond",
        "EXCHANGE_NODE_DATA_DIR": str(tmp_path / "node"),
        "EXCHANGE_NODE_CONVENANT_DIR": str(CONVENANT),
    }
    if node.runtime.settings.store_url is not None:
        env["EXCHANGE_NODE_STORE_URL"] = node.runtime.settings.store_url.get_secret_value()
    name = account_name(provider.issuer, oidc_provider.USERS["jan"][0])
    listed = CliRunner().invoke(cli, ["node", "user", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert listed.output.split() == [
        name,
        "active",
        "coordinator,",
        "privacy-officer",
        "(OpenID:",
        "Jan",
        "de",
        "Vries)",
    ]
    assert CliRunner().invoke(cli, ["node", "user", "disable", name], env=env).exit_code == 0
    assert node.client.get("/start").status_code == 303  # its session ended
    refused = browser.sign_in("jan")
    assert refused.status_code == 403
    assert "uitgeschakeld" in refused.text
    user = _user(node, "jan", provider.issuer)
    assert user is not None
    assert _audit(node)[-1] == ("oidc-refused-disabled", user[0])


def test_a_node_whose_provider_is_away_starts_and_says_so(tmp_path: Path) -> None:
    """The node starts without its provider (administrators sign in locally); the button then gives a
    Dutch page that the sign-in service cannot be reached, audited without an id."""
    away = oidc_provider.Provider("http://127.0.0.1:9", None)  # type: ignore[arg-type]  # never started
    n = _node(tmp_path, away)
    try:
        r = n.client.get("/aanmelden/oidc")
        assert r.status_code == 502
        assert "De aanmeldvoorziening van Helmond-account is nu niet bereikbaar" in r.text
        assert _audit(n)[-1] == ("oidc-refused-provider", None)
        assert n.client.get("/aanmelden").status_code == 200
    finally:
        n.client.close()
        n.runtime.engine.dispose()
