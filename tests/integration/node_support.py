"""A party node for tests: a real keystore (fast KDF), a real store, accounts with the tests-only
Argon2 profile, and a settable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from exchange.crypto import sodium
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import KdfParams, Keystore, write_keystore
from exchange.node.accounts import add_user
from exchange.node.runtime import NodeRuntime, start
from exchange.node.settings import NodeSettings, PasswordProfile
from exchange.node.web import create_app
from tests.conftest import CONVENANT

FAST = KdfParams(opslimit=sodium.ARGON2_OPSLIMIT_MIN, memlimit=sodium.ARGON2_MEMLIMIT_MIN)
PASSPHRASE = "correct horse battery"
PASSWORD = "een lang wachtwoord"
#: A hub address where nothing listens: connections are refused at once.
NO_HUB = "http://127.0.0.1:9"


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 12, 1, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def make_keystore(directory: Path, party: str) -> Path:
    path = directory / f"{party}.keystore"
    keys = PartyKeys.create(party, datetime(2026, 11, 1, tzinfo=UTC))
    write_keystore(path, Keystore(keys), PASSPHRASE, FAST)
    (directory / "passphrase").write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


def node_settings(
    directory: Path,
    party: str = "helmond",
    hub_url: str = NO_HUB,
    store_url: str | None = None,
    **extra: object,
) -> NodeSettings:
    keystore = directory / f"{party}.keystore"
    if not keystore.exists():
        make_keystore(directory, party)
    values: dict[str, object] = {
        "hub_url": hub_url,
        "party": party,
        "keystore": keystore,
        "passphrase_file": directory / "passphrase",
        "data_dir": directory / "node",
        "convenant_dir": CONVENANT,
        "password_profile": PasswordProfile.TESTS_ONLY,
        "hub_timeout_seconds": 2.0,
        **extra,
    }
    if store_url is not None:
        values["store_url"] = store_url
    return NodeSettings(**values)  # type: ignore[arg-type]  # pydantic coerces the values


@dataclass
class Node:
    runtime: NodeRuntime
    clock: Clock
    client: TestClient

    def add(self, name: str, *roles: str, password: str = PASSWORD) -> int:
        with self.runtime.sessions.begin() as s:
            return add_user(
                s, self.runtime.party, name, list(roles), password, self.clock(), PasswordProfile.TESTS_ONLY
            ).id


def make_node(settings: NodeSettings) -> Node:
    clock = Clock()
    runtime = start(settings, clock)
    client = TestClient(create_app(runtime), base_url="https://testserver", follow_redirects=False)
    return Node(runtime, clock, client)
