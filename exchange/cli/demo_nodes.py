"""``exchange demo --nodes`` (what ``make run`` starts): the hub and three party nodes on SQLite,
for a newcomer to walk a PIT case in the browser.

Gemeente Helmond coordinates; Senzer and Politie Oost-Brabant answer. On the first start everything
is made in the data directory (default ``build/demo``): the hub's database, each party's keystore
with a random passphrase (mode 600), PIT's pseudonym key made by Helmond (its custodian) and fetched
by the others through the hub, hit/no-hit indexes for Senzer and the police, each node's store and a
demo user per node. Later starts reuse it all; delete the directory to start afresh. The covenants
are a copy with dates moved to today, as for ``exchange demo`` (docs/adr/0011-demo-covenant-copies.md).
"""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from exchange.api.app import create_app
from exchange.cli.demo import SHIPPED_COVENANTS, _Server, demo_hub
from exchange.client.http import ExchangeClient
from exchange.client.pseudonym_keys import distribute, fetch
from exchange.crypto import sodium
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import KdfParams, Keystore, write_keystore
from exchange.crypto.pseudonym import pseudonymise
from exchange.crypto.subjects import normalise_address
from exchange.errors import ConfigurationError
from exchange.node.accounts import add_user
from exchange.node.runtime import start
from exchange.node.settings import NodeSettings, PasswordProfile
from exchange.node.web import create_app as create_node_app
from exchange.policies.engine import LEGAL_TIMEZONE
from exchange.policies.rebase import DEMO_REFERENCE_DATE, write_rebased_tree
from exchange.storage.db import make_engine
from exchange.storage.parties import register_party


@dataclass(frozen=True, slots=True)
class DemoUser:
    party: str
    name: str
    display_name: str
    roles: tuple[str, ...]
    password: str


#: One demo user per node. The passwords are printed at every start: this is a demo, not a deployment.
USERS = (
    DemoUser(
        "helmond", "h.devries", "Hanna de Vries", ("coordinator", "privacy-officer"), "demo-helmond-2026"
    ),
    DemoUser("senzer", "s.bakker", "Sam Bakker", ("employee",), "demo-senzer-2026"),
    DemoUser("politie-oost-brabant", "p.jansen", "Pim Jansen", ("employee",), "demo-politie-2026"),
)
PARTIES = tuple(u.party for u in USERS)
#: Addresses the partners' indexes hold, so a case about the first one gets hits.
KNOWN = {
    "senzer": ("bijstand-status", ("5701 AB 12a", "5701 AB 99")),
    "politie-oost-brabant": ("politie-incidenten", ("5701 AB 12a",)),
}
#: The workspaces listen on this port plus 1, 2 and 3 (``exchange demo --nodes --port-base N``).
PORT_BASE = 8700


def node_ports(base: int = PORT_BASE) -> tuple[int, ...]:
    """The three nodes' ports above ``base``, in the order of :data:`USERS`."""
    return tuple(base + 1 + i for i in range(len(USERS)))


NODE_PORTS = node_ports()


@dataclass(frozen=True, slots=True)
class Running:
    hub: str
    nodes: dict[str, str]


def _serve(app: object, port: int) -> tuple[_Server, threading.Thread]:
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]  # an ASGI app
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise ConfigurationError(
                f"cannot serve on 127.0.0.1:{port}; is the port in use? Stop what uses it, or choose "
                "other ports (--port for the hub, --port-base for the workspaces)"
            )
        time.sleep(0.05)
    return server, thread


def _node_settings(workdir: Path, party: str, hub: str, port: int, fast: bool) -> NodeSettings:
    home = workdir / party
    return NodeSettings(
        party=party,
        hub_url=hub,
        # Browsers send the console's Secure cookie over plain HTTP to localhost only.
        console_url=hub.replace("127.0.0.1", "localhost"),
        keystore=home / "keystore.json",
        passphrase_file=home / "passphrase",
        data_dir=home / "node",
        convenant_dir=workdir / "convenant",
        port=port,
        password_profile=PasswordProfile.TESTS_ONLY if fast else PasswordProfile.RECOMMENDED,
    )


