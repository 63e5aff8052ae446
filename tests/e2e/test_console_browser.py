"""The console in a real browser (headless Chromium): each role signs in with a one-time link,
clicks through its pages, and the pages hold up under the browser's own rules (CSP, HttpOnly
cookies, print layout). One pass visits every page of every role, in Dutch and in English, checks
each with axe-core and for text in the wrong language, and saves a screenshot of each in build/e2e/
(``console-<role>-<page>.png``)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from exchange.console.labels import ROLES
from exchange.console.web import PAGES
from exchange.i18n import read_catalogue, translations
from exchange.policies.files import load_version
from exchange.vocabulary import PartyId
from tests.conftest import CONVENANT
from tests.e2e.conftest import ARTIFACTS, Site, shot
from tests.e2e.test_node_browser import accessible
from tests.integration.api_support import DECISION
from tests.integration.revision_support import DROPPED_FLOW, digest_of, revision
from tests.integration.store_dump import holds_postcode


def sign_in(page: Page, site: Site, party: str, user: str, role: str) -> None:
    page.goto(site.sign_in_link(party, user, role))
    expect(page).to_have_url(site.base + "/console")
    role_name = translations("nl").gettext(ROLES[role])  # the role in words
    party_name = load_version(CONVENANT / "pit" / "2021").covenant.parties[PartyId(party)].name
    expect(page.locator("header")).to_contain_text(f"{user} ({role_name}) · {party_name}")


def no_errors(page: Page, *expected_statuses: int) -> None:
    """No script error, CSP violation or failed load, but for statuses the test asked for."""
    expected = [f"status of {s} " for s in expected_statuses]
    errors = [e for e in page.errors if not any(x in e for x in expected)]  # type: ignore[attr-defined]
    assert errors == [], errors


def test_privacy_officer_searches_exports_and_signs_out(page: Page, site: Site) -> None:
    sign_in(page, site, "helmond", "po-1", "privacy-officer")
    page.locator("nav").get_by_role("link", name="Logboek").click()
    expect(page.locator("table.rows tbody tr").first).to_be_visible()
    assert page.locator("table.rows tbody tr").count() > 5
    page.select_option("select[name=action]", "hit-query")
    page.get_by_role("button", name="Zoeken").click()
    expect(page).to_have_url(re.compile(r".*action=hit-query.*"))
    actions = page.locator("table.rows tbody td:nth-child(3)").all_inner_texts()
    assert actions and set(actions) == {"Hit/no-hit-antwoord"}  # the catalogue's Dutch, not the code
    page.set_viewport_size({"width": 320, "height": 700})  # reflow: the table scrolls in its own region
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Naar de inhoud")).to_be_focused()
    shot(page, "console-privacy-officer-log-320px")
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_download() as download:
        page.get_by_role("link", name="Downloaden als CSV (oudste eerst)").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert rows and {r["action"] for r in rows} == {"hit-query"}
    page.get_by_role("link", name="Toegankelijkheidsverklaring").click()
    expect(page.locator("h1")).to_have_text("Toegankelijkheidsverklaring")
    page.locator("nav").get_by_role("link", name="Verificatie").click()
    expect(page.locator("h1")).to_have_text("Verificatie")
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
    page.get_by_role("link", name="PIT 2021", exact=True).click()
    expect(page.locator("table.rules tbody tr").first).to_be_visible()
    page.go_back()
    page.get_by_role("link", name="verschil met 2016").click()
    expect(page.locator("h1")).to_have_text("PIT 2016 en PIT 2021 naast elkaar")
    expect(page.locator("table.side-by-side").first).to_be_visible()
    page.go_back()
    page.locator("tr", has_text="PIT 2021").get_by_role("link", name="scenario's").click()
    expect(page.locator("main")).to_contain_text("scenario's slagen")
    expect(page.locator("h2", has_text="Dekking per artikel")).to_be_visible()
    page.go_back()
    page.locator("tr", has_text="PIT 2021").get_by_role("link", name="effect op besluiten").click()
    expect(page.locator("main")).to_contain_text("anders zou(den) uitvallen")
    no_errors(page)


def test_case_table_follows_a_case_without_seeing_content(page: Page, site: Site) -> None:
    sign_in(page, site, "helmond", "coord-1", "coordinator")
    page.locator("nav").get_by_role("link", name="Casussen").click()
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
    page.locator("nav").get_by_role("link", name="Opvolging").click()
    expect(page.locator("h1")).to_have_text("Opvolging")
    page.locator("nav").get_by_role("link", name="Terugkoppeling").click()
    expect(page.locator("table.rows")).to_contain_text("Overtreding vastgesteld")
    no_errors(page)


def test_team_lead_reads_and_prints_the_annual_report(page: Page, site: Site) -> None:
    sign_in(page, site, "helmond", "lead-1", "team-lead")
    page.locator("nav").get_by_role("link", name="Jaarverslag").click()
    expect(page.locator("h2").first).to_have_text("Acties: 1")
    charts = page.locator("svg.chart")
    assert charts.count() >= 3
    box = charts.first.locator("rect").first.bounding_box()
    assert box is not None and box["width"] > 100  # the bar is drawn, not blocked by the CSP
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
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 900})
    no_errors(page)


def test_roles_do_not_reach_each_others_pages(page: Page, site: Site) -> None:
    sign_in(page, site, "helmond", "lead-1", "team-lead")
    assert page.locator("nav").get_by_role("link", name="Logboek").count() == 0
    page.goto(site.base + "/console/log")
    expect(page.locator("h1")).to_have_text("Geen toegang")


def _refused_requests(site: Site) -> None:
    """Five refused requests by one user: a flag on the privacy officer's page, with its events."""
    denied = {**(DECISION or {}), "purpose": "onrechtmatige-bewoning"}
    client = site.client("helmond", "u-9", "coordinator")
    try:
        for _ in range(5):
            assert client.post("/v1/decisions", denied).status_code == 200
    finally:
        client.close()


