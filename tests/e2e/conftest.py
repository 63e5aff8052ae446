"""End-to-end fixtures: the service as its own process on SQLite with the demo's PIT case played
through it, and headless Chromium (Debian's package, which ``make test`` installs) driven by
Playwright. Screenshots go to ``build/e2e/`` (or ``EXCHANGE_E2E_ARTIFACTS``)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from exchange.cli.demo import PARTIES, _play
from exchange.client.http import ExchangeClient
from exchange.crypto.keys import PartyKeys
from tests.logscan import scan
from tests.service_process import ROOT, ServiceProcess, sqlite_hub

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/lib/chromium/chromium") if Path(p).exists()), None)
# As the machine notes say: without these, Chromium tries Google's hosts at every start.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("EXCHANGE_E2E_ARTIFACTS", ROOT / "build" / "e2e"))


@dataclass
class Site:
    base: str  # what the browser opens
    keys: dict[str, PartyKeys]
    server: ServiceProcess
    subject: str = ""  # the demo case's subject (a pseudonym), for the access-request answer

    def client(self, party: str, user: str, role: str) -> ExchangeClient:
        """A party's signed client, as its own software would use it."""
        return ExchangeClient(self.server.base, self.keys[party].current, user, role)

    def sign_in_link(self, party: str, user: str, role: str) -> str:
        """What ``exchange client console`` prints: a one-time link from a signed request."""
        client = self.client(party, user, role)
        try:
            r = client.post("/v1/console/tickets", {})
        finally:
            client.close()
        assert r.status_code == 201, r.text
        return self.base + str(r.json()["url"])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("e2e")
    now = datetime.now(UTC)
    server, keys = sqlite_hub(workdir, PARTIES, "e2e.exchange/log")
    try:
        # localhost, not 127.0.0.1: the session cookie is Secure, and browsers accept Secure
        # cookies over plain HTTP only from localhost.
        base = server.base.replace("127.0.0.1", "localhost")
        said: list[str] = []
        _play(server.base, keys, said.append, now)
        subject = next(m.group(0) for line in said if (m := re.search(r"v1:[\w-]+", line)))
        yield Site(base, keys, server, subject)
    finally:
        stderr = server.stop()
    findings = scan(stderr)  # the service's own application logs hold no personal data either
    assert findings == [], findings


_WIPED: list[bool] = []


def _fresh_artifacts() -> None:
    """Empty the screenshot directory once per run, not once per module: each browser test module
    has its own browser, and the second must not delete the first one's screenshots."""
    if not _WIPED:
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
        _WIPED.append(True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped: Playwright's sync API keeps an event loop running in this thread while it
    is open, which later tests that run their own loop must not find."""
    if CHROMIUM is None:
        if os.environ.get("EXCHANGE_E2E") == "skip":
            pytest.skip("EXCHANGE_E2E=skip and no Chromium on this machine")
        pytest.fail(
            "Debian's chromium package is not installed: run 'make test' (it installs it) or apt-get install chromium"
        )
    _fresh_artifacts()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile per test, collecting console errors (CSP violations land there)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    p = context.new_page()
    errors: list[str] = []
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.errors = errors  # type: ignore[attr-defined]
    try:
        yield p
    finally:
        context.close()


def shot(page: Page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
