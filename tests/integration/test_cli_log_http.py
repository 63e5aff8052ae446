"""`exchange log witness --url` and `exchange client log` against a running service: a party
witnesses and checks the log over HTTP, with no access to the hub's database."""

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
from exchange.audit.checkpoint import parse_note
from exchange.cli.demo import _free_port, _Server
from exchange.cli.main import app as cli
from exchange.client.http import ExchangeClient
from exchange.config import Settings
from exchange.crypto import sodium
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import KdfParams, Keystore, write_keystore
from exchange.storage.parties import register_party
from tests.conftest import convenant_today
from tests.integration.conftest import ORIGIN, Db
from tests.integration.test_audit_store import tamper_tile

FAST = KdfParams(opslimit=sodium.ARGON2_OPSLIMIT_MIN, memlimit=sodium.ARGON2_MEMLIMIT_MIN)
PASS = "client test passphrase"
DECISION = {
    "provider": "senzer",
    "category": "bijstand-status",
    "purpose": "uitkeringsfraude",
    "phase": "action",
    "covenant": "pit",
}


@pytest.fixture
def hub(db: Db, tmp_path: Path) -> Iterator[tuple[str, Path, PartyKeys]]:
    now = datetime.now(UTC)
    keys = PartyKeys.create("helmond", now)
    write_keystore(tmp_path / "helmond.ks", Keystore(keys, ()), PASS, FAST)
    with db.sessions.begin() as s:
        register_party(s, "helmond", "Helmond", [v.to_data("helmond") for v in keys.public()], now)
    receipt_key = tmp_path / "receipt-key"
    env = {"EXCHANGE_RECEIPT_KEY_FILE": str(receipt_key), "EXCHANGE_LOG_ORIGIN": ORIGIN}
    made = CliRunner().invoke(cli, ["log", "init-receipt-key"], env=env)
    assert made.exit_code == 0 and "receipt key: " in made.output, made.output
    assert (receipt_key.stat().st_mode & 0o777) == 0o600
    (tmp_path / "log-public").write_text(base64.b64encode(db.signer.public).decode())
    settings = Settings(
        mode="production",
        metrics_token=SecretStr(base64.b64encode(sodium.random_bytes(32)).decode()),
        database_url=db.url,
        convenant_dir=convenant_today(),
        log_origin=ORIGIN,
        receipt_key_file=receipt_key,
        log_public_key=base64.b64encode(db.signer.public).decode(),
    )
    port = _free_port()
    server = _Server(
        uvicorn.Config(create_app(settings, db.engine), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", tmp_path, keys
    server.should_exit = True
    thread.join(10)


def run(base: str, tmp: Path, *args: str, ok: bool = True, database: str | None = None) -> str:
    env = {
        "EXCHANGE_URL": base,
        "EXCHANGE_KEYSTORE": str(tmp / "helmond.ks"),
        "EXCHANGE_PASSPHRASE": PASS,
        "EXCHANGE_USER": "u-1",
        "EXCHANGE_ROLE": "employee",
        "EXCHANGE_LOG_ORIGIN": ORIGIN,
        "EXCHANGE_LOG_PUBLIC_KEY": str(tmp / "log-public"),
        # The witness over HTTP must not need the hub's database or its checkpoint key.
        "EXCHANGE_DATABASE_URL": database or "sqlite:////nonexistent/no.db",
        "EXCHANGE_LOG_KEY_FILE": "/nonexistent/log-key",
    }
    result = CliRunner().invoke(cli, list(args), env=env)
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def sign(db: Db) -> int:
    with db.sessions.begin() as s:
        return db.log.sign_checkpoint(s, db.signer, datetime.now(UTC)).size


def test_witness_and_check_the_log_over_http(hub: tuple[str, Path, PartyKeys], db: Db) -> None:
    """A party cosigns over HTTP (twice, proving consistency in between), sees its cosignature on
    the checkpoint, proves its own event and checks a receipt against the signed log."""
    base, tmp, keys = hub
    client = ExchangeClient(base, keys.current, "u-1", "employee")
    answer = client.post("/v1/decisions", DECISION)
    header = answer.headers["Exchange-Receipt"]
    (tmp / "answer.json").write_text(answer.text)
    sign(db)
    witness = [
        "log",
        "witness",
        "--url",
        base,
        "--name",
        "helmond.test/witness",
        "--state",
        str(tmp / "w.json"),
    ]
    witness += ["--log-public", str(tmp / "log-public")]
    assert "cosigned checkpoint at size 1 (over HTTP)" in run(base, tmp, *witness)
    client.post("/v1/decisions", DECISION)
    size = sign(db)
    assert f"cosigned checkpoint at size {size} (over HTTP)" in run(base, tmp, *witness)
    assert json.loads((tmp / "w.json").read_text())["size"] == size

    shown = json.loads(run(base, tmp, "client", "log", "checkpoint"))
    assert shown["size"] == size and shown["cosigned_by"] == ["helmond.test/witness"]
    proved = json.loads(run(base, tmp, "client", "log", "prove", "0"))
    assert proved["verified"] and proved["event"]["action"] == "decision"
    checked = json.loads(
        run(
            base,
            tmp,
            "client",
            "log",
            "receipt",
            header,
            "--body",
            str(tmp / "answer.json"),
            "--log-public",
            str(tmp / "log-public"),
        )
    )
    assert checked["first"] == 0 and checked["count"] == 1 and checked["in_log"] == f"ok at size {size}"
    body = json.loads(answer.text)
    body["log_index"] = 7
    (tmp / "other.json").write_text(json.dumps(body))
    assert "outside its receipt's range" in run(
        base, tmp, "client", "log", "receipt", header, "--body", str(tmp / "other.json"), ok=False
    )
    note = parse_note(client.get("/v1/log/checkpoint").text)
    assert [s.name for s in note.signatures] == [ORIGIN, "helmond.test/witness"]


def test_the_witness_refuses_a_rolled_back_log_over_http(hub: tuple[str, Path, PartyKeys], db: Db) -> None:
    """A witness whose state is ahead of the hub's checkpoint (a restored, rolled-back log) refuses
    to cosign, exits non-zero and keeps its state."""
    base, tmp, keys = hub
    ExchangeClient(base, keys.current, "u-1", "employee").post("/v1/decisions", DECISION)
    sign(db)
    state = tmp / "w.json"
    witness = ["log", "witness", "--url", base, "--name", "helmond.test/witness", "--state", str(state)]
    witness += ["--log-public", str(tmp / "log-public")]
    run(base, tmp, *witness)
    saved = json.loads(state.read_text())
    ahead = {**saved, "size": saved["size"] + 3}
    state.write_text(json.dumps(ahead))
    assert "shrank" in run(base, tmp, *witness, ok=False)
    assert json.loads(state.read_text()) == ahead


def test_database_mode_and_http_mode_share_one_witness_state(
    hub: tuple[str, Path, PartyKeys], db: Db
) -> None:
    """The hub-side mode (database access) still works, and a witness can go on over HTTP from the
    state it left: both record the same cosignatures."""
    base, tmp, keys = hub
    client = ExchangeClient(base, keys.current, "u-1", "employee")
    client.post("/v1/decisions", DECISION)
    sign(db)
    common = ["log", "witness", "--name", "helmond.test/witness", "--state", str(tmp / "w.json")]
    common += ["--log-public", str(tmp / "log-public")]
    assert "cosigned checkpoint at size 1" in run(base, tmp, *common, database=db.url)
    client.post("/v1/decisions", DECISION)
    size = sign(db)
    assert f"cosigned checkpoint at size {size} (over HTTP)" in run(base, tmp, *common, "--url", base)
    with db.sessions.begin() as s:
        assert db.log.witnessed(s) == [("helmond.test/witness", "helmond", size)]


def test_a_party_mirrors_the_log_and_sees_it_rewritten(hub: tuple[str, Path, PartyKeys], db: Db) -> None:
    """`exchange client log mirror` mirrors the tree with the log's public key alone, proves the
    party's own entry, and on the next run only the new tiles (`exchange log verify --from` checks
    the same without a database); a hub whose new tile contradicts its
    own tile above fails with exit 1 and a one-line reason, and the mirror keeps its state."""

    from tests.integration.test_audit_store import ev

    base, tmp, _ = hub
    with db.sessions.begin() as s:
        db.log.append_many(s, [ev(i) for i in range(300)])
    sign(db)
    mirror = ["client", "log", "mirror", str(tmp / "mirror")]
    out = run(base, tmp, *mirror, "--check-index", "0", "--check-index", "299")
    assert (
        "OK: the log of 300 entries only grew; 3 tiles fetched, 1 full tiles held; entries 0, 299 proved"
        in out
    )
    assert "checkpoint of 300 entries verified" in out
    verify = ["log", "verify", "--from", base, "--log-public", str(tmp / "log-public"), "--quiet"]
    assert (
        run(base, tmp, *verify).strip()
        == "OK: the log of 300 entries only grew; 3 tiles fetched, 1 full tiles held"
    )
    assert "give --log-public" in run(base, tmp, "log", "verify", "--from", base, ok=False)
    with db.sessions.begin() as s:
        db.log.append_many(s, [ev(i) for i in range(300, 600)])
    sign(db)
    with db.sessions.begin() as s:
        tamper_tile(s, 0, 1, 400 - 256, bytes(32))
    out = run(base, tmp, *mirror, ok=False)
    assert "FAILED: the hub served tile/0/001, which does not hash to its entry in tile/1/000.p/2" in out
    assert "\n300\n" in (tmp / "mirror" / "checkpoint").read_text()
