"""`exchange client hits`, `inbox`, `forward` and `forwards open` against a running service, each
party from its own keystore: the three hit states and the pairs of other phases, an inbox, and a
signal sealed by Helmond's coordinator that only Senzer opens."""

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
from exchange.crypto.keystore import Keystore, write_keystore
from exchange.crypto.pseudonym import PseudonymKey
from exchange.storage.parties import register_party
from tests.integration.conftest import ORIGIN, Db
from tests.integration.forward_support import forwarding_tree
from tests.integration.test_cli_client import FAST, PASS

PARTIES = ("helmond", "senzer", "politie-oost-brabant", "someren")
SIGNAL = "Six adults registered at one small flat since October."


@pytest.fixture
def served(db: Db, tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    now = datetime.now(UTC)
    pkey = PseudonymKey.generate("pit")
    with db.sessions.begin() as s:
        for party in PARTIES:
            keys = PartyKeys.create(party, now)
            write_keystore(tmp_path / f"{party}.ks", Keystore(keys, (pkey,)), PASS, FAST)
            exported = [v.to_data(party) for v in keys.public()]
            (tmp_path / f"{party}.pub.json").write_text(json.dumps(exported))
            register_party(s, party, party, exported, now)
    tree = forwarding_tree(tmp_path)
    app = create_app(
        Settings(mode="dev", database_url=db.url, convenant_dir=tree, log_origin=ORIGIN), db.engine
    )
    port = _free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", tmp_path, tree
    server.should_exit = True
    thread.join(10)


def run(served: tuple[str, Path, Path], party: str, role: str, *args: str, code: int = 0) -> str:
    base, tmp, tree = served
    env = {
        "EXCHANGE_URL": base,
        "EXCHANGE_KEYSTORE": str(tmp / f"{party}.ks"),
        "EXCHANGE_PASSPHRASE": PASS,
        "EXCHANGE_USER": "u-1",
        "EXCHANGE_ROLE": role,
        "EXCHANGE_CONVENANT_DIR": str(tree),
    }
    result = CliRunner().invoke(cli, ["client", *args], env=env)
    assert result.exit_code == code, result.output
    return result.output


def test_hit_states_from_the_command_line(served: tuple[str, Path, Path]) -> None:
    """Senzer's published index answers; the police, with no index, answer no-index; the police's
    incidents, allowed only from selection on, are listed as not allowed in this phase."""
    coord = ("helmond", "coordinator")
    _, tmp, _ = served
    cid = json.loads(
        run(
            served,
            *coord,
            "open-case",
            "--covenant",
            "pit",
            "--purpose",
            "onrechtmatige-bewoning",
            "--address",
            "5701 ab 12-a",
        )
    )["id"]
    (tmp / "held.txt").write_text("5701 AB 12a\n")
    index = (
        "index",
        "--covenant",
        "pit",
        "--category",
        "bijstand-status",
        "--add-file",
        str(tmp / "held.txt"),
    )
    run(served, "senzer", "employee", *index)
    lines = run(served, *coord, "hits", cid).splitlines()
    assert any("senzer" in x and "bijstand-status" in x and "HIT" in x for x in lines)
    assert any("politie-oost-brabant" in x and "brp-inschrijving" in x and "no-index" in x for x in lines)
    assert any(
        "politie-oost-brabant" in x and "politie-incidenten" in x and "not allowed in this phase" in x
        for x in lines
    )


def test_forward_inbox_and_open_from_the_command_line(served: tuple[str, Path, Path]) -> None:
    """Helmond's coordinator forwards a signal to Senzer; Senzer's inbox lists it and Senzer opens it;
    Someren cannot, and a forward to Someren (no flow) is refused."""
    _, tmp, _ = served
    coord = ("helmond", "coordinator")
    sent = json.loads(
        run(
            served,
            *coord,
            "forward",
            "--to",
            "senzer",
            "--purpose",
            "uitkeringsfraude",
            "--covenant",
            "pit",
            "--text",
            SIGNAL,
        )
    )
    box = json.loads(run(served, "senzer", "employee", "inbox"))
    assert [f["id"] for f in box["forwards"]] == [sent["id"]] and SIGNAL not in json.dumps(box)
    assert json.loads(run(served, "someren", "employee", "inbox"))["forwards"] == []
    signers = str(tmp / "helmond.pub.json")
    opened = run(served, "senzer", "employee", "forwards", "open", sent["id"], "--signers", signers)
    assert SIGNAL in opened and "from helmond" in opened
    refused = run(served, "someren", "employee", "forwards", "open", sent["id"], "--signers", signers, code=2)
    assert "no forward" in refused
    refused = run(
        served,
        *coord,
        "forward",
        "--to",
        "someren",
        "--purpose",
        "uitkeringsfraude",
        "--covenant",
        "pit",
        "--text",
        SIGNAL,
        code=2,
    )
    assert "no flow from 'helmond' to 'someren'" in refused
