"""`exchange client` against a running service: a coordinator and the police work a case from their
own keystores; subjects are pseudonymised and items sealed and opened on the client."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from pypdf import PdfReader
from typer.testing import CliRunner

from exchange.api.app import create_app
from exchange.cli.demo import _free_port, _Server
from exchange.cli.main import app as cli
from exchange.config import Settings
from exchange.crypto import sodium
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import KdfParams, Keystore, write_keystore
from exchange.crypto.pseudonym import PseudonymKey
from exchange.storage.parties import register_party
from tests.conftest import convenant_today
from tests.integration.conftest import ORIGIN, Db

FAST = KdfParams(opslimit=sodium.ARGON2_OPSLIMIT_MIN, memlimit=sodium.ARGON2_MEMLIMIT_MIN)
PASS = "client test passphrase"


@pytest.fixture
def served(db: Db, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    now = datetime.now(UTC)
    pkey = PseudonymKey.generate("pit")
    with db.sessions.begin() as s:
        for party in ("helmond", "politie-oost-brabant"):
            keys = PartyKeys.create(party, now)
            write_keystore(tmp_path / f"{party}.ks", Keystore(keys, (pkey,)), PASS, FAST)
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


def run(base: str, tmp: Path, party: str, role: str, *args: str) -> str:
    env = {
        "EXCHANGE_URL": base,
        "EXCHANGE_KEYSTORE": str(tmp / f"{party}.ks"),
        "EXCHANGE_PASSPHRASE": PASS,
        "EXCHANGE_USER": "u-1",
        "EXCHANGE_ROLE": role,
    }
    result = CliRunner().invoke(cli, ["client", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_case_from_the_command_line(served: tuple[str, Path]) -> None:
    """Open, select, index, query, request, send and read a printable dossier, all from the CLI."""
    base, tmp = served
    coord = ("helmond", "coordinator")
    police = ("politie-oost-brabant", "employee")
    assert json.loads(run(base, tmp, *coord, "whoami"))["party"] == "helmond"
    case = json.loads(
        run(
            base,
            tmp,
            *coord,
            "open-case",
            "--covenant",
            "pit",
            "--purpose",
            "onrechtmatige-bewoning",
            "--address",
            "5701 ab 12-a",
        )
    )
    cid = case["id"]
    assert case["subjects"][0].startswith("v1:")
    run(base, tmp, *coord, "transition", cid, "--to", "selection")
    run(base, tmp, *coord, "add-party", cid, "--party", "politie-oost-brabant")

    (tmp / "bad.txt").write_text("5701 AB 12a\nDorpsstraat 1\n")
    bad = CliRunner().invoke(
        cli,
        [
            "client",
            "index",
            "--covenant",
            "pit",
            "--category",
            "politie-incidenten",
            "--add-file",
            str(tmp / "bad.txt"),
        ],
        env={
            "EXCHANGE_URL": base,
            "EXCHANGE_KEYSTORE": str(tmp / "politie-oost-brabant.ks"),
            "EXCHANGE_PASSPHRASE": PASS,
            "EXCHANGE_USER": "u",
            "EXCHANGE_ROLE": "employee",
        },
    )
    assert bad.exit_code == 2 and "nothing was sent" in bad.output and "bad.txt:2" in bad.output
    (tmp / "held.txt").write_text("5701 AB 12a\n5701 AB 14\n")
    assert "2 added" in run(
        base,
        tmp,
        *police,
        "index",
        "--covenant",
        "pit",
        "--category",
        "politie-incidenten",
        "--add-file",
        str(tmp / "held.txt"),
    )
    hit_lines = run(base, tmp, *coord, "hits", cid)
    assert any("politie-incidenten" in line and "HIT" in line for line in hit_lines.splitlines())

    run(base, tmp, *coord, "transition", cid, "--to", "preparation", "--reason", "Two independent signals.")
    asked = json.loads(
        run(
            base,
            tmp,
            *coord,
            "request",
            cid,
            "--provider",
            "politie-oost-brabant",
            "--category",
            "politie-incidenten",
        )
    )
    assert asked[0]["requested"] is True
    assert json.loads(run(base, tmp, *police, "pending"))[0]["case"] == cid
    (tmp / "incidents.txt").write_text("2 meldingen overlast in 2026")
    sent = json.loads(
        run(
            base,
            tmp,
            *police,
            "send",
            cid,
            "--category",
            "politie-incidenten",
            "--file",
            str(tmp / "incidents.txt"),
        )
    )
    assert sent["recipients"] == ["helmond"]
    page = tmp / "dossier.html"
    run(
        base,
        tmp,
        *coord,
        "dossier",
        cid,
        "--signers",
        str(tmp / "politie-oost-brabant.pub.json"),
        "--html",
        str(page),
        "--pdf",
        str(tmp / "dossier.pdf"),
    )
    html = page.read_text()
    assert "2 meldingen overlast in 2026" in html and "politie-incidenten" in html
    assert (page.stat().st_mode & 0o777) == 0o600
    printed = tmp / "dossier.pdf"
    assert (printed.stat().st_mode & 0o777) == 0o600
    text = "".join(p.extract_text() for p in PdfReader(printed).pages)
    assert "2 meldingen overlast in 2026" in text and "politie-incidenten" in text and cid in text
