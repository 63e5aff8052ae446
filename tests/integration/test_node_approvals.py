"""Covenant revisions on the node: a privacy officer of a signatory sees the proposed version with
what the party is asked to do and its impact, and approves it with one button, over the signed API
as the signed-in user; other roles are refused and a form without its token changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exchange.client import revisions
from exchange.client.http import ExchangeClient
from exchange.policies.engine import LEGAL_TIMEZONE
from tests.integration.casework_support import Hub, partner_node, running_hub, sign_in
from tests.integration.node_support import Node
from tests.integration.revision_support import DROPPED_FLOW, digest_of, revision


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub")) as h:
        yield h


@pytest.fixture
def senzer(hub: Hub, tmp_path: Path) -> Iterator[Node]:
    n = partner_node(tmp_path, hub, "senzer", ("p.privacy", "privacy-officer"), ("e.smit", "employee"))
    yield n
    n.client.close()
    n.runtime.engine.dispose()


def _propose(hub: Hub) -> str:
    today = datetime.now(UTC).astimezone(LEGAL_TIMEZONE).date()
    files = revision("2026-n1", today, DROPPED_FLOW)
    jurist = ExchangeClient(hub.base, hub.stores["helmond"].keys.current, "jurist-1", "jurist")
    try:
        r = jurist.post("/v1/covenant-versions", {"files": files, "digest": digest_of(files)})
        assert r.status_code == 201, r.text
        return str(r.json()["digest"])
    finally:
        jurist.close()


def test_a_privacy_officer_approves_a_proposed_version_on_the_node(hub: Hub, senzer: Node) -> None:
    digest = _propose(hub)
    csrf = sign_in(senzer, "p.privacy", "/start")
    assert 'href="/convenantversies"' in senzer.client.get("/start").text
    page = senzer.client.get("/convenantversies").text
    assert "PIT 2026-n1" in page and "wacht op goedkeuring" in page and "Gemeente Helmond" in page
    assert "wordt gevraagd goed te keuren" in page and "Effect op eerdere besluiten" in page
    action = f"/convenantversies/{digest}/goedkeuren"
    assert f'action="{action}"' in page
    assert senzer.client.post(action, data={}).status_code == 403  # no token: nothing asked of the hub
    done = senzer.client.post(action, data={"csrf": csrf})
    assert done.status_code == 303, done.text
    after = senzer.client.get(done.headers["location"]).text
    assert "De goedkeuring van uw organisatie is bij de hub vastgelegd" in after
    assert "heeft goedgekeurd" in after and f'action="{action}"' not in after
    reader = ExchangeClient(hub.base, hub.stores["senzer"].keys.current, "p.privacy", "privacy-officer")
    try:
        approvals = revisions.show(reader, digest)["approvals"]
    finally:
        reader.close()
    assert {(a["party"], a["user"], a["role"]) for a in approvals} >= {
        ("senzer", "p.privacy", "privacy-officer")
    }
    again = senzer.client.post(action, data={"csrf": csrf})  # approved already: the hub says so
    assert again.status_code == 409 and re.search(r"niet (toe|ge)", again.text)


def test_an_employee_is_refused_and_asks_the_hub_nothing(senzer: Node) -> None:
    csrf = sign_in(senzer, "e.smit", "/start")
    assert 'href="/convenantversies"' not in senzer.client.get("/start").text
    assert senzer.client.get("/convenantversies").status_code == 403
    r = senzer.client.post("/convenantversies/sha256-0123456789abcdef/goedkeuren", data={"csrf": csrf})
    assert r.status_code == 403 and "jurist of privacyfunctionaris" in r.text
