"""`exchange client` without hand-made key files, against a running service: the recipient verifies
items and texts with the hub's key directory, a party rotates and publishes its keys, and a new
party joins from its keystore with the custodian's and the operator's approval."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from exchange.cli.main import app as cli
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import Keystore, write_keystore
from exchange.crypto.pseudonym import PseudonymKey
from tests.conftest import convenant_today
from tests.integration.conftest import ORIGIN, Db
from tests.integration.test_cli_client import FAST, PASS, run
from tests.integration.test_cli_client import served as served  # the live service fixture

POLICE = ("politie-oost-brabant", "employee")
COORD = ("helmond", "coordinator")


def test_a_recipient_verifies_without_a_signers_file(request: pytest.FixtureRequest, db: Db) -> None:
    """`exchange client dossier` and `texts` without --signers verify with the key directory; after
    the police rotate and publish their keys, the item stored before still verifies."""
    base, tmp = request.getfixturevalue("served")
    cid = json.loads(
        run(
            base,
            tmp,
            *COORD,
            "open-case",
            "--covenant",
            "pit",
            "--purpose",
            "onrechtmatige-bewoning",
            "--address",
            "5701 ab 12-a",
        )
    )["id"]
    run(base, tmp, *COORD, "transition", cid, "--to", "selection")
    run(base, tmp, *COORD, "add-party", cid, "--party", POLICE[0])
    run(base, tmp, *COORD, "transition", cid, "--to", "preparation", "--reason", "Two independent signals.")
    run(base, tmp, *COORD, "request", cid, "--provider", POLICE[0], "--category", "politie-incidenten")
    (tmp / "incidents.txt").write_text("2 meldingen overlast in 2026")
    run(
        base,
        tmp,
        *POLICE,
        "send",
        cid,
        "--category",
        "politie-incidenten",
        "--file",
        str(tmp / "incidents.txt"),
    )
    assert "2 meldingen overlast in 2026" in run(base, tmp, *COORD, "dossier", cid)
    assert "Two independent signals." in run(base, tmp, *POLICE, "texts", cid)

    env = {"EXCHANGE_KEYSTORE": str(tmp / "politie-oost-brabant.ks"), "EXCHANGE_PASSPHRASE": PASS}
    rotated = CliRunner().invoke(cli, ["keys", "rotate"], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert "version 2" in run(base, tmp, *POLICE, "keys", "publish")
    assert "0 new key(s)" in run(base, tmp, *POLICE, "keys", "publish")  # again: signed with the new key
    listed = run(base, tmp, *COORD, "keys", "list", "--party", POLICE[0]).splitlines()
    assert [line.split()[1:2] + line.split()[3:4] for line in listed] == [
        ["v1", "retired"],
        ["v1", "retired"],
        ["v2", "current"],
        ["v2", "current"],
    ]
    assert "2 meldingen overlast in 2026" in run(base, tmp, *COORD, "dossier", cid)
    assert "Two independent signals." in run(base, tmp, *POLICE, "texts", cid)


def test_a_new_party_joins_from_its_keystore(request: pytest.FixtureRequest, db: Db) -> None:
    """Deurne asks with `exchange client join`; Helmond (PIT's custodian) lists and approves it with
    `exchange client joins`; the operator approves with `exchange admin approve-join`; then Deurne's
    own keys sign its requests."""
    base, tmp = request.getfixturevalue("served")
    keys = PartyKeys.create("deurne", datetime.now(UTC))
    write_keystore(tmp / "deurne.ks", Keystore(keys, (PseudonymKey.generate("pit"),)), PASS, FAST)
    join = json.loads(
        run(base, tmp, "deurne", "coordinator", "join", "--covenant", "pit", "--name", "Gemeente Deurne")
    )
    assert join["status"] == "pending" and join["signing_key"] == keys.current.sign_kid
    pending = json.loads(run(base, tmp, "helmond", "privacy-officer", "joins", "list"))
    assert [(j["id"], j["party"]) for j in pending] == [(join["id"], "deurne")]
    assert (
        json.loads(run(base, tmp, "helmond", "privacy-officer", "joins", "approve", join["id"]))["custodian"]
        == "approved"
    )
    env = {
        "EXCHANGE_MODE": "dev",
        "EXCHANGE_DATABASE_URL": db.url,
        "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
        "EXCHANGE_LOG_ORIGIN": ORIGIN,
    }
    listed = CliRunner().invoke(cli, ["admin", "joins"], env=env)
    assert join["id"] in listed.output and keys.current.sign_kid in listed.output
    done = CliRunner().invoke(cli, ["admin", "approve-join", join["id"]], env=env)
    assert done.exit_code == 0 and "registered" in done.output, done.output
    assert json.loads(run(base, tmp, "deurne", "coordinator", "whoami"))["party"] == "deurne"
