"""A privacy officer's access request in Chromium: the form, a field error in Dutch, and the letter
with the address that the node makes from the hub's answer. axe-core checks each page (WCAG 2.1 AA),
also at 320 pixels wide; screenshots go to build/e2e/node-access-*.png."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot
from tests.e2e.test_node_browser import accessible, sign_in
from tests.e2e.test_node_cases_browser import node  # noqa: F401  (the fixture: Helmond's node)

ADDRESS = "5701 AB 12a"


def test_a_privacy_officer_answers_an_access_request_with_a_letter(page: Page, node: str) -> None:  # noqa: F811
    sign_in(page, node, name="p.devries")
    page.get_by_role("link", name="Inzageverzoeken").click()
    expect(page.locator("h1")).to_have_text("Inzageverzoeken")
    accessible(page)
    shot(page, "node-access-1-formulier")
    page.get_by_label("Adres, BSN of KvK-nummer").fill("Dorpsstraat")
    page.get_by_role("button", name="Vraag het de uitwisselingsdienst").click()
    expect(page.locator("#fouten")).to_contain_text("Dit is geen adres")
    accessible(page)
    page.get_by_label("Adres, BSN of KvK-nummer").fill(ADDRESS)
    page.get_by_role("button", name="Vraag het de uitwisselingsdienst").click()
    expect(page.locator("h1")).to_have_text("Antwoord op een inzageverzoek")
    expect(page.locator("#betreft")).to_contain_text(ADDRESS)
    accessible(page)
    shot(page, "node-access-2-brief")
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    accessible(page)
    shot(page, "node-access-3-brief-320px")
    with page.expect_download() as download:
        page.get_by_role("link", name="Downloaden als PDF").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    page.get_by_role("link", name="Convenantversies").click()
    expect(page.locator("h1")).to_have_text("Convenantversies")
    accessible(page)
    shot(page, "node-access-5-convenantversies")
    page.get_by_role("link", name="Toegankelijkheidsverklaring").click()
    expect(page.locator("h1")).to_have_text("Toegankelijkheidsverklaring")
    accessible(page)
    shot(page, "node-access-4-toegankelijkheid")
