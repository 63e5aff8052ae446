"""The privacy officer's console in the service: sign-in through a signed ticket request, secure
session cookies with CSRF on the one state-changing form, pages limited to the officer's party,
and every page view that shows log data written to the log first."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from exchange.console import privacy
from exchange.storage.models import ConsoleTicket
from tests.integration.api_support import DECISION, Api, assert_problem
from tests.integration.plain_html import plain

PO = ("helmond", "po-1", "privacy-officer")


def ticket(api: Api, party: str = "helmond", user: str = "po-1", role: str = "privacy-officer") -> str:
    r = api.client(party, user, role).post("/v1/console/tickets", {})
    assert r.status_code == 201, r.text
    return str(r.json()["url"])


def browser(api: Api) -> TestClient:
    """A browser on https (the session cookie is Secure) that follows no redirects by itself."""
    return TestClient(api.http.app, base_url="https://testserver", follow_redirects=False)


def signed_in(api: Api, party: str = "helmond") -> TestClient:
    b = browser(api)
    r = b.get(ticket(api, party))
    assert r.status_code == 303 and r.headers["location"] == "/console"
    return b


def views(api: Api) -> list[dict[str, object]]:
    with api.db.sessions.begin() as s:
        events = [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]
    return [e for e in events if e["action"] == "log-view" and e["channel"] == "console"]


def test_sign_in_with_a_one_time_ticket(api: Api) -> None:
    assert_problem(
        api.client("helmond", "u-1", "visitor").post("/v1/console/tickets", {}), 403, "privacy-officer"
    )
    url = ticket(api)
    b = browser(api)
    r = b.get(url)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    for flag in ("exchange_console=", "HttpOnly", "Secure", "SameSite=strict", "Path=/console"):
        assert flag.lower() in cookie.lower(), cookie
    page = b.get("/console")
    assert page.status_code == 200 and "po-1 (privacyfunctionaris) · Gemeente Helmond" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"
    again = browser(api).get(url)  # a ticket works once
    assert again.status_code == 401 and "al gebruikt of verlopen" in again.text
    assert browser(api).get("/console/log").status_code == 401  # no cookie, no page


def test_an_expired_ticket_signs_no_one_in(api: Api) -> None:
    url = ticket(api)
    with api.db.sessions.begin() as s:
        s.execute(update(ConsoleTicket).values(expires=datetime.now(UTC) - timedelta(seconds=1)))
    assert browser(api).get(url).status_code == 401


def test_the_log_page_shows_the_own_party_only_and_is_itself_logged(api: Api) -> None:
    api.client("someren").post("/v1/decisions", DECISION or {})  # someren asks senzer: not helmond's business
    api.client("helmond").post("/v1/decisions", {**(DECISION or {}), "purpose": "onrechtmatige-bewoning"})
    b = signed_in(api)
    page = b.get("/console/log")
    assert page.status_code == 200
    assert "Gemeente Helmond" in rows_of(page.text) and "Someren" not in rows_of(page.text)
    assert "Besluit volgens het convenant" in rows_of(page.text)  # the action's Dutch label, not its code
    assert [v["details"] for v in views(api)] == [{"view": "search", "rows": 1}]
    assert views(api)[0]["actor"] == {"party": "helmond", "user": "po-1", "role": "privacy-officer"}
    denied = rows_of(b.get("/console/log?outcome=denied").text)
    assert "Aanpak van onrechtmatige of onveilige bewoning" in denied and "geweigerd" in denied
    assert "Aanpak van onrechtmatige of onveilige bewoning" in rows_of(
        b.get("/console/log?party=senzer").text
    )  # helmond asked senzer
    assert "Geen gebeurtenissen gevonden." in b.get("/console/log?party=enexis").text
    export = b.get("/console/log.csv")
    assert export.headers["content-type"].startswith("text/csv")
    assert export.text.splitlines()[0].startswith("idx,") and "someren" not in export.text
    assert [v["details"]["view"] for v in views(api)] == ["search", "search", "search", "search", "export"]  # type: ignore[index]


def test_the_log_shows_the_newest_events_first_a_page_at_a_time(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a year of use today's events are on the first page; older ones follow page by page,
    each page a logged view; a page start that is not a log index is refused."""
    monkeypatch.setattr(privacy, "PAGE", 2)
    helmond = api.client("helmond")
    for _ in range(5):
        assert helmond.post("/v1/decisions", DECISION or {}).status_code == 200
    b = signed_in(api)
    shown: list[list[int]] = []
    url = "/console/log?outcome=allowed"
    while url:
        page = b.get(url)
        assert page.status_code == 200
        shown.append([int(i) for i in re.findall(r"<tr class=\"allowed\"><td>(\d+)</td>", plain(page.text))])
        older = re.search(r'href="(/console/log\?[^"]*before=\d+[^"]*)" rel="next"', page.text)
        url = older.group(1).replace("&amp;", "&") if older else ""
        if len(shown) > 1:
            assert "Nieuwste gebeurtenissen" in page.text and "outcome=allowed" in page.text
    assert shown == [[4, 3], [2, 1], [0]]
    assert [v["details"] for v in views(api)] == [{"view": "search", "rows": n} for n in (3, 3, 1)]
    bad = b.get("/console/log?before=gisteren")
    assert bad.status_code == 400 and "before" in bad.text


