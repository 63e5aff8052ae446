"""`exchange client pseudonym-key` against a running service: the custodian distributes from its
keystore, the other parties fetch into theirs, and their pseudonyms agree; rotation adds a version."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from exchange.api.app import create_app
from exchange.cli.demo import _free_port, _Server
from exchange.cli.main import app as cli
from exchange.config import Settings
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import Keystore, read_keystore, write_keystore
from exchange.storage.parties import register_party
from tests.conftest import convenant_today
from tests.integration.conftest import ORIGIN, Db
from tests.integration.test_cli_client import FAST, PASS

PARTIES = ("helmond", "senzer", "politie-oost-brabant")


@pytest.fixture
def served(db: Db, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The service, and a keystore per party holding no pseudonym key."""
    now = datetime.now(UTC)
    with db.sessions.begin() as s:
        for party in PARTIES:
            keys = PartyKeys.create(party, now)
            write_keystore(tmp_path / f"{party}.ks", Keystore(keys), PASS, FAST)
            exported = [v.to_data(party) for v in keys.public()]
            (tmp_path / f"{party}.pub.json").write_text(json.dumps(exported))
            register_party(s, party, party, exported, now)
    app = create_app(
        Settings(mode="dev", database_url=db.url, convenant_dir=convenant_today(), log_origin=ORIGIN),
        db.engine,
    )
    port = _free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", tmp_path
    server.should_exit = True
    thread.join(10)


def run(base: str, tmp: Path, party: str, role: str, *args: str, ok: bool = True) -> str:
    env = {
        "EXCHANGE_URL": base,
        "EXCHANGE_KEYSTORE": str(tmp / f"{party}.ks"),
        "EXCHANGE_PASSPHRASE": PASS,
        "EXCHANGE_USER": "u-1",
        "EXCHANGE_ROLE": role,
    }
    result = CliRunner().invoke(cli, ["client", *args], env=env)
    assert (result.exit_code == 0) is ok, result.output
    return result.output


def test_keys_reach_every_party_through_the_hub(served: tuple[str, Path]) -> None:
    """A new party's keystore holds no PIT key; after the custodian distributes and the party fetches,
    it makes the same pseudonym as the custodian. A new version reaches it the same way."""
    base, tmp = served
    address = ("pseudonym", "--covenant", "pit", "--address", "5701 AB 12a")
    refused = run(base, tmp, "senzer", "employee", *address, ok=False)
    assert "holds no pseudonym key for covenant 'pit'" in refused
    out = run(base, tmp, "helmond", "coordinator", "pseudonym-key", "distribute", "--covenant", "pit")
    assert "pseudonym key v1 for pit distributed" in out and "senzer" in out
    out = run(base, tmp, "senzer", "employee", "pseudonym-key", "fetch", "--covenant", "pit")
    assert "pseudonym key v1 for pit added" in out
    pinned = ("--custodian-keys", str(tmp / "helmond.pub.json"))
    out = run(
        base, tmp, "politie-oost-brabant", "employee", "pseudonym-key", "fetch", "--covenant", "pit", *pinned
    )
    assert "v1 for pit added" in out
    mine = run(base, tmp, "helmond", "coordinator", *address)
    assert run(base, tmp, "senzer", "employee", *address) == mine
    assert run(base, tmp, "politie-oost-brabant", "employee", *address) == mine
    again = run(base, tmp, "senzer", "employee", "pseudonym-key", "fetch", "--covenant", "pit")
    assert "already holds every pseudonym key version" in again
    refused = run(
        base, tmp, "senzer", "coordinator", "pseudonym-key", "distribute", "--covenant", "pit", ok=False
    )
    assert "403" in refused
    out = run(
        base,
        tmp,
        "helmond",
        "privacy-officer",
        "pseudonym-key",
        "distribute",
        "--covenant",
        "pit",
        "--new-version",
        "--overlap-days",
        "3",
    )
    assert "pseudonym key v2 for pit distributed" in out
    assert "v2 for pit added" in run(
        base, tmp, "senzer", "employee", "pseudonym-key", "fetch", "--covenant", "pit"
    )
    rotated = run(base, tmp, "senzer", "employee", *address)
    assert rotated.startswith("v2:") and rotated == run(base, tmp, "helmond", "coordinator", *address)
    held = read_keystore(tmp / "senzer.ks", PASS).pseudonym_keys
    assert sorted(k.version for k in held) == [1, 2]
