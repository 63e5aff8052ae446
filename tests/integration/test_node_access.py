"""A privacy officer's access request (AVG art. 15) on the node against a real hub: the address is
typed on the node and only its pseudonyms reach the hub; the answer is a letter naming the address,
grouped by recipient, with no user ids, kept sealed on the node and printable as a PDF; other roles
and bad input are refused without asking the hub anything."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from exchange.node.access_records import AccessRequestRow
from tests.integration.casework_support import Hub, csrf_of, helmond_node, running_hub, sign_in
from tests.integration.node_support import Node
from tests.integration.store_dump import sqlite_text

ADDRESS = "5703 GH 21"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub")) as h:
        yield h


@pytest.fixture
def node(hub: Hub, tmp_path: Path) -> Iterator[Node]:
    n = helmond_node(tmp_path, hub)
    n.add("p.privacy", "privacy-officer")
    yield n
    n.client.close()
    n.runtime.engine.dispose()


def _requests(node: Node) -> int:
    with node.runtime.sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(AccessRequestRow)) or 0)


def _open_case_with_hits(node: Node) -> None:
    csrf = sign_in(node)
    form = node.client.get("/casussen/nieuw").text
    r = node.client.post(
        "/casussen/nieuw",
        data={
            "csrf": csrf,
            "purpose": "pit:onrechtmatige-bewoning",
            "kind": "address",
            "subjects": ADDRESS,
            "reason": "Signalen van overbewoning in de straat",
            "signal": "",
            "attempt": csrf_of(form).encode().hex()[:32].ljust(32, "0"),
        },
    )
    assert r.status_code == 303, r.text
    case_id = r.headers["location"].split("/")[-1].split("?")[0]
    assert node.client.post(f"/casussen/{case_id}/hits", data={"csrf": csrf}).status_code == 303
    node.client.post("/afmelden", data={"csrf": csrf})


def test_the_officer_gets_a_letter_naming_the_address_and_the_hub_only_pseudonyms(
    node: Node, hub: Hub
) -> None:
    _open_case_with_hits(node)
    csrf = sign_in(node, "p.privacy", "/start")
    assert 'href="/inzage"' in node.client.get("/start").text  # in the officer's menu
    r = node.client.post(
        "/inzage", data={"csrf": csrf, "covenant": "pit", "kind": "address", "subject": ADDRESS}
    )
    assert r.status_code == 303, r.text
    letter = node.client.get(r.headers["location"])
    assert letter.status_code == 200 and letter.headers["cache-control"] == "no-store"
    text = letter.text
    assert re.search(rf'id="betreft">\s*adres {ADDRESS}', text)
    assert "Casussen over de betrokkene" in text and "Gemeente Helmond" in text
    assert re.search(r"Geopend op \d{2}-\d{2}-\d{4} door Gemeente Helmond", text)
    assert "Vragen die niets opleverden" in text  # no-hit and no-index counts per party and category
    assert "j.jansen" not in text and "coord-1" not in text  # no user ids
    assert ADDRESS in node.client.get("/inzage").text  # listed for the officer, from the sealed store

    pdf = node.client.get(r.headers["location"] + "/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    pages = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert ADDRESS in pages and "Inzageverzoek" in pages

    dump = sqlite_text(hub.db)
    assert "access-request" in dump  # the hub logged the request
    assert ADDRESS not in dump and ADDRESS.replace(" ", "") not in dump
    store = node.runtime.settings.data_dir
    held = b"".join(p.read_bytes() for p in store.rglob("*") if p.is_file())
    assert ADDRESS.encode() not in held  # sealed on the node too


def test_other_roles_bad_input_and_a_missing_token_ask_the_hub_nothing(node: Node) -> None:
    csrf = sign_in(node)  # the coordinator
    assert 'href="/inzage"' not in node.client.get("/start").text
    assert node.client.get("/inzage").status_code == 403
    refused = node.client.post(
        "/inzage", data={"csrf": csrf, "covenant": "pit", "kind": "address", "subject": ADDRESS}
    )
    assert refused.status_code == 403 and "privacyfunctionaris" in refused.text
    node.client.post("/afmelden", data={"csrf": csrf})

    csrf = sign_in(node, "p.privacy", "/start")
    bad = node.client.post(
        "/inzage", data={"csrf": csrf, "covenant": "pit", "kind": "address", "subject": "Dorpsstraat"}
    )
    assert bad.status_code == 400 and "Dit is geen adres" in bad.text and 'href="#subject"' in bad.text
    unknown = node.client.post(
        "/inzage", data={"csrf": csrf, "covenant": "nergens", "kind": "person", "subject": "123"}
    )
    assert unknown.status_code == 400 and "Kies het convenant" in unknown.text
    no_token = node.client.post("/inzage", data={"covenant": "pit", "kind": "address", "subject": ADDRESS})
    assert no_token.status_code == 403
    assert node.client.get("/inzage/0123456789abcdef").status_code == 404
    assert _requests(node) == 0
    node.client.cookies.clear()
    assert node.client.get("/inzage").status_code == 303  # to the sign-in page
