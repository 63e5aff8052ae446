"""A real hub (its own process on SQLite) and a police node that talks to it, for the provider's
pages: the node's index, the enrichment requests waiting for it, and its answers."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from exchange.client.http import ExchangeClient
from exchange.client.texts import seal_text
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import Keystore, write_keystore
from exchange.crypto.pseudonym import PseudonymKey, pseudonymise
from exchange.crypto.subjects import normalise_address
from exchange.node.accounts import add_user
from exchange.node.runtime import NodeRuntime, start
from exchange.node.settings import NodeSettings, PasswordProfile
from exchange.node.web import create_app
from tests.conftest import convenant_today
from tests.integration.node_support import FAST, NO_HUB, PASSPHRASE, PASSWORD
from tests.service_process import ServiceProcess, sqlite_hub

POLICE = "politie-oost-brabant"
PARTIES = ("helmond", POLICE, "senzer", "vrbzo")
PIT_KEY = PseudonymKey("pit", 1, b"\x33" * 32)
CATEGORY = "pit:politie-incidenten"


@dataclass
class Hub:
    server: ServiceProcess
    db_path: Path
    keys: dict[str, PartyKeys]

    def client(self, party: str, user: str = "coord-1", role: str = "coordinator") -> ExchangeClient:
        return ExchangeClient(self.server.base, self.keys[party].current, user, role)

    def index(self, party: str = POLICE) -> set[str]:
        with sqlite3.connect(self.db_path) as conn:
            rows = conn.execute("SELECT subject FROM hit_index WHERE party = ?", (party,)).fetchall()
        return {str(r[0]) for r in rows}

    def stored_bytes(self) -> bytes:
        """The hub's database and its WAL, as bytes on disk."""
        return b"".join(p.read_bytes() for p in self.db_path.parent.glob(self.db_path.name + "*"))


@pytest.fixture(scope="module", name="hub")
def hub_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    workdir = tmp_path_factory.mktemp("hub")
    server, keys = sqlite_hub(workdir, PARTIES, "provider.exchange/log")
    db_path = workdir / "exchange.db"
    try:
        yield Hub(server, db_path, keys)
    finally:
        server.stop()


@dataclass
class PoliceNode:
    runtime: NodeRuntime
    client: TestClient
    hub_url: str

    def hub_away(self) -> None:
        self.runtime.settings = self.runtime.settings.model_copy(update={"hub_url": NO_HUB})

    def hub_back(self) -> None:
        self.runtime.settings = self.runtime.settings.model_copy(update={"hub_url": self.hub_url})

    def csrf(self, path: str) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.client.get(path).text)
        assert match is not None
        return match.group(1)

    def store_bytes(self) -> bytes:
        directory = self.runtime.settings.data_dir
        return b"".join(p.read_bytes() for p in directory.glob("node.db*"))


def police_node(hub: Hub, directory: Path, store_url: str | None = None) -> PoliceNode:
    """A police node on a fresh store (SQLite, or ``store_url``), signed in as an employee."""
    directory.mkdir(parents=True, exist_ok=True)
    keystore = directory / "police.keystore"
    write_keystore(keystore, Keystore(hub.keys[POLICE], (PIT_KEY,)), PASSPHRASE, FAST)
    (directory / "passphrase").write_text(PASSPHRASE, encoding="utf-8")
    settings = NodeSettings(
        hub_url=hub.server.base,
        party=POLICE,
        keystore=keystore,
        passphrase_file=directory / "passphrase",
        data_dir=directory / "node",
        convenant_dir=convenant_today(),
        password_profile=PasswordProfile.TESTS_ONLY,
        hub_timeout_seconds=5.0,
    )
    if store_url is not None:
        settings = settings.model_copy(update={"store_url": SecretStr(store_url)})
    runtime = start(settings)
    with runtime.sessions.begin() as s:
        add_user(
            s, runtime.party, "a.agent", ["employee"], PASSWORD, runtime.clock(), PasswordProfile.TESTS_ONLY
        )
    client = TestClient(create_app(runtime), base_url="https://testserver", follow_redirects=False)
    node = PoliceNode(runtime, client, hub.server.base)
    token = node.csrf("/aanmelden")
    r = client.post("/aanmelden", data={"name": "a.agent", "password": PASSWORD, "csrf": token})
    assert r.headers["location"] == "/start"
    return node


def pseudonym(address: str) -> str:
    return str(pseudonymise(normalise_address(address), PIT_KEY))


def case_asking_police(base: str, keys: dict[str, PartyKeys], address: str) -> str:
    """Helmond opens a PIT case on ``address`` at the hub ``base``, prepares it, and asks the police
    for incidents."""
    coord = ExchangeClient(base, keys["helmond"].current, "coord-1", "coordinator")
    try:
        case_id = str(
            coord.post(
                "/v1/cases",
                {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [pseudonym(address)]},
            ).json()["id"]
        )
        coord.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"})
        reason = seal_text(
            coord, keys["helmond"], case_id, "selection-reason", "Drie signalen van overbewoning."
        )
        r = coord.post(f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": reason})
        assert r.status_code == 200, r.text
        r = coord.post(
            f"/v1/cases/{case_id}/enrichment-requests",
            {"provider": POLICE, "categories": ["politie-incidenten"]},
        )
        assert r.status_code == 200 and r.json()[0]["requested"] is True, r.text
    finally:
        coord.close()
    return case_id
