"""A party node serving its workspace on a free port for the browser tests, on a keystore the test's
hub knows (with the covenant's pseudonym key), with the given local accounts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from exchange.cli.demo import _free_port, _Server
from exchange.client.http import ExchangeClient
from exchange.client.pseudonym_keys import fetch
from exchange.crypto.keystore import Keystore, write_keystore
from exchange.node.accounts import add_user
from exchange.node.runtime import NodeRuntime, start
from exchange.node.settings import NodeSettings, PasswordProfile
from exchange.node.web import create_app
from tests.conftest import CONVENANT, convenant_today
from tests.e2e.conftest import Site
from tests.integration.node_support import FAST, PASSPHRASE, PASSWORD


@dataclass
class NodeServer:
    base: str  # http://localhost:PORT (Chromium keeps Secure cookies over plain HTTP only there)
    runtime: NodeRuntime


@contextmanager
def serving(
    hub_url: str,
    store: Keystore,
    directory: Path,
    party: str,
    users: list[tuple[str, list[str], str]],
    convenant_dir: Path = CONVENANT,
    **settings: object,
) -> Iterator[NodeServer]:
    """``users``: (name, roles, display name), each with the tests' password; ``settings``: further
    node settings (``console_url``, ...)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_keystore(directory / f"{party}.keystore", store, PASSPHRASE, FAST)
    (directory / "passphrase").write_text(PASSPHRASE, encoding="utf-8")
    runtime = start(
        NodeSettings(
            hub_url=hub_url,
            party=party,
            keystore=directory / f"{party}.keystore",
            passphrase_file=directory / "passphrase",
            data_dir=directory / "node",
            convenant_dir=convenant_dir,
            password_profile=PasswordProfile.TESTS_ONLY,
            **settings,  # type: ignore[arg-type]  # pydantic checks the extra settings
        )
    )
    with runtime.sessions.begin() as s:
        for name, roles, display in users:
            add_user(
                s,
                runtime.party,
                name,
                roles,
                PASSWORD,
                runtime.clock(),
                PasswordProfile.TESTS_ONLY,
                display_name=display,
            )
    port = _free_port()
    server = _Server(uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {party} node did not start")
        time.sleep(0.05)
    try:
        yield NodeServer(f"http://localhost:{port}", runtime)
    finally:
        server.should_exit = True
        runtime.engine.dispose()


@contextmanager
def site_node(
    site: Site, directory: Path, users: list[tuple[str, list[str], str]], **settings: object
) -> Iterator[NodeServer]:
    """Helmond's node on the browser tests' hub (``site``), with its copy of PIT's pseudonym key
    fetched from the hub as a node does, on the covenant copy dated for today."""
    client = ExchangeClient(site.server.base, site.keys["helmond"].current, "h.smit", "coordinator")
    try:
        store, _ = fetch(client, Keystore(site.keys["helmond"]), "pit")
    finally:
        client.close()
    with serving(site.server.base, store, directory, "helmond", users, convenant_today(), **settings) as node:
        yield node
