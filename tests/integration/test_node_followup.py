"""A case after its action, across two nodes and a real hub: Helmond's coordinator gives the police an
action point, the police's node shows it due and marks it done (with a sealed reason once overdue),
and Helmond sees it done; findings by their covenant names; the outcome fed back and seen on the
police's node; a jurist's review and the closure. The start page per role and its counts, an
employee refused on every coordinator form without the hub hearing of it, and Dutch field errors."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient

from exchange.client.http import ExchangeClient
from exchange.crypto.keystore import Keystore, write_keystore
from exchange.node.accounts import add_user
from exchange.node.runtime import NodeRuntime, start
from exchange.node.settings import PasswordProfile
from exchange.node.web import create_app
from exchange.policies.engine import LEGAL_TIMEZONE
from tests.conftest import convenant_today
from tests.integration.busy_hub import Busy
from tests.integration.casework_support import csrf_of
from tests.integration.node_support import FAST, PASSPHRASE, PASSWORD, node_settings
from tests.integration.provider_support import (
    CATEGORY,
    PIT_KEY,
    POLICE,
    Hub,
    PoliceNode,
    hub_fixture,  # noqa: F401  (the fixture 'hub': a hub process for this module)
    police_node,
)

ADDRESS = "5709 XY 3"
REASON = "Drie signalen van overbewoning op dit adres"


@dataclass
class Helmond:
    runtime: NodeRuntime
    client: TestClient

    def sign_in(self, name: str) -> str:
        self.client.cookies.clear()
        form = self.client.get("/aanmelden").text
        r = self.client.post("/aanmelden", data={"name": name, "password": PASSWORD, "csrf": csrf_of(form)})
        assert r.headers["location"] == "/start"
        return csrf_of(self.client.get("/start").text)

    def hub_at(self, url: str) -> None:
        self.runtime.settings = self.runtime.settings.model_copy(update={"hub_url": url})


def helmond_node(hub: Hub, directory: Path) -> Helmond:
    """Helmond's node on the hub's keys with PIT's pseudonym key: coordinator and jurist j.jansen,
    employee a.bakker. Its clock is the real one, as the hub's."""
    directory.mkdir(parents=True, exist_ok=True)
    write_keystore(
        directory / "helmond.keystore", Keystore(hub.keys["helmond"], (PIT_KEY,)), PASSPHRASE, FAST
    )
    (directory / "passphrase").write_text(PASSPHRASE, encoding="utf-8")
    runtime = start(node_settings(directory, hub_url=hub.server.base, convenant_dir=convenant_today()))
    with runtime.sessions.begin() as s:
        for name, roles in (("j.jansen", ["coordinator", "jurist"]), ("a.bakker", ["employee"])):
            add_user(s, runtime.party, name, roles, PASSWORD, runtime.clock(), PasswordProfile.TESTS_ONLY)
    client = TestClient(create_app(runtime), base_url="https://testserver", follow_redirects=False)
    return Helmond(runtime, client)


@pytest.fixture
def helmond(hub: Hub, tmp_path: Path) -> Iterator[Helmond]:
    node = helmond_node(hub, tmp_path / "helmond")
    yield node
    node.client.close()
    node.runtime.engine.dispose()


@pytest.fixture
def police(hub: Hub, tmp_path: Path) -> Iterator[PoliceNode]:
    node = police_node(hub, tmp_path / "police")
    yield node
    node.client.close()
    node.runtime.engine.dispose()


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def _answer(self) -> None:
        type(self).seen.append(f"{self.command} {self.path}")
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


def _moved(node: Helmond, csrf: str, case_id: str, to: str, reason: str = "") -> None:
    r = node.client.post(f"/casussen/{case_id}/fase", data={"csrf": csrf, "to": to, "reason": reason})
    assert r.status_code == 303, r.text