def _proposal(site: Site) -> None:
    """A new PIT version proposed by Helmond's jurist, awaiting the signatories' approval."""
    files = revision("2099-r1", datetime.now(UTC).date(), DROPPED_FLOW)
    client = site.client("helmond", "jur-1", "jurist")
    try:
        r = client.post("/v1/covenant-versions", {"files": files, "digest": digest_of(files)})
    finally:
        client.close()
    assert r.status_code == 201, r.text


@dataclass(frozen=True)
class Foreign:
    """Texts that must not show on a page: whole (a text node that is just one, give or take
    punctuation), with placeholders (matching anything), and inside a text (three words or more)."""

    whole: frozenset[str]
    placeholders: re.Pattern[str]
    inner: tuple[str, ...]

    def found(self, text: str) -> bool:
        bare = text.strip(" .,;:()!?-–—·")
        return (
            bare in self.whole
            or bool(self.placeholders.fullmatch(bare))
            or any(t in text for t in self.inner)
        )


def _foreign(texts: Iterable[str]) -> Foreign:
    """Texts whose fixed part is too short to tell (fewer than three letters) are left out."""
    whole, patterns, inner = set(), [], []
    for text in set(texts):
        parts = re.split(r"%\([a-z_]+\)s", text)
        if sum(c.isalpha() for c in "".join(parts)) < (3 if len(parts) == 1 else 4):
            continue
        if len(parts) == 1:
            whole.add(text.strip(" .,;:()!?-–—·"))
        else:
            patterns.append(".+?".join(re.escape(part) for part in parts))
        longest = max(parts, key=len).strip()
        if len(longest.split()) >= 3:
            inner.append(longest)
    return Foreign(frozenset(whole), re.compile("|".join(sorted(patterns))), tuple(sorted(inner)))


def _catalogue() -> dict[str, Foreign]:
    """What must not show on a page in each language: on a Dutch page the English id of every
    entry whose Dutch differs, on an English page that Dutch."""
    entries = [(m.id, m.string) for m in read_catalogue("nl") if isinstance(m.id, str) and m.id and m.string]
    differ = [(en, nl) for en, nl in entries if en != nl and isinstance(nl, str)]
    return {"nl": _foreign(en for en, _nl in differ), "en": _foreign(nl for _en, nl in differ)}


#: Every text a reader meets (text nodes, labels for assistive technology, the title), leaving
#: out commands, codes shown beside their label, the covenant files' own prose, and anything
#: marked as another language (the language switch).
_TEXTS = """() => {
  const lang = document.documentElement.lang, out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement, marked = el.closest("[lang]");
    if (el.closest("code, pre, .code, .covenant-text") || (marked && marked.lang !== lang)) continue;
    const text = n.textContent.replace(/\\s+/g, " ").trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll("[aria-label], [title], [placeholder]"))
    for (const name of ["aria-label", "title", "placeholder"]) if (el.getAttribute(name)) out.push(el.getAttribute(name));
  return out;
}"""


