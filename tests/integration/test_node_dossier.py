"""The coordinator's enrichment and dossier on a node, against a real hub and a provider's node:
Helmond asks Senzer, Senzer's employee answers on Senzer's node, Helmond's case page shows the text
opened on its node and exports it; a tampered item is named with a warning and not shown; only a
coordinator asks, nothing is sent for a bad form, and another party's node cannot see the case."""

from __future__ import annotations

import io
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from exchange.client.dossier_pdf import DEFAULT_FONT
from exchange.client.http import ExchangeClient
from exchange.crypto.keystore import write_keystore
from exchange.node.asked_store import AskedRow
from tests.integration.busy_hub import Busy
from tests.integration.casework_support import PARTIES, Hub, csrf_of, helmond_node, running_hub, sign_in
from tests.integration.node_support import FAST, PASSPHRASE, PASSWORD, Node, make_node, node_settings

ADDRESS = "5701 AB 12a"
ANSWER = "Bijstand sinds maart 2025, alleenstaande norm."
CHOICE = "senzer|bijstand-status"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub"), (*PARTIES, "someren")) as h:
        yield h


def party_node(directory: Path, hub: Hub, party: str, user: str, *roles: str) -> Node:
    """A node of ``party`` on the keystore the hub knows, with ``user`` signed in."""
    directory.mkdir(parents=True, exist_ok=True)
    write_keystore(directory / f"{party}.keystore", hub.stores[party], PASSPHRASE, FAST)
    (directory / "passphrase").write_text(PASSPHRASE + "\n", encoding="utf-8")
    node = make_node(node_settings(directory, party=party, hub_url=hub.base))
    node.add(user, *roles)
    form = node.client.get("/aanmelden")
    node.client.post("/aanmelden", data={"name": user, "password": PASSWORD, "csrf": csrf_of(form.text)})
    return node


def close(*nodes: Node) -> None:
    for n in nodes:
        n.client.close()
        n.runtime.engine.dispose()


def prepared_case(node: Node, csrf: str) -> str:
    """A benefit-fraud case opened on Helmond's node and moved to preparation."""
    r = node.client.post(
        "/casussen/nieuw",
        data={
            "csrf": csrf,
            "purpose": "pit:uitkeringsfraude",
            "kind": "address",
            "subjects": ADDRESS,
            "reason": "Drie signalen van uitkeringsfraude",
        },
    )
    assert r.status_code == 303, r.text
    case_id = str(r.headers["location"]).split("/")[-1].split("?")[0]
    for to in ("selection", "preparation"):
        r = node.client.post(
            f"/casussen/{case_id}/fase",
            data={"csrf": csrf, "to": to, "reason": "Drie signalen van uitkeringsfraude"},
        )
        assert r.status_code == 303, r.text
    return case_id


def answer_on_senzer(senzer: Node, case_id: str) -> None:
    listing = senzer.client.get("/verzoeken").text
    assert case_id in listing
    request_id = re.findall(r'href="/verzoeken/([^"]+)"', listing)[-1]
    form = senzer.client.get(f"/verzoeken/{request_id}").text
    assert re.search(r'id="ontvangers">\s*<li>Gemeente Helmond', form)  # the recipient by its name
    r = senzer.client.post(
        f"/verzoeken/{request_id}/antwoord",
        data={"csrf": csrf_of(form), "case": case_id, "category": "bijstand-status", "text": ANSWER},
    )
    assert r.status_code == 303


@dataclass
class Answered:
    helmond: Node
    senzer: Node
    csrf: str
    case_id: str


@pytest.fixture(scope="module")
def answered(hub: Hub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Answered]:
    """Helmond asked Senzer for benefit status on its node; Senzer answered on its own node."""
    helmond = helmond_node(tmp_path_factory.mktemp("helmond"), hub)
    senzer = party_node(tmp_path_factory.mktemp("senzer"), hub, "senzer", "s.smit", "employee")
    csrf = sign_in(helmond)
    case_id = prepared_case(helmond, csrf)
    page = helmond.client.get(f"/casussen/{case_id}").text
    assert "Een partner om verrijking vragen" in page and ADDRESS in page
    assert f'value="{CHOICE}"' in page and "Senzer" in page and "Of en sinds wanneer bijstand" in page
    attempt = re.search(r'name="attempt" value="([0-9a-f]{32})"', page)
    assert attempt is not None
    r = helmond.client.post(
        f"/casussen/{case_id}/verrijking",
        data={"csrf": csrf, "categories": [CHOICE], "attempt": attempt.group(1)},
    )
    assert r.status_code == 303, r.text
    page = helmond.client.get(r.headers["location"]).text
    assert "Wacht op antwoord" in page and "Senzer" in page
    answer_on_senzer(senzer, case_id)
    yield Answered(helmond, senzer, csrf, case_id)
    close(helmond, senzer)


