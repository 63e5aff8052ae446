"""The provider's pages of a police node against a real hub (its own process): the node's own index
(a bad line reported by number and nothing sent; a preview, then only the difference sent; a hub
outage leaves both sides as they were), enrichment requests with the address in plaintext, and an
answer that survives an outage as a sealed draft and is sent once, sealed for exactly the recipient
the covenant allows."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from exchange.crypto.envelope import decode, open_item
from exchange.node import answers, provider_hub
from exchange.node.accounts import disable_user
from exchange.node.provider_hub import connected, store_item
from exchange.node.records import DraftRow, IndexEntryRow, IndexUploadRow
from tests.integration.busy_hub import busy_hub
from tests.integration.provider_support import (
    CATEGORY,
    Hub,
    PoliceNode,
    case_asking_police,
    hub_fixture,  # noqa: F401  (the fixture 'hub': a hub process for this module)
    police_node,
    pseudonym,
)
from tests.pgserver import PostgresServer

ADDRESSES = ["5701 AB 12a", "5702 CD 3", "5703 EF 44-2"]


@pytest.fixture
def node(hub: Hub, tmp_path: Path) -> Iterator[PoliceNode]:
    n = police_node(hub, tmp_path)
    yield n
    n.client.close()
    n.runtime.engine.dispose()


def upload(
    node: PoliceNode, text: str, name: str = "adressen.txt", category: str = CATEGORY
) -> httpx.Response:
    token = node.csrf("/index")
    r: httpx.Response = node.client.post(
        "/index",
        data={"csrf": token, "category": category, "kind": "address"},
        files={"file": (name, text.encode("utf-8"), "text/plain")},
    )
    return r


def confirm(node: PoliceNode, location: str) -> str:
    token = node.csrf(location)
    r = node.client.post(location + "/verzenden", data={"csrf": token})
    assert r.status_code == 303
    return str(node.client.get(location).text)


def test_a_bad_line_is_reported_by_number_and_nothing_is_sent(hub: Hub, node: PoliceNode) -> None:
    before = hub.index()
    r = upload(node, "5701 AB 12a\n\nKerkstraat 5\n5702 CD 3\n5701ab12A\n")
    assert r.status_code == 400
    page = r.text
    assert "Regel 3: geen geldig adres" in page
    assert "Regel 5: hetzelfde als regel 1." in page
    assert "Er is niets verzonden" in page
    with node.runtime.sessions.begin() as s:
        assert s.scalars(select(IndexUploadRow)).all() == []
    assert hub.index() == before


def test_a_preview_then_only_the_difference_is_sent(hub: Hub, node: PoliceNode) -> None:
    r = upload(node, "adres\n" + "\n".join(ADDRESSES) + "\n", name="adressen.csv")
    location = r.headers["location"]
    preview = node.client.get(location).text
    assert "3 toe te voegen, 0 te verwijderen" in preview
    assert "5703 EF 44-2" in preview and hub.index() >= set() and pseudonym(ADDRESSES[0]) not in hub.index()
    done = confirm(node, location)
    assert "Verzonden: 3 toegevoegd en 0 verwijderd" in done and "<progress" in done
    assert {pseudonym(a) for a in ADDRESSES} <= hub.index()

    # The second file drops one address and adds one: only those two go to the hub.
    r = upload(node, "5701 AB 12a\n5702 CD 3\n5704 GH 1\n")
    location = r.headers["location"]
    preview = node.client.get(location).text
    assert "1 toe te voegen, 1 te verwijderen, 2 ongewijzigd" in preview
    assert "5704 GH 1" in preview and "5703 EF 44-2" in preview  # the removal shown in plaintext
    with node.runtime.sessions.begin() as s:
        row = s.get(IndexUploadRow, location.rsplit("/", 1)[1])
        assert row is not None and (row.additions, row.removals) == (1, 1)
    confirm(node, location)
    expected = {pseudonym(a) for a in ["5701 AB 12a", "5702 CD 3", "5704 GH 1"]}
    assert expected <= hub.index() and pseudonym("5703 EF 44-2") not in hub.index()
    with node.runtime.sessions.begin() as s:
        held = {e.pseudonym for e in s.scalars(select(IndexEntryRow))}
    assert held == expected
    # Plaintext stays on the node, sealed; the hub holds pseudonyms only.
    for text in ("5704 GH 1", "5704GH", "5701 AB 12a", "5701AB|12"):
        assert text.encode() not in hub.stored_bytes()
        assert text.encode() not in node.store_bytes()


def test_a_send_while_the_hub_is_away_changes_nothing_and_can_be_retried(
    hub: Hub,
    node: PoliceNode,
) -> None:
    r = upload(node, "5705 JK 7\n")
    location = r.headers["location"]
    node.hub_away()
    page = confirm(node, location)
    assert "De uitwisselingsdienst is nu niet bereikbaar" in page
    assert "Opnieuw proberen" in page
    assert pseudonym("5705 JK 7") not in hub.index()
    with node.runtime.sessions.begin() as s:
        assert s.scalars(select(IndexEntryRow)).all() == []
        row = s.get(IndexUploadRow, location.rsplit("/", 1)[1])
        assert row is not None and (row.state, row.problem) == ("preview", "unreachable")
    node.hub_back()
    assert "Verzonden: 1 toegevoegd" in confirm(node, location)
    assert pseudonym("5705 JK 7") in hub.index()


def test_an_answer_survives_an_outage_and_is_sent_once_sealed_for_the_allowed_recipient(
    hub: Hub,
    node: PoliceNode,
) -> None:
    location = upload(node, "5706 LM 8\n").headers["location"]
    confirm(node, location)
    case_id = case_asking_police(hub.server.base, hub.keys, "5706 LM 8")

    listing = node.client.get("/verzoeken").text
    assert case_id in listing
    assert "5706 LM 8" in listing  # resolved on the node from its own index
    assert "Incidenten en mutaties op het adres" in listing and "Artikel 6" in listing
    assert re.search(r"Gevraagd door</dt><dd[^>]*>Gemeente Helmond</dd>", listing)  # the covenant's name
    request_id = re.findall(r'href="/verzoeken/([^"]+)"', listing)[-1]
    form = node.client.get(f"/verzoeken/{request_id}").text
    assert re.search(r'id="ontvangers">\s*<li>Gemeente Helmond', form)  # by its name

    node.hub_away()
    token = node.csrf("/start")
    answer = "Twee meldingen van overlast in 2026 op dit adres."
    r = node.client.post(
        f"/verzoeken/{request_id}/antwoord",
        data={"csrf": token, "case": case_id, "category": "politie-incidenten", "text": answer},
    )
    assert r.status_code == 303
    draft_page = node.client.get(r.headers["location"]).text
    assert "Nog te verzenden." in draft_page and "niet bereikbaar" in draft_page
    draft_id = r.headers["location"].rsplit("/", 1)[1]
    assert answer.encode() not in node.store_bytes()  # the draft is sealed at rest
    assert "nog te verzenden" in node.client.get("/verzoeken").text  # still listed while away

    with busy_hub() as url:  # a hub that answers 503: said so, and the draft stays
        node.runtime.settings = node.runtime.settings.model_copy(update={"hub_url": url})
        r = node.client.post(f"/concepten/{draft_id}/verzenden", data={"csrf": token})
        assert r.status_code == 303
        draft_page = node.client.get(f"/concepten/{draft_id}").text
        assert "De uitwisselingsdienst is nu druk of nog niet gereed" in draft_page
        assert "Nog te verzenden." in draft_page

    node.hub_back()
    listing = node.client.get("/verzoeken").text  # the visit sends it
    assert case_id not in listing
    with node.runtime.sessions.begin() as s:
        row = s.get(DraftRow, draft_id)
        assert row is not None and row.state == "sent" and row.recipients == "helmond"
        assert row.user_name == "a.agent" and row.envelope is not None
        envelope = row.envelope

    coord = hub.client("helmond")
    try:
        items = coord.get(f"/v1/cases/{case_id}/items").json()["items"]
        assert len(items) == 1
        item = decode(base64.b64decode(items[0]))
        assert item.header.recipient_parties == ("helmond",)  # sealed for exactly the allowed recipient
        police = hub.keys["politie-oost-brabant"].current
        opened = open_item(item, hub.keys["helmond"], {police.sign_kid: police.sign_public})
        assert opened.decode() == answer
        # A second try with the same Idempotency-Key is the hub's replay: the same answer, no new item.
        with connected(node.runtime, "a.agent", "employee") as client:
            again = store_item(client, case_id, envelope, draft_id)
        assert again == {"item": draft_id, "recipients": ["helmond"]}
        assert len(coord.get(f"/v1/cases/{case_id}/items").json()["items"]) == 1
    finally:
        coord.close()
    assert answer.encode() not in hub.stored_bytes()


def test_a_file_over_the_limit_and_a_form_without_its_token_are_refused(hub: Hub, node: PoliceNode) -> None:
    token = node.csrf("/index")
    big = b"5701 AB 12a\n" * (2 * 1024 * 1024 // 12 + 10)
    r = node.client.post(
        "/index",
        data={"csrf": token, "category": CATEGORY, "kind": "address"},
        files={"file": ("groot.txt", big, "text/plain")},
    )
    assert r.status_code == 413
    assert "Het bestand is groter dan 2 MB" in r.text
    r = node.client.post(
        "/index",
        data={"csrf": "wrong", "category": CATEGORY, "kind": "address"},
        files={"file": ("a.txt", b"5701 AB 12a\n", "text/plain")},
    )
    assert r.status_code == 403
    with node.runtime.sessions.begin() as s:
        assert s.scalars(select(IndexUploadRow)).all() == []


def test_two_tries_at_once_send_one_envelope_and_the_draft_stays_sent(
    hub: Hub,
    node: PoliceNode,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A try that starts while another is under way (a button and a page visit) sends the envelope
    the other kept, so the hub replays instead of refusing, and the draft ends sent, not refused."""
    case_id = case_asking_police(hub.server.base, hub.keys, "5708 PR 9")
    rt = node.runtime
    request = {"id": "enr-x", "case": case_id, "category": "politie-incidenten"}
    with rt.sessions.begin() as s:
        draft_id = answers.write(
            s, rt.data_key, request, b"Geen meldingen bekend.", None, 1, "a.agent", "employee", rt.clock()
        )
    real = provider_hub.recipients
    calls: list[int] = []

    def meanwhile(client: object, case: str, category: str) -> object:
        if not calls:
            calls.append(1)
            assert answers.send(rt, draft_id).state == "sent"  # the other try, all the way
        return real(client, case, category)  # type: ignore[arg-type]  # the client passed through

    monkeypatch.setattr(answers, "recipients", meanwhile)
    row = answers.send(rt, draft_id)
    assert row.state == "sent" and row.problem is None
    coord = hub.client("helmond")
    try:
        items = coord.get(f"/v1/cases/{case_id}/items").json()["items"]
    finally:
        coord.close()
    assert len(items) == 1
    assert row.envelope is not None and base64.b64decode(items[0]) == row.envelope


