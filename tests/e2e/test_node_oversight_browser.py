"""Oversight in one click, in Chromium against a real hub: Helmond's coordinator, who is also its
privacy officer, reads a case's hit/no-hit answers (hits first, the partners without an index folded
away per partner), then presses the console button under the menu and lands signed in on the hub's
console as privacy officer. axe-core checks the pages (WCAG 2.1 AA); screenshots go to
build/e2e/node-oversee-*.png."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Site, shot
from tests.e2e.node_server import site_node
from tests.e2e.test_node_browser import accessible, no_errors, sign_in


@pytest.fixture(scope="module")
def node(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Helmond's node; its console address is the hub as the browser reaches it (localhost)."""
    directory = tmp_path_factory.mktemp("oversee")
    with site_node(
        site, directory, [("h.smit", ["coordinator", "privacy-officer"], "Hanna Smit")], console_url=site.base
    ) as node:
        yield node.base


def test_a_privacy_officer_opens_the_console_in_one_click(page: Page, node: str, site: Site) -> None:
    sign_in(page, node)
    page.goto(node + "/casussen/nieuw")
    page.get_by_label("Convenant en doel").select_option(
        label="Aanpak van onrechtmatige of onveilige bewoning en onjuiste BRP-inschrijving"
    )
    page.get_by_label("Onderwerpen, één per regel").fill("5701 AB 12a\n5701 AB 99")
    page.get_by_label("Reden van selectie").fill("Drie onafhankelijke signalen van overbewoning.")
    page.get_by_role("button", name="Casus openen").click()
    expect(page.locator("#gedaan")).to_contain_text("De casus is geopend")
    page.get_by_role("button", name="Vraag de partners (hit/no-hit)").click()
    expect(page.locator("#hit-tabel")).to_be_visible()
    missing = page.locator("#geen-index")
    expect(missing.locator("summary")).to_contain_text("Onbekend: geen index gepubliceerd")
    expect(missing.locator("ul")).not_to_be_visible()  # folded until opened
    accessible(page)
    shot(page, "node-oversee-1-casus-hits")
    missing.locator("summary").click()
    expect(missing.locator("ul")).to_be_visible()
    accessible(page)
    shot(page, "node-oversee-2-casus-geen-index-open")
    page.set_viewport_size({"width": 320, "height": 700})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    accessible(page)
    shot(page, "node-oversee-3-casus-320px")
    page.set_viewport_size({"width": 1400, "height": 1000})

    page.get_by_role("button", name="Toezichtconsole als privacyfunctionaris").click()
    expect(page).to_have_url(site.base + "/console")
    expect(page.locator("header")).to_contain_text("h.smit (privacyfunctionaris) · Gemeente Helmond")
    shot(page, "node-oversee-4-console")
    page.get_by_role("navigation").get_by_role("link", name="Logboek").click()
    expect(page.locator("h1")).to_contain_text("Logboek")
    no_errors(page)
