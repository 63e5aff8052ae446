"""The coordinator's casework on a node against a real hub: signals recorded sealed and listed,
forms refused field by field in Dutch, a case opened from a signal with pseudonyms only at the hub,
and a hub that is away or busy losing nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exchange.node.casework_store import CaseRow, CaseSubjectRow, SignalRow
from tests.integration.busy_hub import Busy
from tests.integration.casework_support import Hub, csrf_of, helmond_node, running_hub, sign_in
from tests.integration.node_support import Node
from tests.integration.store_dump import holds_postcode, sqlite_text

ADDRESS = "5701 AB 12a"
SECOND = "5702 CD 7"
DESCRIPTION = "Zes matrassen gezien op zolder van het pand"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub")) as h:
        yield h


@pytest.fixture
def node(hub: Hub, tmp_path: Path) -> Iterator[Node]:
    n = helmond_node(tmp_path, hub)
    yield n
    n.client.close()
    n.runtime.engine.dispose()


def _record(node: Node, csrf: str, **fields: str) -> str:
    data = {
        "csrf": csrf,
        "kind": "address",
        "subject": ADDRESS,
        "source": "Buurtbewoner",
        "theme": "Wonen",
        "description": DESCRIPTION,
        **fields,
    }
    r = node.client.post("/signalen/nieuw", data=data)
    return str(r.headers.get("location") or r.text)


def _signals(node: Node) -> int:
    with node.runtime.sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(SignalRow)) or 0)


def test_a_signal_is_recorded_sealed_and_listed(node: Node) -> None:
    """The signal shows in the list and on its page; the store holds its texts only sealed."""
    csrf = sign_in(node)
    where = _record(node, csrf)
    assert where.startswith("/signalen/")
    page = node.client.get(where)
    assert "Het signaal is op deze node vastgelegd" in page.text and DESCRIPTION in page.text
    listing = node.client.get("/signalen").text
    assert ADDRESS in listing and "Buurtbewoner" in listing
    raw = Path(node.runtime.settings.database_url().removeprefix("sqlite:///")).read_bytes()
    assert not holds_postcode(raw) and b"matrassen" not in raw and b"Buurtbewoner" not in raw


def test_a_bad_signal_gets_a_dutch_message_per_field_and_nothing_is_stored(node: Node) -> None:
    """Empty address, source, theme and a too short description: a summary linking each field."""
    csrf = sign_in(node)
    r = node.client.post(
        "/signalen/nieuw",
        data={
            "csrf": csrf,
            "kind": "address",
            "subject": " ",
            "source": "",
            "theme": "",
            "description": "kort",
        },
    )
    assert r.status_code == 400
    assert 'id="fouten"' in r.text and "Verbeter het volgende" in r.text
    for field, text in (
        ("subject", "Vul het adres in"),
        ("source", "Vul in waar het signaal vandaan komt"),
        ("theme", "Vul het thema"),
        ("description", "Schrijf ten minste 10 tekens"),
    ):
        assert f'href="#{field}"' in r.text and text in r.text
    assert 'aria-invalid="true" aria-describedby="subject-fout"' in r.text
    r = node.client.post(
        "/signalen/nieuw",
        data={
            "csrf": csrf,
            "kind": "address",
            "subject": "Dorpsstraat",
            "source": "x",
            "theme": "y",
            "description": DESCRIPTION,
        },
    )
    assert "Dit is geen adres" in r.text
    assert _signals(node) == 0


def test_a_signal_without_the_csrf_token_is_refused(node: Node) -> None:
    """No token, nothing stored."""
    sign_in(node)
    assert (
        node.client.post("/signalen/nieuw", data={"kind": "address", "subject": ADDRESS}).status_code == 403
    )
    assert _signals(node) == 0


def test_a_bad_case_form_is_refused_line_by_line(node: Node) -> None:
    """Unknown purpose, a line that is not an address (with its number), too many subjects, no reason."""
    csrf = sign_in(node)
    form = node.client.get("/casussen/nieuw").text
    assert "PIT 2021 staat ten hoogste 12 onderwerpen per casus toe." in form
    lines = "\n".join([ADDRESS, "geen adres", *[f"5701 AB {n}" for n in range(1, 13)]])
    r = node.client.post(
        "/casussen/nieuw",
        data={"csrf": csrf, "purpose": "pit:verzonnen", "kind": "address", "subjects": lines, "reason": ""},
    )
    assert r.status_code == 400
    assert "Kies een van de doelen van uw convenanten" in r.text
    assert "Regel 2 is geen adres" in r.text
    assert "Schrijf waarom dit signaal wordt opgepakt" in r.text
    r = node.client.post(
        "/casussen/nieuw",
        data={
            "csrf": csrf,
            "purpose": "pit:onrechtmatige-bewoning",
            "kind": "address",
            "subjects": lines.replace("geen adres", ""),
            "reason": "Drie signalen van overbewoning",
        },
    )
    assert "staat ten hoogste 12 onderwerpen per casus toe; u vulde er 13 in" in r.text
    with node.runtime.sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(CaseRow)) == 0


def test_a_case_opened_from_a_signal_holds_pseudonyms_only_at_the_hub(node: Node, hub: Hub) -> None:
    """The case page shows the addresses in plaintext; the hub's database holds none of them."""
    csrf = sign_in(node)
    ref = _record(node, csrf).split("/")[-1].split("?")[0]
    form = node.client.get(f"/casussen/nieuw?signaal={ref}").text
    assert ADDRESS in form
    r = node.client.post(
        "/casussen/nieuw",
        data={
            "csrf": csrf,
            "purpose": "pit:onrechtmatige-bewoning",
            "kind": "address",
            "subjects": f"{ADDRESS}\n\n{SECOND}\n5701ab12A",
            "reason": "Drie signalen van overbewoning",
            "signal": ref,
            "attempt": csrf_of(form).encode().hex()[:32].ljust(32, "0"),
        },
    )
    assert r.status_code == 303, r.text
    case_page = node.client.get(r.headers["location"])
    assert "De casus is geopend" in case_page.text
    assert ADDRESS in case_page.text and SECOND in case_page.text
    assert "signaal" in case_page.text  # the phase, by its Dutch name
    case_id = r.headers["location"].split("/")[-1].split("?")[0]
    with node.runtime.sessions.begin() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(CaseSubjectRow).where(CaseSubjectRow.case_id == case_id)
            )
            == 2
        )
        assert s.scalars(select(SignalRow.state).where(SignalRow.ref == ref)).one() == "case"
    assert ref not in node.client.get("/signalen").text
    assert case_id in node.client.get("/casussen").text
    dump = sqlite_text(hub.db)
    assert case_id in dump
    for secret in ("5701 AB", "5701AB", "5702 CD", "5702CD", "overbewoning", "Buurtbewoner", "matrassen"):
        assert secret not in dump
    hits = node.client.post(f"/casussen/{case_id}/hits", data={"csrf": csrf})
    assert hits.status_code == 303
    assert "Hit/no-hit" in node.client.get(f"/casussen/{case_id}").text
    moved = node.client.post(f"/casussen/{case_id}/fase", data={"csrf": csrf, "to": "selection"})
    assert moved.status_code == 303
    assert "selectie" in node.client.get(f"/casussen/{case_id}").text


