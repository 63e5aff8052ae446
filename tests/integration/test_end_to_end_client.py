"""A KIT case and an LSI project case, end to end through `exchange client` alone: the custodian
hands out the covenant's pseudonym key through the hub, providers publish their indexes, the
coordinator opens, selects and prepares the case, a provider sends its data, the coordinator verifies
it with the key directory (no hand-made signer file), findings are registered, the outcome reaches the
provider that answered a hit, and the case is closed. A provider witnesses the log over HTTP, and the
coordinator proves its own events and checks the receipts it got. Once per database."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from pydantic import SecretStr
from typer.testing import CliRunner

from exchange.api.app import create_app
from exchange.cli.demo import _free_port, _Server
from exchange.cli.main import app as cli
from exchange.config import Settings
from exchange.crypto import sodium
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import KdfParams, Keystore, read_keystore, write_keystore
from exchange.storage.parties import register_party
from tests.conftest import convenant_today
from tests.integration.conftest import ORIGIN, Db

FAST = KdfParams(opslimit=sodium.ARGON2_OPSLIMIT_MIN, memlimit=sodium.ARGON2_MEMLIMIT_MIN)
PASS = "end to end passphrase"
ADDRESS = "5504 AB 7"
#: (covenant, coordinating municipality and key custodian, the providers asked)
TEAMS = {"kit": ("veldhoven", ("uwv", "svb")), "lsi-woensel": ("eindhoven", ("uwv", "svb"))}


@pytest.fixture
def hub(db: Db, tmp_path: Path) -> Iterator[tuple[str, Path, Db]]:
    """The hub in production mode with its receipt key; the parties of both teams registered by the
    operator with keystores that hold no pseudonym key yet."""
    now = datetime.now(UTC)
    with db.sessions.begin() as s:
        for party in ("veldhoven", "eindhoven", "uwv", "svb"):
            keys = PartyKeys.create(party, now)
            write_keystore(tmp_path / f"{party}.ks", Keystore(keys, ()), PASS, FAST)
            register_party(s, party, party, [v.to_data(party) for v in keys.public()], now)
    receipt_key = tmp_path / "receipt-key"
    made = CliRunner().invoke(
        cli, ["log", "init-receipt-key"], env={"EXCHANGE_RECEIPT_KEY_FILE": str(receipt_key)}
    )
    assert made.exit_code == 0, made.output
    public = base64.b64encode(db.signer.public).decode()
    (tmp_path / "log-public").write_text(public)
    settings = Settings(
        mode="production",
        metrics_token=SecretStr(base64.b64encode(sodium.random_bytes(32)).decode()),
        database_url=db.url,
        convenant_dir=convenant_today(),
        log_origin=ORIGIN,
        receipt_key_file=receipt_key,
        log_public_key=public,
    )
    port = _free_port()
    server = _Server(
        uvicorn.Config(create_app(settings, db.engine), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", tmp_path, db
    server.should_exit = True
    thread.join(10)


def client(base: str, tmp: Path, party: str, role: str, *args: str) -> str:
    """One `exchange` command as ``party`` acting in ``role``, with no access to the hub's database."""
    env = {
        "EXCHANGE_URL": base,
        "EXCHANGE_KEYSTORE": str(tmp / f"{party}.ks"),
        "EXCHANGE_PASSPHRASE": PASS,
        "EXCHANGE_USER": f"{party}-1",
        "EXCHANGE_ROLE": role,
        "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
        "EXCHANGE_LOG_ORIGIN": ORIGIN,
        "EXCHANGE_LOG_PUBLIC_KEY": str(tmp / "log-public"),
        "EXCHANGE_DATABASE_URL": "sqlite:////nonexistent/no.db",
        "EXCHANGE_LOG_KEY_FILE": "/nonexistent/log-key",
        # Every answer's Exchange-Receipt is checked as it arrives; a bad one fails the command.
        "EXCHANGE_VERIFY_RECEIPTS": "1",
    }
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, f"{' '.join(args)}: {result.output}"
    return result.output


