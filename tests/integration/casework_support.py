"""A real hub in a thread (SQLite, the shipped covenants) with parties registered and PIT's pseudonym
key distributed by Helmond, and a node for Helmond on its keystore: what the casework tests need."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from exchange.api.app import create_app
from exchange.client.http import ExchangeClient
from exchange.client.pseudonym_keys import distribute, fetch
from exchange.config import Settings
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import Keystore, write_keystore
from exchange.storage.db import make_engine, session_factory
from exchange.storage.parties import register_party
from exchange.storage.schema import upgrade
from tests.conftest import CONVENANT
from tests.integration.node_support import FAST, PASSPHRASE, Node, make_node, node_settings
from tests.service_process import free_port

PARTIES = ("helmond", "senzer", "politie-oost-brabant")


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        pass


@dataclass
class Hub:
    base: str
    db: Path
    stores: dict[str, Keystore]


@contextmanager
def running_hub(directory: Path, parties: tuple[str, ...] = PARTIES) -> Iterator[Hub]:
    """The hub with ``parties`` registered (Helmond first: it distributes PIT's pseudonym key)."""
    now = datetime.now(UTC)
    settings = Settings(
        mode="dev",
        database_url=f"sqlite:///{directory / 'hub.db'}",
        convenant_dir=CONVENANT,
        log_origin="exchange.test/log",
        log_key_file=directory / "log-key",
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    keys = {p: PartyKeys.create(p, now) for p in parties}
    with session_factory(engine).begin() as s:
        for p, k in keys.items():
            register_party(s, p, p, [v.to_data(p) for v in k.public()], now)
    server = _Server(
        uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{server.config.port}"
    stores = {p: Keystore(keys[p]) for p in parties}
    coord = ExchangeClient(base, keys["helmond"].current, "coord-1", "coordinator")

    def keep(store: Keystore) -> None:
        stores["helmond"] = store

    distribute(coord, stores["helmond"], "pit", keep)
    for p in parties[1:]:
        stores[p], _ = fetch(ExchangeClient(base, keys[p].current, "u-1", "employee"), stores[p], "pit")
    try:
        yield Hub(base, directory / "hub.db", stores)
    finally:
        server.should_exit = True
        thread.join(10)
        engine.dispose()


def partner_node(directory: Path, hub: Hub, party: str, *users: tuple[str, str]) -> Node:
    """``party``'s node on the keystore the hub knows, with ``users`` as (name, role)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_keystore(directory / f"{party}.keystore", hub.stores[party], PASSPHRASE, FAST)
    (directory / "passphrase").write_text(PASSPHRASE, encoding="utf-8")
    node = make_node(node_settings(directory, party=party, hub_url=hub.base))
    for name, role in users:
        node.add(name, role)
    return node


def helmond_node(directory: Path, hub: Hub | None, hub_url: str | None = None) -> Node:
    """Helmond's node on the keystore the hub knows, with coordinator j.jansen."""
    directory.mkdir(parents=True, exist_ok=True)
    if hub is not None:
        write_keystore(directory / "helmond.keystore", hub.stores["helmond"], PASSPHRASE, FAST)
        (directory / "passphrase").write_text(PASSPHRASE + "\n", encoding="utf-8")
    node = make_node(node_settings(directory, hub_url=hub_url or (hub.base if hub else "http://127.0.0.1:9")))
    node.add("j.jansen", "coordinator")
    return node


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None, html
    return match.group(1)


def sign_in(node: Node, name: str = "j.jansen", page: str = "/signalen") -> str:
    """Sign in; the session's CSRF token (from the sign-out form of ``page``, one the user may see)."""
    from tests.integration.node_support import PASSWORD

    form = node.client.get("/aanmelden")
    node.client.post("/aanmelden", data={"name": name, "password": PASSWORD, "csrf": csrf_of(form.text)})
    return csrf_of(node.client.get(page).text)
