"""Oversight in one click against a real hub: the node asks the hub for a console ticket as the
signed-in user and role and sends the browser to the console, which then knows that party, user and
role; users without an oversight role get no button and a refusal, and a hub that is away or refuses
gets a Dutch message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from exchange.node.oversight import OVERSIGHT_ROLES, roles_for
from tests.integration.casework_support import Hub, csrf_of, helmond_node, running_hub
from tests.integration.node_support import PASSWORD, Node, make_node, node_settings


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub")) as h:
        yield h


@pytest.fixture
def node(hub: Hub, tmp_path: Path) -> Iterator[Node]:
    n = helmond_node(tmp_path, hub)
    n.add("p.devries", "privacy-officer", "coordinator")
    n.add("j.jurist", "jurist")
    n.add("e.smit", "employee")
    yield n
    n.client.close()
    n.runtime.engine.dispose()


def sign_in_as(node: Node, name: str) -> str:
    """Sign in; the session's CSRF token (from the start page's sign-out form)."""
    form = node.client.get("/aanmelden")
    r = node.client.post("/aanmelden", data={"name": name, "password": PASSWORD, "csrf": csrf_of(form.text)})
    assert r.headers.get("location") == "/start", r.text
    return csrf_of(node.client.get("/start").text)


def console_session(link: str) -> httpx.Cookies:
    """Follow the node's redirect as a browser would: trade the ticket for the console's cookie."""
    r = httpx.get(link, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console", r.text
    token = r.cookies.get("exchange_console")
    assert token
    jar = httpx.Cookies()
    jar.set("exchange_console", token)  # httpx keeps Secure cookies to https only; the test hub is http
    return jar


def test_the_oversight_roles_are_roles_the_console_serves() -> None:
    """Every role the node offers the console for is one the hub's ticket route admits."""
    from exchange.console.web import CONSOLE_ROLES

    assert set(OVERSIGHT_ROLES) <= set(CONSOLE_ROLES)
    assert "employee" not in OVERSIGHT_ROLES
    assert roles_for(["employee", "jurist", "coordinator"], ["coordinator", "jurist"]) == (
        "jurist",
        "coordinator",
    )


def test_one_click_signs_a_privacy_officer_in_to_the_console_as_that_party_and_role(
    node: Node, hub: Hub
) -> None:
    """The button's POST is answered with the console's sign-in link; following it, the console
    knows Helmond's user in the chosen role and shows the log."""
    csrf = sign_in_as(node, "p.devries")
    start = node.client.get("/start").text
    assert 'action="/toezicht"' in start
    assert "Toezichtconsole als privacyfunctionaris" in start and "Toezichtconsole als coördinator" in start
    r = node.client.post("/toezicht", data={"csrf": csrf, "role": "privacy-officer"})
    assert r.status_code == 303
    link = r.headers["location"]
    assert link.startswith(hub.base + "/console/login?ticket=")
    cookies = console_session(link)
    page = httpx.get(hub.base + "/console/log", cookies=cookies)
    assert page.status_code == 200
    assert "p.devries (privacyfunctionaris) · Gemeente Helmond" in page.text
    # The ticket works once.
    assert httpx.get(link, follow_redirects=False).status_code == 401


def test_a_jurist_gets_the_console_as_jurist_and_not_the_privacy_officers_log(node: Node, hub: Hub) -> None:
    """A jurist cannot ask for the privacy officer's role; in their own role the log is refused."""
    csrf = sign_in_as(node, "j.jurist")
    refused = node.client.post("/toezicht", data={"csrf": csrf, "role": "privacy-officer"})
    assert refused.status_code == 403 and "De toezichtconsole is voor privacyfunctionarissen" in refused.text
    r = node.client.post("/toezicht", data={"csrf": csrf, "role": "jurist"})
    assert r.status_code == 303
    cookies = console_session(r.headers["location"])
    assert httpx.get(hub.base + "/console/covenants", cookies=cookies).status_code == 200
    log = httpx.get(hub.base + "/console/log", cookies=cookies)
    assert log.status_code == 403 and "j.jurist (jurist) · Gemeente Helmond" in log.text


def test_an_employee_gets_no_button_and_a_refusal(node: Node) -> None:
    """No oversight role: no form on the page, a Dutch 403 on the POST, whatever role is asked for."""
    csrf = sign_in_as(node, "e.smit")
    assert "/toezicht" not in node.client.get("/start").text
    for role in ("", "employee", "privacy-officer"):
        r = node.client.post("/toezicht", data={"csrf": csrf, "role": role})
        assert r.status_code == 403 and "De toezichtconsole kon niet worden geopend" in r.text


def test_the_console_url_setting_is_where_the_browser_goes(hub: Hub, tmp_path: Path) -> None:
    """EXCHANGE_NODE_CONSOLE_URL replaces the hub's address in the link and in form-action."""
    first = helmond_node(tmp_path, hub)
    first.client.close()
    first.runtime.engine.dispose()
    node = make_node(first.runtime.settings.model_copy(update={"console_url": "https://toezicht.example/"}))
    csrf = sign_in_as(node, "j.jansen")
    r = node.client.post("/toezicht", data={"csrf": csrf, "role": "coordinator"})
    assert r.status_code == 303
    assert r.headers["location"].startswith("https://toezicht.example/console/login?ticket=")
    assert "form-action 'self' https://toezicht.example;" in r.headers["content-security-policy"]
    node.client.close()
    node.runtime.engine.dispose()


def test_a_console_url_that_is_no_address_stops_the_node(tmp_path: Path) -> None:
    """The node refuses to start and names the setting."""
    from exchange.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="EXCHANGE_NODE_CONSOLE_URL 'toezicht' is not an http"):
        make_node(node_settings(tmp_path, console_url="toezicht"))


def test_an_unreachable_hub_gets_a_dutch_message(tmp_path: Path) -> None:
    """No hub: 502 and the page says the hub cannot be reached."""
    node = helmond_node(tmp_path, None)
    csrf = sign_in_as(node, "j.jansen")
    r = node.client.post("/toezicht", data={"csrf": csrf, "role": "coordinator"})
    assert r.status_code == 502
    assert "De uitwisselingsdienst is nu niet bereikbaar" in r.text
    node.client.close()
    node.runtime.engine.dispose()


def test_a_refusing_hub_gets_a_dutch_message(hub: Hub, tmp_path: Path) -> None:
    """A node whose key the hub does not know: the hub refuses, the page says so."""
    node = make_node(node_settings(tmp_path, hub_url=hub.base))
    node.add("j.jansen", "coordinator")
    csrf = sign_in_as(node, "j.jansen")
    r = node.client.post("/toezicht", data={"csrf": csrf, "role": "coordinator"})
    assert r.status_code == 502
    assert "De uitwisselingsdienst weigerde u in deze rol aan te melden" in r.text
    node.client.close()
    node.runtime.engine.dispose()