@pytest.mark.parametrize("covenant", sorted(TEAMS))
def test_a_case_end_to_end_through_the_client(hub: tuple[str, Path, Db], covenant: str) -> None:
    base, tmp, db = hub
    coordinator, (uwv, svb) = TEAMS[covenant]
    coord = (coordinator, "coordinator")

    def c(party: str, role: str, *args: str) -> str:
        return client(base, tmp, party, role, "client", *args)

    # The key custodian (the coordinating municipality) seals the covenant's pseudonym key to every
    # party through the hub; each provider opens its own copy. All hold the same key afterwards.
    c(*coord, "pseudonym-key", "distribute", "--covenant", covenant, "--new-version")
    for party in (uwv, svb):
        c(party, "employee", "pseudonym-key", "fetch", "--covenant", covenant)
    held = {
        p: read_keystore(tmp / f"{p}.ks", PASS).pseudonym_key(covenant).key for p in (coordinator, uwv, svb)
    }
    assert len(set(held.values())) == 1

    # UWV publishes its index (the address is pseudonymised on its side); SVB publishes none.
    (tmp / "uwv.txt").write_text(ADDRESS + "\n")
    c(
        uwv,
        "employee",
        "index",
        "--covenant",
        covenant,
        "--category",
        "uitkering-status",
        "--add-file",
        str(tmp / "uwv.txt"),
    )

    case = json.loads(
        c(*coord, "open-case", "--covenant", covenant, "--purpose", "uitkeringsfraude", "--address", ADDRESS)
    )
    cid = case["id"]
    answers = c(*coord, "hits", cid)
    assert any(
        "uwv" in line and "uitkering-status" in line and "HIT" in line for line in answers.splitlines()
    )
    assert any("svb" in line and "no-index" in line.lower() for line in answers.splitlines())

    c(*coord, "transition", cid, "--to", "selection")
    c(*coord, "add-party", cid, "--party", uwv)
    c(*coord, "transition", cid, "--to", "preparation", "--reason", "A hit at UWV and two signals.")
    asked = c(*coord, "request", cid, "--provider", uwv, "--category", "uitkering-status")
    assert json.loads(asked)[0]["requested"] is True
    (tmp / "benefit.txt").write_text("WW-uitkering sinds 2025")
    c(uwv, "employee", "send", cid, "--category", "uitkering-status", "--file", str(tmp / "benefit.txt"))
    page = tmp / f"{covenant}.html"
    c(*coord, "dossier", cid, "--html", str(page))  # verified with the hub's key directory
    assert "WW-uitkering sinds 2025" in page.read_text()

    c(*coord, "transition", cid, "--to", "action")
    c(*coord, "findings", "add", cid, "--finding", "uitkering-status:onrechtmatige-uitkering=1")
    c(*coord, "transition", cid, "--to", "follow-up")
    c(*coord, "transition", cid, "--to", "feedback")
    told = c(*coord, "feedback", "give", cid, "--outcome", "violation-found", "--json")
    assert uwv in json.loads(told)["told"]  # UWV answered a hit and contributed: it is told
    assert json.loads(c(uwv, "employee", "feedback", "show", cid, "--json"))["outcome"] == "violation-found"
    c(*coord, "close", cid, "--reason", "Benefit stopped and recovered.")

    # The operator signs a checkpoint; UWV witnesses it over HTTP; the coordinator proves its event.
    with db.sessions.begin() as s:
        size = db.log.sign_checkpoint(s, db.signer, datetime.now(UTC)).size
    state = tmp / f"witness-{covenant}.json"
    witnessed = client(
        base,
        tmp,
        uwv,
        "employee",
        "log",
        "witness",
        "--url",
        base,
        "--name",
        f"{uwv}.test/witness",
        "--state",
        str(state),
        "--log-public",
        str(tmp / "log-public"),
    )
    assert f"cosigned checkpoint at size {size} (over HTTP)" in witnessed
    shown = json.loads(c(*coord, "log", "checkpoint"))
    assert shown["size"] == size and f"{uwv}.test/witness" in shown["cosigned_by"]
    # The first events are the custodian's key distribution: the coordinator proves the first is logged.
    proved = json.loads(c(*coord, "log", "prove", "0"))
    assert proved["verified"] and proved["event"]["action"].startswith("pseudonym-key-")