def test_a_draft_whose_author_was_disabled_is_not_sent_in_their_name(hub: Hub, node: PoliceNode) -> None:
    """A draft kept through an outage is never sent once its author's account is disabled or no
    longer holds the role: it is refused on the node, and the hub gets nothing."""
    case_id = case_asking_police(hub.server.base, hub.keys, "5708 PR 10")
    rt = node.runtime
    request = {"id": "enr-y", "case": case_id, "category": "politie-incidenten"}
    with rt.sessions.begin() as s:
        draft_id = answers.write(
            s, rt.data_key, request, b"Geen meldingen bekend.", None, 1, "a.agent", "employee", rt.clock()
        )
        disable_user(s, "a.agent", rt.clock())
    answers.send_pending(rt)
    with rt.sessions.begin() as s:
        row = s.get(DraftRow, draft_id)
        assert row is not None and (row.state, row.problem, row.envelope) == ("refused", "author-gone", None)
    coord = hub.client("helmond")
    try:
        assert coord.get(f"/v1/cases/{case_id}/items").json()["items"] == []
    finally:
        coord.close()


def test_the_index_and_an_answer_on_a_postgresql_store(
    hub: Hub, tmp_path: Path, pg_server: PostgresServer
) -> None:
    """The same steps on the node's PostgreSQL store: an index change of one addition and one
    removal, then an answer sent."""
    node = police_node(hub, tmp_path, pg_server.create_database(f"n{uuid.uuid4().hex[:12]}"))
    try:
        confirm(node, upload(node, "5709 RS 1\n5709 RS 2\n").headers["location"])
        location = upload(node, "5709 RS 2\n5709 RS 3\n").headers["location"]
        assert "1 toe te voegen, 1 te verwijderen, 1 ongewijzigd" in node.client.get(location).text
        assert "Verzonden: 1 toegevoegd en 1 verwijderd" in confirm(node, location)
        with node.runtime.sessions.begin() as s:
            held = {e.pseudonym for e in s.scalars(select(IndexEntryRow))}
        assert held == {pseudonym("5709 RS 2"), pseudonym("5709 RS 3")}
        case_id = case_asking_police(hub.server.base, hub.keys, "5709 RS 3")
        listing = node.client.get("/verzoeken").text
        assert "5709 RS 3" in listing
        request_id = re.findall(r'href="/verzoeken/([^"]+)"', listing)[-1]
        r = node.client.post(
            f"/verzoeken/{request_id}/antwoord",
            data={
                "csrf": node.csrf("/start"),
                "case": case_id,
                "category": "politie-incidenten",
                "text": "Niets bekend.",
            },
        )
        assert "Verzonden, versleuteld voor: helmond." in node.client.get(r.headers["location"]).text
    finally:
        node.client.close()
        node.runtime.engine.dispose()