def _case_in_action(hub: Hub, helmond: Helmond, police: PoliceNode, csrf: str) -> str:
    """A case on ADDRESS opened on Helmond's node, the police asked for incidents and answering on
    its node, moved on to the action."""
    token = police.csrf("/index")
    r = police.client.post(
        "/index",
        data={"csrf": token, "category": CATEGORY, "kind": "address"},
        files={"file": ("adressen.txt", f"{ADDRESS}\n".encode(), "text/plain")},
    )
    location = r.headers["location"]
    assert (
        police.client.post(location + "/verzenden", data={"csrf": police.csrf(location)}).status_code == 303
    )
    r = helmond.client.post(
        "/casussen/nieuw",
        data={
            "csrf": csrf,
            "purpose": "pit:onrechtmatige-bewoning",
            "kind": "address",
            "subjects": ADDRESS,
            "reason": REASON,
        },
    )
    assert r.status_code == 303, r.text
    case_id = str(r.headers["location"]).split("/")[-1].split("?")[0]
    _moved(helmond, csrf, case_id, "selection")
    _moved(helmond, csrf, case_id, "preparation", REASON)
    r = helmond.client.post(f"/casussen/{case_id}/partijen", data={"csrf": csrf, "party": POLICE})
    assert r.status_code == 303, r.text
    coord = ExchangeClient(hub.server.base, hub.keys["helmond"].current, "j.jansen", "coordinator")
    asked = coord.post(
        f"/v1/cases/{case_id}/enrichment-requests", {"provider": POLICE, "categories": ["politie-incidenten"]}
    )
    coord.close()
    assert asked.status_code == 200, asked.text

    start_page = police.client.get("/start").text  # the employee's start page: the request waits
    assert re.search(
        r'id="wachtende-verzoeken">\s*<li[^>]*><a[^>]*>Incidenten en mutaties op het adres', start_page
    )
    assert 'id="nav-verzoeken">(1)' in start_page
    listing = police.client.get("/verzoeken").text
    request_id = re.findall(r'href="/verzoeken/([^"]+)"', listing)[-1]
    r = police.client.post(
        f"/verzoeken/{request_id}/antwoord",
        data={
            "csrf": police.csrf("/start"),
            "case": case_id,
            "category": "politie-incidenten",
            "text": "Twee meldingen van overlast in 2026.",
        },
    )
    assert r.status_code == 303, r.text
    _moved(helmond, csrf, case_id, "action")
    return case_id


def _deadline(days: int) -> str:
    return (datetime.now(LEGAL_TIMEZONE) + timedelta(days=days)).strftime("%d-%m-%Y")