def _first_start(workdir: Path, hub: str, fast: bool, say: Callable[[str], None]) -> None:
    """Keystores, pseudonym keys and indexes, through the running hub (whose parties are registered)."""
    keys = {p: PartyKeys.create(p, datetime.now(UTC)) for p in PARTIES}
    hub_db = make_engine(f"sqlite:///{workdir / 'hub.db'}")
    try:
        from exchange.storage.db import session_factory

        with session_factory(hub_db).begin() as s:
            for p, k in keys.items():
                register_party(s, p, p, [v.to_data(p) for v in k.public()], datetime.now(UTC))
    finally:
        hub_db.dispose()
    stores = {p: Keystore(keys[p]) for p in PARTIES}

    def keep(store: Keystore) -> None:
        stores["helmond"] = store

    distribute(
        ExchangeClient(hub, keys["helmond"].current, "demo-setup", "coordinator"),
        stores["helmond"],
        "pit",
        keep,
    )
    for party in PARTIES[1:]:
        client = ExchangeClient(hub, keys[party].current, "demo-setup", "employee")
        stores[party], _ = fetch(client, stores[party], "pit")
        category, addresses = KNOWN[party]
        held = [
            str(pseudonymise(normalise_address(a), stores[party].pseudonym_key("pit"))) for a in addresses
        ]
        r = client.post(f"/v1/index/{category}", {"add": held})
        if r.status_code != 200:
            raise ConfigurationError(f"the hub refused {party}'s demo index: {r.status_code} {r.text[:200]}")
    kdf = (
        KdfParams(opslimit=sodium.ARGON2_OPSLIMIT_MIN, memlimit=sodium.ARGON2_MEMLIMIT_MIN)
        if fast
        else KdfParams()
    )
    for party in PARTIES:
        home = workdir / party
        home.mkdir(parents=True, exist_ok=True)
        passphrase = home / "passphrase"
        passphrase.write_text(secrets.token_urlsafe(24) + "\n", encoding="utf-8")
        passphrase.chmod(0o600)
        write_keystore(
            home / "keystore.json", stores[party], passphrase.read_text(encoding="utf-8").strip(), kdf
        )
    say("Made the demo parties' keystores, PIT's pseudonym key and the partners' indexes.")


@contextmanager
def running(
    workdir: Path,
    say: Callable[[str], None] = print,
    port: int = 8000,
    node_ports: tuple[int, ...] = NODE_PORTS,
    fast: bool = False,
) -> Iterator[Running]:
    """The hub and the three nodes serving, made on first start; stopped when the block ends."""
    if not SHIPPED_COVENANTS.is_dir():
        raise ConfigurationError(
            f"the demo uses the covenants in {Path.cwd() / SHIPPED_COVENANTS}, which does not exist; "
            "run it from the project directory"
        )
    first = not (workdir / "ready").exists()
    if first and workdir.exists():
        shutil.rmtree(workdir)  # a half-made directory from an interrupted first start
    workdir.mkdir(parents=True, exist_ok=True)
    covenants = workdir / "convenant"
    shutil.rmtree(covenants, ignore_errors=True)
    today = datetime.now(UTC).astimezone(LEGAL_TIMEZONE).date()
    write_rebased_tree(SHIPPED_COVENANTS, covenants, reference=DEMO_REFERENCE_DATE, today=today)
    settings, engine = demo_hub(workdir, covenants, "hub.db")
    servers: list[tuple[_Server, threading.Thread]] = []
    runtimes = []
    try:
        servers.append(_serve(create_app(settings, engine), port))
        hub = f"http://127.0.0.1:{port}"
        if first:
            _first_start(workdir, hub, fast, say)
        nodes: dict[str, str] = {}
        for user, node_port in zip(USERS, node_ports, strict=True):
            rt = start(_node_settings(workdir, user.party, hub, node_port, fast))
            runtimes.append(rt)
            if first:
                with rt.sessions.begin() as s:
                    add_user(
                        s,
                        rt.party,
                        user.name,
                        list(user.roles),
                        user.password,
                        rt.clock(),
                        rt.policy.profile,
                        user.display_name,
                    )
            servers.append(_serve(create_node_app(rt), node_port))
            # Browsers send the node's Secure cookie over plain HTTP to localhost only.
            nodes[user.party] = f"http://localhost:{node_port}/"
        (workdir / "ready").write_text("made by exchange demo --nodes\n", encoding="utf-8")
        yield Running(hub, nodes)
    finally:
        for server, _ in servers:
            server.should_exit = True
        for _, thread in servers:
            thread.join(10)
        for rt in runtimes:
            rt.engine.dispose()
        engine.dispose()


def run_nodes(
    workdir: Path, say: Callable[[str], None] = print, port: int = 8000, port_base: int = PORT_BASE
) -> None:
    """Serve until Ctrl-C, after printing where to sign in; the nodes on ``port_base`` + 1, 2, 3."""
    with running(workdir, say, port, node_ports(port_base)) as live:
        say(f"\nThe exchange hub: {live.hub} (OpenAPI: {live.hub}/openapi.json)")
        say("The parties' workspaces and their demo logins:")
        for user in USERS:
            say(
                f"   {live.nodes[user.party]:<26} {user.display_name} ({', '.join(user.roles)}): "
                f"{user.name} / {user.password}"
            )
        say(f"\nData: {workdir} (delete it to start afresh). Press Ctrl-C to stop everything.")
        try:
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            say("Stopping the hub and the nodes.")