def rows_of(page: str) -> str:
    """The log table's rows, without the filters' choices."""
    return plain(page).split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_input_is_escaped_and_checked(api: Api) -> None:
    b = signed_in(api)
    page = b.get("/console/log", params={"case": '"><script>alert(1)</script>'})
    assert page.status_code == 200 and "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text
    bad = b.get("/console/log?since=yesterday")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    assert b.get("/console/report?subject=5701AB12").status_code == 400  # an address never goes to the hub
    nothing = b.get("/console/log?party=nonexistent").text
    assert nothing.count("Geen gebeurtenissen") == 1  # said once, not twice


def test_access_report_and_verification(api: Api) -> None:
    b = signed_in(api)
    empty = b.get("/console/report")
    assert empty.status_code == 200 and "exchange client pseudonym" in empty.text
    subject = "v1:" + "A" * 43
    rep = b.get(f"/console/report?covenant=pit&subject={subject}")
    assert rep.status_code == 200 and subject in rep.text and "Casussen over de betrokkene" in rep.text
    assert "Niet in dit antwoord" in rep.text  # the covenant's confidential categories, withheld
    with api.db.sessions.begin() as s:
        api.db.log.sign_checkpoint(s, api.db.signer, datetime.now(UTC))
    ver = b.get("/console/verification")
    assert ver.status_code == 200 and ">ja<" in ver.text
    assert [v["details"]["view"] for v in views(api)] == ["verification"]  # type: ignore[index]
    with api.db.sessions.begin() as s:
        events = [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]
    asked = [e for e in events if e["action"] == "access-request"]
    assert [(e["dataSubjectId"], e["channel"], e["actor"]["role"]) for e in asked] == [
        (subject, "console", "privacy-officer")
    ]
    assert b.get("/console/anomalies").status_code == 200


def test_logout_needs_the_forms_csrf_token(api: Api) -> None:
    b = signed_in(api)
    page = b.get("/console").text
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert b.post("/console/logout", data={"csrf": "forged"}).status_code == 403
    assert b.get("/console").status_code == 200  # still signed in
    out = b.post("/console/logout", data={"csrf": csrf})
    assert out.status_code == 200 and "afgemeld" in out.text
    b.cookies.clear()
    assert b.get("/console").status_code == 401


def test_a_view_that_cannot_be_logged_is_not_shown(api: Api) -> None:
    from tests.integration.conftest import block_log_writes, unblock_log_writes

    b = signed_in(api)
    block_log_writes(api.db)
    try:
        r = b.get("/console/log")
    finally:
        unblock_log_writes(api.db)
    assert r.status_code == 503 and '<table class="rows">' not in r.text


def test_every_console_page_refuses_without_a_valid_session(api: Api) -> None:
    from fastapi.routing import APIRoute

    open_paths = {
        "/console/login",
        "/console/static/console.css",
        "/console/static/icon.svg",
        "/console/logout",
        "/console/toegankelijkheid",
    }
    routes = [
        (method, r.path)
        for r in api.http.app.routes  # type: ignore[attr-defined]
        if isinstance(r, APIRoute) and r.path.startswith("/console") and r.path not in open_paths
        for method in r.methods or ()
    ]
    assert len(routes) >= 6 and ("POST", "/console/anomalies/{flag}/acknowledge") in routes
    for method, path in routes:
        b = browser(api)
        assert b.request(method, path, data={"csrf": "x"} if method == "POST" else None).status_code == 401, (
            path
        )
        b.cookies.set("exchange_console", "forged-token", domain="testserver", path="/console")
        r = b.request(method, path, data={"csrf": "x"} if method == "POST" else None)
        assert r.status_code == 401 and "Niet aangemeld" in r.text, path
    assert browser(api).get("/console/login?ticket=forged").status_code == 401
    assert browser(api).post("/console/logout", data={"csrf": "x"}).status_code == 200  # nothing to end