def test_follow_up_across_two_nodes_from_action_point_to_closure(
    hub: Hub, helmond: Helmond, police: PoliceNode
) -> None:
    """Action point due at the police, marked done there and seen done at Helmond; a finding by its
    names; the outcome seen on the police's node; the review; the closure; the start pages' lists."""
    csrf = helmond.sign_in("j.jansen")
    case_id = _case_in_action(hub, helmond, police, csrf)

    # Something new since j.jansen last opened the case: the police's answer, sealed for Helmond.
    start_page = helmond.client.get("/start").text
    assert re.search(rf'id="nieuwe-casussen">\s*<li[^>]*><a[^>]*href="/casussen/{case_id}"', start_page)
    assert "nieuwe stukken of teksten: 1" in start_page
    assert 'id="nav-casussen">(1 nieuw)' in start_page
    page = helmond.client.get(f"/casussen/{case_id}").text
    assert "Nog geen actiepunten." in page and 'id="actiepunt-nieuw"' in page
    assert 'id="nav-casussen"' not in page  # the menu forgets a case once it is opened
    start_page = helmond.client.get("/start").text
    assert "Niets nieuws in uw open casussen." in start_page and 'id="nav-casussen"' not in start_page

    r = helmond.client.post(
        f"/casussen/{case_id}/actiepunten",
        data={"csrf": csrf, "kind": "reinspection", "owner": POLICE, "deadline": _deadline(3)},
    )
    assert r.status_code == 303, r.text
    page = helmond.client.get(f"/casussen/{case_id}").text
    row = re.search(r'id="actiepunt-tabel".*?</table>', page, re.S)
    assert row is not None
    assert "Hercontrole" in row.group(0) and "Politie Oost-Brabant" in row.group(0)
    assert "Verloopt binnenkort" in row.group(0)

    # The police's node: due on the employee's start page and in the menu; marked done there.
    start_page = police.client.get("/start").text
    assert re.search(r'id="actiepunten-ons">\s*<li[^>]*>Hercontrole, casus ' + case_id, start_page)
    assert "Verloopt binnenkort" in start_page and 'id="nav-actiepunten">(1)' in start_page
    listing = police.client.get("/actiepunten").text
    action_id = re.findall(rf'action="/actiepunten/{case_id}/([^"]+)"', listing)[0]
    r = police.client.post(
        f"/actiepunten/{case_id}/{action_id}", data={"csrf": police.csrf("/actiepunten"), "status": "done"}
    )
    assert r.status_code == 303, r.text
    assert 'id="geen-actiepunten"' in police.client.get(r.headers["location"]).text
    row = re.search(r'id="actiepunt-tabel".*?</table>', helmond.client.get(f"/casussen/{case_id}").text, re.S)
    assert row is not None and "afgerond" in row.group(0)

    # An action point whose deadline passes: done only with a reason, which leaves the node sealed.
    soon = (datetime.now(UTC) + timedelta(seconds=2)).astimezone(LEGAL_TIMEZONE).isoformat(timespec="seconds")
    r = helmond.client.post(
        f"/casussen/{case_id}/actiepunten",
        data={"csrf": csrf, "kind": "benefit-review", "owner": POLICE, "deadline": soon},
    )
    assert r.status_code == 303, r.text
    time.sleep(2.5)
    listing = police.client.get("/actiepunten").text
    assert "Te laat" in listing
    late_id = re.findall(rf'action="/actiepunten/{case_id}/([^"]+)"', listing)[0]
    token = police.csrf("/actiepunten")
    r = police.client.post(
        f"/actiepunten/{case_id}/{late_id}", data={"csrf": token, "status": "done", "overdue": "1"}
    )
    assert r.status_code == 400 and "De uiterste datum is voorbij: schrijf waarom" in r.text
    assert f'href="#reason-{late_id}"' in r.text
    late_reason = "Hercontrole liep vertraging op door ziekte"
    r = police.client.post(
        f"/actiepunten/{case_id}/{late_id}",
        data={"csrf": token, "status": "done", "overdue": "1", "reason": late_reason},
    )
    assert r.status_code == 303, r.text
    assert late_reason.encode() not in hub.stored_bytes()

    # Findings by the covenant's names; a bad count is refused in Dutch.
    bad = helmond.client.post(
        f"/casussen/{case_id}/bevindingen", data={"csrf": csrf, "category": "", "code": "", "count": "nul"}
    )
    assert bad.status_code == 400
    for text in (
        "Kies de categorie.",
        "Kies wat er is vastgesteld.",
        "een heel getal van 1 tot en met 100000",
    ):
        assert text in bad.text
    r = helmond.client.post(
        f"/casussen/{case_id}/bevindingen",
        data={"csrf": csrf, "category": "bag-gebruik", "code": "illegale-bewoning", "count": "2"},
    )
    assert r.status_code == 303, r.text
    page = helmond.client.get(f"/casussen/{case_id}").text
    table = re.search(r'id="bevinding-tabel".*?</table>', page, re.S)
    assert table is not None
    assert "Gemeente Helmond" in table.group(0)
    assert "Bewoning in strijd met het bestemmingsplan of de bouwregels" in table.group(0)
    assert "illegale-bewoning" not in table.group(0)

    # Feedback: only in the phase feedback; the police's node shows it.
    assert 'action="/casussen/' + case_id + '/terugkoppeling"' not in page
    _moved(helmond, csrf, case_id, "follow-up")
    _moved(helmond, csrf, case_id, "feedback")
    r = helmond.client.post(f"/casussen/{case_id}/terugkoppeling", data={"csrf": csrf, "outcome": ""})
    assert r.status_code == 400 and "Kies de uitkomst." in r.text
    r = helmond.client.post(
        f"/casussen/{case_id}/terugkoppeling", data={"csrf": csrf, "outcome": "violation-found"}
    )
    assert r.status_code == 303, r.text
    assert "Overtreding vastgesteld" in helmond.client.get(f"/casussen/{case_id}").text
    start_page = police.client.get("/start").text
    assert "Casussen met een uitkomst teruggekoppeld aan uw organisatie: 1" in start_page
    received = police.client.get("/terugkoppeling").text
    assert case_id in received and "Overtreding vastgesteld" in received

    # The jurist's review, then the closure with its reason sealed.
    bad = helmond.client.post(
        f"/casussen/{case_id}/toetsing", data={"csrf": csrf, "verdict": "", "note": "kort"}
    )
    assert bad.status_code == 400
    assert "Kies uw oordeel." in bad.text and "Schrijf de reden in ten minste 10 tekens" in bad.text
    note = "De selectie past binnen artikel 6 van het convenant"
    r = helmond.client.post(
        f"/casussen/{case_id}/toetsing", data={"csrf": csrf, "verdict": "approved", "note": note}
    )
    assert r.status_code == 303, r.text
    page = helmond.client.get(f"/casussen/{case_id}").text
    assert re.search(r'id="toetsingen">\s*<li[^>]*>Gemeente Helmond: <strong>Akkoord', page)
    _moved(helmond, csrf, case_id, "closed", "Overtreding vastgesteld en gehandhaafd")
    page = helmond.client.get(f"/casussen/{case_id}").text
    assert "gesloten" in page and 'id="actiepunt-nieuw"' not in page and "/toetsing" not in page
    stored = hub.stored_bytes()
    assert note.encode() not in stored and b"gehandhaafd" not in stored
    assert case_id not in helmond.client.get("/start").text  # a closed case is not "new"