@pytest.mark.parametrize("busy", [False, True], ids=["unreachable", "503"])
def test_a_hub_away_or_busy_loses_neither_signal_nor_form(hub: Hub, tmp_path: Path, busy: bool) -> None:
    """Opening a case while the hub is away: a Dutch message, the form as typed, the signal still open."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Busy) if busy else None
    if server is not None:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}" if server else "http://127.0.0.1:9"
    node = helmond_node(tmp_path, hub, hub_url=url)
    try:
        csrf = sign_in(node)
        ref = _record(node, csrf).split("/")[-1].split("?")[0]
        r = node.client.post(
            "/casussen/nieuw",
            data={
                "csrf": csrf,
                "purpose": "pit:onrechtmatige-bewoning",
                "kind": "address",
                "subjects": ADDRESS,
                "reason": "Drie signalen van overbewoning",
                "signal": ref,
            },
        )
        assert r.status_code == 502
        expected = "druk of nog niet gereed" if busy else "niet bereikbaar"
        assert expected in r.text and "Wat u invulde" in r.text
        assert ADDRESS in r.text and "Drie signalen van overbewoning" in r.text
        assert ref in node.client.get("/signalen").text
    finally:
        node.client.close()
        node.runtime.engine.dispose()
        if server is not None:
            server.shutdown()
            server.server_close()


def test_an_employee_cannot_reach_the_coordinators_pages(node: Node) -> None:
    """A user without the coordinator role gets a Dutch refusal, not the meldpunt."""
    node.add("a.bakker", "employee")
    sign_in_page = node.client.get("/aanmelden")
    from tests.integration.node_support import PASSWORD

    node.client.post(
        "/aanmelden", data={"name": "a.bakker", "password": PASSWORD, "csrf": csrf_of(sign_in_page.text)}
    )
    r = node.client.get("/signalen")
    assert r.status_code == 403 and "Niet voor uw rol" in r.text


def _open(node: Node, csrf: str, signal: str = "") -> str:
    r = node.client.post(
        "/casussen/nieuw",
        data={
            "csrf": csrf,
            "purpose": "pit:onrechtmatige-bewoning",
            "kind": "address",
            "subjects": ADDRESS,
            "reason": "Drie signalen van overbewoning",
            "signal": signal,
        },
    )
    assert r.status_code == 303, r.text
    return str(r.headers["location"]).split("/")[-1].split("?")[0]


def test_the_selection_reason_reaches_the_hub_only_sealed(node: Node, hub: Hub) -> None:
    """The move to preparation sends the reason kept on the node, sealed for the case's readers."""
    csrf = sign_in(node)
    case_id = _open(node, csrf)
    assert (
        node.client.post(f"/casussen/{case_id}/fase", data={"csrf": csrf, "to": "selection"}).status_code
        == 303
    )
    page = node.client.get(f"/casussen/{case_id}").text
    assert "Drie signalen van overbewoning" in page  # prefilled from the node's sealed copy
    short = node.client.post(
        f"/casussen/{case_id}/fase", data={"csrf": csrf, "to": "preparation", "reason": "kort"}
    )
    assert short.status_code == 400 and "Schrijf de reden in ten minste 10 tekens" in short.text
    moved = node.client.post(
        f"/casussen/{case_id}/fase",
        data={"csrf": csrf, "to": "preparation", "reason": "Drie signalen van overbewoning"},
    )
    assert moved.status_code == 303, moved.text
    assert "voorbereiding" in node.client.get(f"/casussen/{case_id}").text
    dump = sqlite_text(hub.db)
    assert "overbewoning" not in dump  # the hub accepted the move, so it got the reason sealed