def test_a_flag_links_to_its_events_and_is_dealt_with_in_the_console(api: Api) -> None:
    """Five refused requests by one user make a flag; its link shows exactly those log entries, and
    the officer marks it dealt with by a form with its CSRF token and a note (refused without)."""
    denied = {**(DECISION or {}), "purpose": "onrechtmatige-bewoning"}
    for _ in range(5):
        assert api.client("helmond", "u-9", "coordinator").post("/v1/decisions", denied).status_code == 200
    b = signed_in(api)
    page = plain(b.get("/console/anomalies").text)
    assert "herhaalde weigeringen: u-9" in page
    section = page.split("herhaalde weigeringen: u-9", 1)[1].split("</section>", 1)[0]
    link = re.search(r'href="(/console/log\?user=u-9&amp;from_index=\d+&amp;to_index=\d+)"', section)
    assert link is not None
    shown = b.get(link.group(1).replace("&amp;", "&")).text
    behind = rows_of(shown)
    assert behind.count('<tr class="denied">') == 5 and '<tr class="allowed">' not in behind
    said = re.sub(r"\s+", " ", plain(shown).split('id="actieve-filters">', 1)[1].split("</p>", 1)[0])
    assert re.search(
        r"alleen de gebeurtenissen van gebruiker u-9\. Alleen logregels \d+ tot en met \d+\.", said
    )
    assert '<a href="/console/log">Filter wissen</a>' in said
    assert '<input type="hidden" name="user" value="u-9">' in shown  # "Zoeken" keeps the flag's filters
    assert '<input type="hidden" name="from_index" value="' in shown
    flag = re.search(r'action="/console/anomalies/(an-[0-9a-f]{32})/acknowledge"', section)
    assert flag is not None
    url = f"/console/anomalies/{flag.group(1)}/acknowledge"
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert b.post(url, data={"note": "Nagegaan."}).status_code == 403  # no token
    # The empty note field is not drawn as an error before anything was sent (no :invalid)...
    assert "aria-invalid" not in section and " required" not in section
    empty = b.post(url, data={"csrf": csrf, "note": "  "})
    assert empty.status_code == 400  # no note
    # ...only after a submit without a note: that field marked invalid, with the reason beside it.
    assert 'aria-invalid="true" aria-describedby="note-error-' in empty.text
    assert "Schrijf op wat u hebt nagegaan en gevonden" in empty.text
    done = b.post(url, data={"csrf": csrf, "note": "Nagegaan met de teamleider: testaccount."})
    assert done.status_code == 303 and done.headers["location"] == "/console/anomalies?afgehandeld=1"
    after = plain(b.get(done.headers["location"]).text)
    assert "Het signaal is afgehandeld" in after and "Nagegaan met de teamleider: testaccount." in after
    assert "herhaalde weigeringen: u-9" not in after.split("<h2>Afgehandeld</h2>", 1)[0]
    assert b.post(url, data={"csrf": csrf, "note": "Nog eens."}).status_code == 409
    other = signed_in(api, "someren")
    assert other.post(url, data={"csrf": "x", "note": "n"}).status_code == 403


def test_the_sign_in_link_lifetime_is_a_setting(api: Api) -> None:
    """A link lives as long as EXCHANGE_CONSOLE_LINK_SECONDS says (two minutes by default), and an
    expired one is refused with a Dutch page that says how to get a new one."""
    r = api.client(*PO).post("/v1/console/tickets", {})
    expires = datetime.fromisoformat(r.json()["expires"])
    assert timedelta(seconds=110) < expires - datetime.now(UTC) <= timedelta(seconds=120)
    service = api.http.app.state.service  # type: ignore[attr-defined]  # the app the test client drives
    default = service.settings
    service.settings = default.model_copy(update={"console_link_seconds": 1800})
    try:
        r = api.client(*PO).post("/v1/console/tickets", {})
    finally:
        service.settings = default
    expires = datetime.fromisoformat(r.json()["expires"])
    assert timedelta(minutes=29) < expires - datetime.now(UTC) <= timedelta(minutes=30)
    url = r.json()["url"]
    with api.db.sessions.begin() as s:
        s.execute(update(ConsoleTicket).values(expires=datetime.now(UTC) - timedelta(seconds=1)))
    page = browser(api).get(url)
    assert page.status_code == 401 and "Vraag een nieuwe aan" in page.text and "Toezichtconsole" in page.text


def test_english_is_chosen_by_a_link_and_kept_for_the_session(api: Api) -> None:
    """Dutch by default; ?lang=en gives the page in English and a session cookie that keeps the
    choice on the next pages, with <html lang> following; an unknown language is refused."""
    b = signed_in(api)
    dutch = b.get("/console/log")
    assert '<html lang="nl"' in dutch.text and "<h1" in dutch.text and ">Logboek</h1>" in dutch.text
    assert 'href="/console/log?lang=en" lang="en" hreflang="en">English</a>' in dutch.text
    english = b.get("/console/log?outcome=allowed&lang=en")
    assert english.status_code == 200 and '<html lang="en"' in english.text and ">Log</h1>" in english.text
    cookie = english.headers["set-cookie"]
    assert cookie.startswith("exchange_console_lang=en;") and "HttpOnly" in cookie and "Max-Age" not in cookie
    assert (
        'href="/console/log?outcome=allowed&amp;lang=nl" lang="nl" hreflang="nl">Nederlands</a>'
        in english.text
    )
    verification = b.get("/console/verification")  # no ?lang=: the cookie holds the choice
    assert '<html lang="en"' in verification.text and "Events in the log" in verification.text
    assert "Gebeurtenissen" not in verification.text
    assert "Not signed in" in browser(api).get("/console/log?lang=en").text  # before sign-in too
    back = b.get("/console?lang=nl")
    assert '<html lang="nl"' in back.text and "Overzicht" in back.text
    bad = b.get("/console/log?lang=fr")
    assert (
        bad.status_code == 400
        and "unknown language &#39;fr&#39;" in bad.text
        and "set-cookie" not in bad.headers
    )
