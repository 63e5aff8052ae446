"""Signing in to the party node with the organisation's account, in a real browser (headless
Chromium) against a real OpenID provider (oidc-provider): the sign-in page offers the button, a member
of a mapped group gets the start page and signs out at the node and the provider, and a user in no
mapped group gets the Dutch refusal. axe-core checks the node's pages against WCAG 2.1 AA;
screenshots land in build/e2e/node-oidc-*.png."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from exchange.cli.demo import _free_port, _Server
from exchange.node.runtime import start
from exchange.node.web import create_app
from tests import oidc_provider
from tests.e2e.conftest import shot
from tests.e2e.test_node_browser import accessible
from tests.integration.node_support import node_settings


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Helmond node (its hub away, which the start page only mentions) whose staff sign in at a test
    OpenID provider."""
    directory = tmp_path_factory.mktemp("oidc-node")
    port = _free_port()
    # localhost: Chromium keeps Secure cookies over plain HTTP only there.
    base = f"http://localhost:{port}"
    provider = oidc_provider.start([base + "/aanmelden/oidc/terug"], [base + "/aanmelden?afgemeld=1"])
    (directory / "roles.yaml").write_text(oidc_provider.ROLE_MAP, encoding="utf-8")
    (directory / "secret").write_text(oidc_provider.CLIENT_SECRET, encoding="utf-8")
    settings = node_settings(
        directory,
        oidc_issuer=provider.issuer,
        oidc_client_id=oidc_provider.CLIENT_ID,
        oidc_client_secret_file=directory / "secret",
        oidc_redirect_uri=base + "/aanmelden/oidc/terug",
        oidc_display_name="Helmond-account",
        oidc_scopes="openid profile groups",
        oidc_roles_file=directory / "roles.yaml",
        local_sign_in="admins",
        admins="beheer",
    )
    server = _Server(
        uvicorn.Config(create_app(start(settings)), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the node did not start")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        provider.stop()


def _at_provider(page: Page, login: str) -> None:
    expect(page.locator("h1")).to_have_text("Aanmelden bij de testorganisatie")
    page.get_by_label("Gebruiker").fill(login)
    page.get_by_role("button", name="Inloggen").click()


def test_staff_sign_in_with_the_organisations_account_and_are_refused_without_a_role(
    page: Page, node: str, tmp_path: Path
) -> None:
    page.goto(node + "/aanmelden")
    button = page.get_by_role("link", name="Aanmelden met Helmond-account")
    expect(button).to_be_visible()
    expect(page.get_by_role("heading", level=2)).to_have_text(
        "Beheerders van de node: aanmelden met een lokaal account"
    )
    accessible(page)
    shot(page, "node-oidc-01-aanmelden")

    button.click()
    _at_provider(page, "jan")
    expect(page).to_have_url(node + "/start")
    expect(page.locator("h1")).to_have_text("Welkom, Jan de Vries")
    expect(page.locator("dl")).to_contain_text("coördinator, privacyfunctionaris")
    accessible(page)
    shot(page, "node-oidc-02-start")

    # Sign-out: the node's session ends, then the provider's (it asks to confirm), then back here.
    page.get_by_role("button", name="Afmelden").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(re.escape(node + "/aanmelden?afgemeld=1&state=")))
    expect(page.get_by_role("status")).to_contain_text("U bent afgemeld")
    page.goto(node + "/start")
    expect(page).to_have_url(node + "/aanmelden")

    # Piet's groups give no role: the provider vouches for him, the node refuses him in Dutch.
    page.get_by_role("link", name="Aanmelden met Helmond-account").click()
    _at_provider(page, "piet")
    expect(page.locator("h1")).to_have_text("Aanmelden is niet gelukt")
    expect(page.get_by_role("alert")).to_contain_text(
        "Uw Helmond-account geeft geen toegang tot deze werkruimte"
    )
    accessible(page)
    shot(page, "node-oidc-03-geweigerd")
    page.set_viewport_size({"width": 320, "height": 800})
    shot(page, "node-oidc-04-geweigerd-smal")
    # Chromium logs the refusal's 403 and the provider's missing favicon as failed loads; nothing else
    # (no CSP violation) may appear.
    errors = page.errors  # type: ignore[attr-defined]  # collected by the page fixture
    assert [e for e in errors if not e.startswith("Failed to load resource")] == [], errors
