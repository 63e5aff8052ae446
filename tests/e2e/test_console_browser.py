"""The console in a real browser (headless Chromium): each role signs in with a one-time link,
clicks through its pages, and the pages hold up under the browser's own rules (CSP, HttpOnly
cookies, print layout). Screenshots of every page land in build/e2e/."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from exchange.console.web import PAGES
from tests.e2e.conftest import ARTIFACTS, Site, shot
from tests.e2e.test_node_browser import accessible
from tests.integration.store_dump import holds_postcode


def sign_in(page: Page, site: Site, party: str, user: str, role: str) -> None:
    page.goto(site.sign_in_link(party, user, role))
    expect(page).to_have_url(site.base + "/console")
    expect(page.locator("header")).to_contain_text(f"{user} ({role}) · {party}")


def no_errors(page: Page, *expected_statuses: int) -> None:
    """No script error, CSP violation or failed load, but for statuses the test asked for."""
    expected = [f"status of {s} " for s in expected_statuses]
    errors = [e for e in page.errors if not any(x in e for x in expected)]  # type: ignore[attr-defined]
    assert errors == [], errors


def test_privacy_officer_searches_exports_and_signs_out(page: Page, site: Site) -> None:
    sign_in(page, site, "helmond", "po-1", "privacy-officer")
    shot(page, "01-privacy-officer-overview")
    page.locator("nav").get_by_role("link", name="Logboek").click()
    expect(page.locator("table.rows tbody tr").first).to_be_visible()
    assert page.locator("table.rows tbody tr").count() > 5
    page.select_option("select[name=action]", "hit-query")
    page.get_by_role("button", name="Zoeken").click()
    expect(page).to_have_url(re.compile(r".*action=hit-query.*"))
    actions = page.locator("table.rows tbody td:nth-child(3)").all_inner_texts()
    assert actions and set(actions) == {"Hit/no-hit-antwoord"}  # the catalogue's Dutch, not the code
    accessible(page)
    shot(page, "02-privacy-officer-log")
    page.set_viewport_size({"width": 320, "height": 700})  # reflow: the table scrolls in its own region
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Naar de inhoud")).to_be_focused()
    shot(page, "02b-privacy-officer-log-320px")
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_download() as download:
        page.get_by_role("link", name="Downloaden als CSV (oudste eerst)").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert rows and {r["action"] for r in rows} == {"hit-query"}
    page.get_by_role("link", name="Toegankelijkheidsverklaring").click()
    expect(page.locator("h1")).to_have_text("Toegankelijkheidsverklaring")
    accessible(page)
    shot(page, "02c-accessibility-statement")
    page.locator("nav").get_by_role("link", name="Verificatie").click()
    expect(page.locator("h1")).to_have_text("Verificatie")
    shot(page, "03-privacy-officer-verification")
    page.locator("nav").get_by_role("link", name="Inzageverzoek").click()
    expect(page.locator("code", has_text="exchange client pseudonym")).to_be_visible()
    # The session cookie is out of the page's reach.
    assert "exchange_console" not in page.evaluate("document.cookie")
    page.get_by_role("button", name="Afmelden").click()
    expect(page.locator("p.message")).to_have_text("U bent afgemeld.")
    page.goto(site.base + "/console/log")
    expect(page.locator("h1")).to_have_text("Niet aangemeld")
    no_errors(page, 401)


def test_a_sign_in_link_works_once(page: Page, site: Site) -> None:
    link = site.sign_in_link("helmond", "po-1", "privacy-officer")
    page.goto(link)
    expect(page).to_have_url(site.base + "/console")
    other = page.context.browser.new_context().new_page()  # type: ignore[union-attr]
    other.goto(link)
    expect(other.locator("h1")).to_have_text("Aanmelden mislukt")
    other.context.close()


def test_jurist_reads_rules_diff_and_scenarios(page: Page, site: Site) -> None:
    sign_in(page, site, "helmond", "jur-1", "jurist")
    page.locator("nav").get_by_role("link", name="Convenanten").click()
    expect(page.locator("table.rows")).to_contain_text("PIT 2021")
    shot(page, "04-jurist-covenants")
    page.get_by_role("link", name="PIT 2021", exact=True).click()
    expect(page.locator("table.rules tbody tr").first).to_be_visible()
    shot(page, "05-jurist-rules")
    page.go_back()
    page.get_by_role("link", name="verschil met 2016").click()
    expect(page.locator("h1")).to_have_text("PIT 2016 en PIT 2021 naast elkaar")
    expect(page.locator("table.side-by-side").first).to_be_visible()
    accessible(page)
    shot(page, "06-jurist-diff")
    page.go_back()
    page.locator("tr", has_text="PIT 2021").get_by_role("link", name="scenario's").click()
    expect(page.locator("main")).to_contain_text("scenario's slagen")
    expect(page.locator("h2", has_text="Dekking per artikel")).to_be_visible()
    shot(page, "07-jurist-scenarios")
    page.go_back()
    page.locator("tr", has_text="PIT 2021").get_by_role("link", name="effect op besluiten").click()
    expect(page.locator("main")).to_contain_text("anders zou(den) uitvallen")
    no_errors(page)


def test_case_table_follows_a_case_without_seeing_content(page: Page, site: Site) -> None:
    sign_in(page, site, "helmond", "coord-1", "coordinator")
    page.locator("nav").get_by_role("link", name="Casussen").click()
    shot(page, "08-case-table-cases")
    page.locator("table.rows tbody a").first.click()
    expect(page.locator("h1")).to_contain_text("Casus ")
    expect(page.locator("table.hits tbody tr").first).to_be_visible()
    # One subject: each (party, category) shows its latest answer once, however often it was asked.
    for row in page.locator("table.hits tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        assert int(cells[2]) + int(cells[3]) + int(cells[4]) == 1, cells  # hit, no-hit, no index
    assert page.locator("table.hits tbody tr").first.locator("td").nth(2).inner_text() == "1"  # hits first
    text = page.locator("main").inner_text()
    assert "exchange client dossier" in text and not holds_postcode(text) and "v1:" not in text
    shot(page, "09-case-table-case")
    page.locator("nav").get_by_role("link", name="Opvolging").click()
    expect(page.locator("h1")).to_have_text("Opvolging")
    shot(page, "10-case-table-follow-up")
    page.locator("nav").get_by_role("link", name="Terugkoppeling").click()
    expect(page.locator("table.rows")).to_contain_text("violation-found")
    shot(page, "11-case-table-feedback")
    no_errors(page)


def test_team_lead_reads_and_prints_the_annual_report(page: Page, site: Site) -> None:
    sign_in(page, site, "helmond", "lead-1", "team-lead")
    page.locator("nav").get_by_role("link", name="Jaarverslag").click()
    expect(page.locator("h2").first).to_have_text("Acties: 1")
    charts = page.locator("svg.chart")
    assert charts.count() >= 3
    box = charts.first.locator("rect").first.bounding_box()
    assert box is not None and box["width"] > 100  # the bar is drawn, not blocked by the CSP
    shot(page, "12-team-lead-annual")
    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    page.pdf(path=str(ARTIFACTS / "annual-report.pdf"))
    assert (ARTIFACTS / "annual-report.pdf").stat().st_size > 5_000
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert "actions,total,1" in download.value.path().read_text(encoding="utf-8")
    page.locator("nav").get_by_role("link", name="Teamrapportage").click()
    expect(page.locator("h2").first).to_have_text("Verloop per kwartaal")
    accessible(page)
    shot(page, "12b-team-lead-team-report")
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 900})
    no_errors(page)


def test_roles_do_not_reach_each_others_pages(page: Page, site: Site) -> None:
    sign_in(page, site, "helmond", "lead-1", "team-lead")
    assert page.locator("nav").get_by_role("link", name="Logboek").count() == 0
    page.goto(site.base + "/console/log")
    expect(page.locator("h1")).to_have_text("Geen toegang")


@pytest.mark.parametrize("role", list(PAGES), ids=list(PAGES))
def test_every_page_of_every_role_passes_axe(page: Page, site: Site, role: str) -> None:
    """axe-core (WCAG 2.1 A and AA) on the overview and every menu page each console role has."""
    sign_in(page, site, "helmond", f"{role[:4]}-axe", role)
    accessible(page)
    for path, label in PAGES[role]:
        page.goto(site.base + path)
        expect(page.locator("h1")).to_be_visible()
        assert page.locator("h1").inner_text() not in ("Geen toegang", "Niet aangemeld"), (role, path)
        accessible(page)
        shot(page, f"20-axe-{role}-{label.lower()}")
    no_errors(page)