def test_an_employee_is_refused_every_coordinator_form_and_the_hub_hears_nothing(
    helmond: Helmond,
) -> None:
    """Each follow-up POST as an employee: 403 in Dutch, and no request reaches the hub."""
    csrf = helmond.sign_in("a.bakker")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.seen = []
    helmond.hub_at(f"http://127.0.0.1:{server.server_port}")
    try:
        for path, data in (
            ("actiepunten", {"kind": "reinspection", "owner": POLICE, "deadline": _deadline(3)}),
            ("actiepunten/act-1", {"status": "done"}),
            ("bevindingen", {"category": "bag-gebruik", "code": "illegale-bewoning", "count": "1"}),
            ("terugkoppeling", {"outcome": "no-action"}),
            ("toetsing", {"verdict": "approved", "note": "Past binnen het convenant"}),
            ("fase", {"to": "closed", "reason": "Geen aanleiding meer"}),
        ):
            r = helmond.client.post(f"/casussen/case-1/{path}", data={"csrf": csrf, **data})
            assert r.status_code == 403, path
            assert "Niet voor uw rol" in r.text
        assert _Recorder.seen == []
    finally:
        server.shutdown()
        server.server_close()


def test_a_bad_action_point_gets_a_message_per_field_and_the_hub_away_loses_the_form(
    hub: Hub, helmond: Helmond, police: PoliceNode
) -> None:
    """No kind, no partner, not a date, a date passed; then the hub away: the form as typed."""
    csrf = helmond.sign_in("j.jansen")
    case_id = _case_in_action(hub, helmond, police, csrf)
    r = helmond.client.post(
        f"/casussen/{case_id}/actiepunten", data={"csrf": csrf, "kind": "", "owner": "", "deadline": "morgen"}
    )
    assert r.status_code == 400 and 'id="fouten"' in r.text
    for field, text in (
        ("action-kind", "Kies wat er moet gebeuren."),
        ("action-owner", "Kies de partner die het uitvoert."),
        ("action-deadline", "Dit is geen datum. Schrijf hem als 31-12-2026."),
    ):
        assert f'href="#{field}"' in r.text and text in r.text
    assert 'aria-invalid="true" aria-describedby="action-deadline-fout"' in r.text
    r = helmond.client.post(
        f"/casussen/{case_id}/actiepunten",
        data={"csrf": csrf, "kind": "fine", "owner": POLICE, "deadline": "01-01-2020"},
    )
    assert r.status_code == 400 and "De uiterste datum moet in de toekomst liggen." in r.text
    helmond.hub_at("http://127.0.0.1:9")
    r = helmond.client.post(
        f"/casussen/{case_id}/actiepunten",
        data={"csrf": csrf, "kind": "fine", "owner": POLICE, "deadline": _deadline(5)},
    )
    assert r.status_code == 502 and "niet bereikbaar" in r.text
    assert f'value="{_deadline(5)}"' in r.text
    helmond.hub_at(hub.server.base)
    kept = re.search(r'name="attempt" value="([0-9a-f]{32})"', r.text)
    assert kept is not None  # the form to send again carries the same Idempotency-Key
    assert "Nog geen actiepunten." in helmond.client.get(f"/casussen/{case_id}").text
    for _ in range(2):  # sent twice, as after a timeout: one action point
        again = helmond.client.post(
            f"/casussen/{case_id}/actiepunten",
            data={
                "csrf": csrf,
                "kind": "fine",
                "owner": POLICE,
                "deadline": _deadline(5),
                "attempt": kept.group(1),
            },
        )
        assert again.status_code == 303, again.text
    table = re.search(
        r'id="actiepunt-tabel".*?</table>', helmond.client.get(f"/casussen/{case_id}").text, re.S
    )
    assert table is not None and table.group(0).count("Boete") == 1


def test_a_busy_hub_keeps_the_owners_reason_on_the_page_to_send_again(police: PoliceNode) -> None:
    """The hub answers 503 while the police mark an action point done: said so in Dutch, and the
    reason typed stays on the page in a form that sends it again."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    police.runtime.settings = police.runtime.settings.model_copy(
        update={"hub_url": f"http://127.0.0.1:{server.server_port}"}
    )
    try:
        listing = police.client.get("/actiepunten")
        assert listing.status_code == 200 and "druk of nog niet gereed" in listing.text
        reason = "Hercontrole liep vertraging op door ziekte"
        r = police.client.post(
            "/actiepunten/case-1/act-1",
            data={"csrf": police.csrf("/start"), "status": "done", "overdue": "1", "reason": reason},
        )
        assert r.status_code == 502 and "druk of nog niet gereed" in r.text
        assert 'action="/actiepunten/case-1/act-1"' in r.text and f'name="reason" value="{reason}"' in r.text
    finally:
        police.hub_back()
        server.shutdown()
        server.server_close()