def test_the_case_page_shows_the_answer_opened_on_the_node(answered: Answered) -> None:
    """The request is answered; the item shows its category, provider, article, ground and text."""
    page = answered.helmond.client.get(f"/casussen/{answered.case_id}").text
    assert re.search(r"Beantwoord op \d\d-\d\d-\d{4}", page)
    dossier = page[page.index('id="dossier"') :]
    assert ANSWER in dossier
    assert "van Senzer" in dossier and "Artikel 7" in dossier and "Participatiewet art. 64" in dossier
    assert "niet getoond" not in dossier
    assert 'href="/casussen/' + answered.case_id + '/dossier.pdf"' in dossier


def test_the_dossier_exports_hold_the_text_and_are_not_cached(answered: Answered) -> None:
    """The printable page and the PDF are made on the node, with names, and never cached."""
    r = answered.helmond.client.get(f"/casussen/{answered.case_id}/dossier.html")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert ANSWER in r.text and "Senzer" in r.text and "Gemeente Helmond" in r.text
    assert (
        "<style>" not in r.text and "/static/dossier.css" in r.text
    )  # the node's CSP allows no inline style
    if not DEFAULT_FONT.exists():
        pytest.skip("Debian's fonts-dejavu-core is not installed")
    r = answered.helmond.client.get(f"/casussen/{answered.case_id}/dossier.pdf")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("attachment;")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert ANSWER in " ".join(text.split())


def test_the_hub_lists_a_cases_requests_to_its_parties_only(answered: Answered, hub: Hub) -> None:
    """GET /v1/cases/{id}/enrichment-requests: the asker and the provider see the request; a party
    outside the case gets the unknown-case answer."""
    path = f"/v1/cases/{answered.case_id}/enrichment-requests"
    for party, role in (("helmond", "coordinator"), ("senzer", "employee")):
        c = ExchangeClient(hub.base, hub.stores[party].keys.current, "u-1", role)
        got = c.get(path)
        c.close()
        assert got.status_code == 200, got.text
        (request,) = got.json()["requests"]
        assert request["provider"] == "senzer" and request["state"] == "answered"
    c = ExchangeClient(hub.base, hub.stores["someren"].keys.current, "u-1", "coordinator")
    got = c.get(path)
    c.close()
    assert got.status_code == 404 and got.json()["code"] == "not-found"


def test_an_attachment_downloads_whole_and_is_not_cached(answered: Answered) -> None:
    """A file Senzer attaches is offered for download, not shown, and comes back byte for byte."""
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 4
    form = answered.senzer.client.get("/verzoeken").text
    r = answered.senzer.client.post(
        "/verzoeken/enr-bijlage/antwoord",
        data={"csrf": csrf_of(form), "case": answered.case_id, "category": "bijstand-status"},
        files={"file": ("uitkering.pdf", pdf, "application/pdf")},
    )
    assert r.status_code == 303
    page = answered.helmond.client.get(f"/casussen/{answered.case_id}").text
    link = re.search(r'href="(/casussen/[^"]+/bijlagen/[^"]+)" download>Bijlage ([^<]+) downloaden', page)
    assert link is not None and link.group(2).endswith(".pdf")
    r = answered.helmond.client.get(link.group(1))
    assert r.status_code == 200 and r.content == pdf
    assert r.headers["cache-control"] == "no-store" and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="{link.group(2)}"'


def test_a_tampered_item_shows_a_warning_and_not_its_text(answered: Answered, hub: Hub) -> None:
    """An item whose ciphertext was altered at the hub fails its signature on the node."""
    with sqlite3.connect(hub.db) as conn:
        item, blob = conn.execute(
            "SELECT id, ciphertext FROM dossier_items WHERE case_id = ? ORDER BY created LIMIT 1",
            (answered.case_id,),
        ).fetchone()
        tampered = bytes([blob[0] ^ 1]) + bytes(blob[1:])
        conn.execute("UPDATE dossier_items SET ciphertext = ? WHERE id = ?", (tampered, item))
    try:
        page = answered.helmond.client.get(f"/casussen/{answered.case_id}").text
        assert "Dit item wordt niet getoond" in page and ANSWER not in page
        export = answered.helmond.client.get(f"/casussen/{answered.case_id}/dossier.html").text
        assert ANSWER not in export and "kon niet worden gecontroleerd" in export
    finally:
        with sqlite3.connect(hub.db) as conn:
            conn.execute("UPDATE dossier_items SET ciphertext = ? WHERE id = ?", (blob, item))
    assert ANSWER in answered.helmond.client.get(f"/casussen/{answered.case_id}").text