def in_one_language(page: Page, lang: str, catalogue: dict[str, Foreign]) -> None:
    """The page says it is in ``lang`` and shows no catalogue text of the other language."""
    assert page.evaluate("document.documentElement.lang") == lang
    wrong = sorted(t for t in set(page.evaluate(_TEXTS)) if catalogue[lang].found(t))
    assert wrong == [], (page.url, wrong)


#: Detail pages behind the menu pages, by role: (name, path), or (name, None) for a page reached
#: by the first link of its kind on the page before (a case; the events behind a flag).
DETAILS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "privacy-officer": (("flag-events", None), ("access-answer", "/console/report?covenant=pit&subject=")),
    "jurist": (
        ("covenant-version", "/console/covenants/pit/2021"),
        ("covenant-diff", "/console/covenants/pit/diff?old=2016&new=2021"),
        ("covenant-scenarios", "/console/covenants/pit/2021/scenarios"),
        ("covenant-impact", "/console/covenants/pit/2016/impact"),
        ("proposal-diff", None),
    ),
    "coordinator": (("case", None),),
    "employee": (("case", None),),
}
#: The log page is checked with its refusals only: the same table and filters as a full page of a
#: hundred events, at a tenth of axe-core's time.
FILTERS = {"/console/log": "?outcome=denied"}
#: Where a detail page reached by a link is found, and the link.
LINKS = {
    "flag-events": ("/console/anomalies", "section.flag table a"),
    "case": ("/console/cases", "table.rows tbody a"),
    "proposal-diff": ("/console/proposals", "section.proposal a[href$='/diff']"),
}


#: The elements that stick out past 320 pixels outside a scroll region, to say what to fix.
_WIDE = """() => [...document.querySelectorAll("body *")]
  .filter(el => el.getBoundingClientRect().right > 320 && (!el.parentElement.closest(".scroll")))
  .slice(0, 5).map(el => el.tagName + "." + el.className + ": " + (el.textContent || "").trim().slice(0, 40))"""


def reflows(page: Page, url: str) -> None:
    """At 320 CSS pixels the page does not scroll sideways (WCAG 1.4.10): wide tables scroll in
    their own region, label and value tables stack."""
    page.set_viewport_size({"width": 320, "height": 800})
    try:
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 320, (url, wide, page.evaluate(_WIDE))
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def _visit(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("h1")).to_be_visible()
    title = page.locator("h1").inner_text()
    assert title not in ("Geen toegang", "Niet aangemeld", "No access", "Not signed in", "Niet gevonden"), url


def test_every_page_of_every_role_in_dutch_and_in_english(page: Page, site: Site) -> None:
    """One pass over every console page of every role, menu and detail pages alike: in Dutch, each
    passes axe-core (WCAG 2.1 A and AA), shows no untranslated catalogue text and is saved as a
    screenshot; then the header's language link turns the session to English, and each page is
    English (<html lang>, no Dutch catalogue text) until the link turns it back."""
    _refused_requests(site)
    _proposal(site)
    catalogue = _catalogue()
    for role, menu in PAGES.items():
        sign_in(page, site, "helmond", f"{role[:4]}-axe", role)
        pages: list[tuple[str, str]] = [("overview", site.base + "/console")]
        pages += [(path.rsplit("/", 1)[1], site.base + path + FILTERS.get(path, "")) for path, _label in menu]
        for name, path in DETAILS.get(role, ()):
            if path is None:
                source, link = LINKS[name]
                page.goto(site.base + source)
                href = page.locator(link).first.get_attribute("href")
                assert href, (role, name)
                path = href
            pages.append((name, site.base + path + (site.subject if path.endswith("subject=") else "")))
        for name, url in pages:
            _visit(page, url)
            accessible(page)
            in_one_language(page, "nl", catalogue)
            shot(page, f"console-{role}-{name}")
            reflows(page, url)
        page.goto(site.base + "/console")
        page.get_by_role("link", name="English").click()
        for name, url in pages:
            _visit(page, url)  # the choice holds for the session, without ?lang= on the link
            in_one_language(page, "en", catalogue)
            if name in ("overview", "team"):
                shot(page, f"console-{role}-{name}-en")
        page.get_by_role("link", name="Nederlands").click()
        expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.goto(site.base + "/console/toegankelijkheid")
    accessible(page)
    in_one_language(page, "nl", catalogue)
    shot(page, "console-accessibility-statement")
    no_errors(page)