def test_a_signal_is_forwarded_sealed_or_closed_and_leaves_the_list(node: Node, hub: Hub) -> None:
    """Forwarded to Senzer: the hub holds only ciphertext; closed: the reason is sealed on the node."""
    csrf = sign_in(node)
    first = _record(node, csrf).split("/")[-1].split("?")[0]
    refused = node.client.post(f"/signalen/{first}/doorsturen", data={"csrf": csrf, "to": "", "purpose": ""})
    assert refused.status_code == 400
    assert "Kies de partner bij wie het signaal hoort" in refused.text
    assert "Kies een van de doelen van uw convenanten" in refused.text
    r = node.client.post(
        f"/signalen/{first}/doorsturen",
        data={"csrf": csrf, "to": "senzer", "purpose": "pit:uitkeringsfraude"},
    )
    assert r.status_code == 303, r.text
    assert first not in node.client.get("/signalen").text
    dump = sqlite_text(hub.db)
    assert "matrassen" not in dump and "5701 AB" not in dump
    second = _record(node, csrf).split("/")[-1].split("?")[0]
    short = node.client.post(f"/signalen/{second}/sluiten", data={"csrf": csrf, "reason": "nee"})
    assert short.status_code == 400 and "in ten minste 10 tekens" in short.text
    closed = node.client.post(
        f"/signalen/{second}/sluiten", data={"csrf": csrf, "reason": "Al bekend bij de wijkagent"}
    )
    assert closed.status_code == 303
    assert second not in node.client.get("/signalen").text
    with node.runtime.sessions.begin() as s:
        states = dict(s.execute(select(SignalRow.ref, SignalRow.state)).all())
        sealed = s.scalars(select(SignalRow.closing_sealed).where(SignalRow.ref == second)).one()
    assert states == {first: "forwarded", second: "closed"}
    assert sealed is not None and b"wijkagent" not in sealed


def test_the_case_page_shows_what_the_node_knows_while_the_hub_is_away(node: Node) -> None:
    """Subjects in plaintext from the node's store, and a Dutch message instead of the hub's part."""
    csrf = sign_in(node)
    case_id = _open(node, csrf)
    node.runtime.settings.hub_url = "http://127.0.0.1:9"  # the hub goes away
    page = node.client.get(f"/casussen/{case_id}")
    assert page.status_code == 200
    assert "De uitwisselingsdienst is nu niet bereikbaar" in page.text and ADDRESS in page.text
    hits = node.client.post(f"/casussen/{case_id}/hits", data={"csrf": csrf})
    assert hits.status_code == 502 and "niet bereikbaar" in hits.text