def _asked(node: Node) -> int:
    with node.runtime.sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(AskedRow)) or 0)


def test_a_bad_enrichment_form_gets_a_dutch_field_message_and_sends_nothing(hub: Hub, tmp_path: Path) -> None:
    """No category, or one the covenant does not offer: a message on the field, nothing asked."""
    node = helmond_node(tmp_path, hub)
    try:
        csrf = sign_in(node)
        case_id = prepared_case(node, csrf)
        for categories, message in (
            ([], "Kies ten minste één categorie"),
            (["politie-oost-brabant|politie-incidenten"], "Het convenant staat uw organisatie niet toe"),
        ):
            r = node.client.post(
                f"/casussen/{case_id}/verrijking", data={"csrf": csrf, "categories": categories}
            )
            assert r.status_code == 400
            assert 'id="fouten"' in r.text and 'href="#categories"' in r.text and message in r.text
            assert 'aria-describedby="categories-fout"' in r.text
        assert _asked(node) == 0
        c = ExchangeClient(hub.base, hub.stores["helmond"].keys.current, "u-1", "coordinator")
        assert c.get(f"/v1/cases/{case_id}/enrichment-requests").json()["requests"] == []
        c.close()
    finally:
        close(node)


@pytest.mark.parametrize("busy", [False, True], ids=["unreachable", "503"])
def test_the_hub_away_or_busy_loses_nothing(hub: Hub, tmp_path: Path, busy: bool) -> None:
    """The hub unreachable or answering 503: the page says so and nothing is recorded; the same form
    sent again when the hub is back asks once."""
    node = helmond_node(tmp_path, hub)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Busy) if busy else None
    try:
        csrf = sign_in(node)
        case_id = prepared_case(node, csrf)
        node.runtime.settings.hub_url = (
            f"http://127.0.0.1:{server.server_address[1]}" if server else "http://127.0.0.1:9"
        )
        if server:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        form = {"csrf": csrf, "categories": [CHOICE], "attempt": uuid.uuid4().hex}
        r = node.client.post(f"/casussen/{case_id}/verrijking", data=form)
        assert r.status_code == 502
        assert ("druk of nog niet gereed" if busy else "niet bereikbaar") in r.text
        assert _asked(node) == 0
        node.runtime.settings.hub_url = hub.base
        for _ in range(2):  # sent again (a double click): one request at the hub
            assert node.client.post(f"/casussen/{case_id}/verrijking", data=form).status_code == 303
        c = ExchangeClient(hub.base, hub.stores["helmond"].keys.current, "u-1", "coordinator")
        assert len(c.get(f"/v1/cases/{case_id}/enrichment-requests").json()["requests"]) == 1
        c.close()
        assert _asked(node) == 1
    finally:
        close(node)
        if server is not None:
            server.shutdown()
            server.server_close()


def test_an_employee_cannot_ask_and_another_party_cannot_see_the_case(
    answered: Answered, hub: Hub, tmp_path: Path
) -> None:
    """Helmond's employee is refused in Dutch; Someren's coordinator does not find Helmond's case."""
    answered.helmond.add("a.bakker", "employee")
    employee = make_node(answered.helmond.runtime.settings)
    try:
        form = employee.client.get("/aanmelden")
        employee.client.post(
            "/aanmelden", data={"name": "a.bakker", "password": PASSWORD, "csrf": csrf_of(form.text)}
        )
        token = csrf_of(employee.client.get("/start").text)
        r = employee.client.post(
            f"/casussen/{answered.case_id}/verrijking", data={"csrf": token, "categories": [CHOICE]}
        )
        assert r.status_code == 403 and "Niet voor uw rol" in r.text
        assert employee.client.get(f"/casussen/{answered.case_id}/dossier.html").status_code == 403
    finally:
        close(employee)
    someren = party_node(tmp_path / "someren", hub, "someren", "k.kok", "coordinator")
    try:
        for path in ("", "/dossier.html", "/dossier.pdf"):
            r = someren.client.get(f"/casussen/{answered.case_id}{path}")
            assert r.status_code == 404 and ANSWER not in r.text
        token = csrf_of(someren.client.get("/start").text)
        r = someren.client.post(
            f"/casussen/{answered.case_id}/verrijking", data={"csrf": token, "categories": [CHOICE]}
        )
        assert r.status_code in (404, 502) and ANSWER not in r.text
        assert _asked(someren) == 0
    finally:
        close(someren)
