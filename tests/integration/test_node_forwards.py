"""A signal Helmond's coordinator forwards to Senzer, received on Senzer's node: listed as new from
the hub's inbox, opened on the node with Senzer's keys after the sender's signature is checked, then
kept sealed there (the hub lists a forward only until it is opened); without a token or a role
nothing is opened."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from exchange.client.forwards import forward_signal
from exchange.client.http import ExchangeClient
from tests.integration.casework_support import Hub, partner_node, running_hub, sign_in
from tests.integration.node_support import Node
from tests.integration.store_dump import sqlite_text

TEXT = "Bewoner van 5703 GH 40 ontvangt bijstand en woont volgens de buren samen sinds de zomer."


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub")) as h:
        yield h


@pytest.fixture
def senzer(hub: Hub, tmp_path: Path) -> Iterator[Node]:
    n = partner_node(tmp_path, hub, "senzer", ("s.smit", "employee"))
    yield n
    n.client.close()
    n.runtime.engine.dispose()


def test_a_forwarded_signal_is_opened_on_the_receiving_node_and_kept_sealed(hub: Hub, senzer: Node) -> None:
    coord = ExchangeClient(hub.base, hub.stores["helmond"].keys.current, "h.smit", "coordinator")
    try:
        sent = forward_signal(coord, hub.stores["helmond"].keys, "senzer", "uitkeringsfraude", "pit", TEXT)
    finally:
        coord.close()
    forward_id = str(sent["id"])
    csrf = sign_in(senzer, "s.smit", "/start")
    page = senzer.client.get("/doorgestuurd").text
    assert "Van Gemeente Helmond, voor Bestrijding van onrechtmatig verkregen uitkeringen" in page
    action = f"/doorgestuurd/{forward_id}/openen"
    assert f'action="{action}"' in page and TEXT not in page
    assert senzer.client.post(action, data={}).status_code == 403  # no token: not opened
    assert forward_id in senzer.client.get("/doorgestuurd").text
    opened = senzer.client.post(action, data={"csrf": csrf})
    assert opened.status_code == 303, opened.text
    after = senzer.client.get("/doorgestuurd").text
    assert TEXT in after and f'action="{action}"' not in after  # opened once: no longer new at the hub
    assert "Geen nieuwe doorgestuurde signalen." in after
    held = b"".join(p.read_bytes() for p in senzer.runtime.settings.data_dir.rglob("*") if p.is_file())
    assert TEXT.encode() not in held and b"5703 GH 40" not in held  # sealed on the node
    dump = sqlite_text(hub.db)
    assert "5703 GH 40" not in dump and "samen sinds de zomer" not in dump
    assert senzer.client.post("/doorgestuurd/fwd-nonsense/openen", data={"csrf": csrf}).status_code == 404
