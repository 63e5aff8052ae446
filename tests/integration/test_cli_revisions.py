"""Covenant revisions from the command line, against a running service: the key custodian's jurist
publishes a version directory, the signatories list, read and approve it, and the last approval makes
it the version that decides; mistakes are refused with one line that says what was wrong."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from exchange.api.app import create_app
from exchange.cli.demo import _free_port, _Server
from exchange.cli.main import app as cli
from exchange.client.http import ExchangeClient
from exchange.config import Settings
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import Keystore, write_keystore
from exchange.crypto.pseudonym import PseudonymKey
from exchange.policies.engine import LEGAL_TIMEZONE
from exchange.storage.parties import register_party
from tests.conftest import convenant_today
from tests.integration.conftest import ORIGIN, Db
from tests.integration.revision_support import DROPPED_FLOW, SIGNATORIES, revision
from tests.integration.test_cli_client import FAST, PASS

BENEFITS = {
    "provider": "senzer",
    "category": "bijstand-status",
    "purpose": "uitkeringsfraude",
    "phase": "action",
    "covenant": "pit",
}
KEYS: dict[str, PartyKeys] = {}


@pytest.fixture
def hub(db: Db, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    now = datetime.now(UTC)
    pkey = PseudonymKey.generate("pit")
    with db.sessions.begin() as s:
        for party in SIGNATORIES:
            keys = KEYS[party] = PartyKeys.create(party, now)
            write_keystore(tmp_path / f"{party}.ks", Keystore(keys, (pkey,)), PASS, FAST)
            register_party(s, party, party, [v.to_data(party) for v in keys.public()], now)
    settings = Settings(mode="dev", database_url=db.url, convenant_dir=convenant_today(), log_origin=ORIGIN)
    server = _Server(uvicorn.Config(create_app(settings, db.engine), port=(port := _free_port())))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", tmp_path
    server.should_exit = True
    thread.join(10)


def exchange(base: str, tmp: Path, party: str, role: str, *args: str, code: int = 0) -> str:
    env = {
        "EXCHANGE_URL": base,
        "EXCHANGE_KEYSTORE": str(tmp / f"{party}.ks"),
        "EXCHANGE_PASSPHRASE": PASS,
        "EXCHANGE_USER": f"{role}-1",
        "EXCHANGE_ROLE": role,
        "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
    }
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


def benefits(base: str) -> dict[str, object]:
    """Senzer's benefit status to Someren for fraud: the flow the revision drops, decided by the hub."""
    r = ExchangeClient(base, KEYS["someren"].current, "u-1", "employee").post("/v1/decisions", BENEFITS)
    assert r.status_code == 200, r.text
    return dict(r.json())


def written(tmp: Path, name: str, files: dict[str, str]) -> Path:
    directory = tmp / name
    directory.mkdir()
    for file, text in files.items():
        (directory / file).write_text(text, encoding="utf-8")
    return directory


def test_a_revision_from_the_command_line(hub: tuple[str, Path]) -> None:
    base, tmp = hub
    today = datetime.now(LEGAL_TIMEZONE).date()
    version = written(tmp, "2026-cli", revision("2026-cli", today, DROPPED_FLOW))
    out = exchange(base, tmp, "helmond", "jurist", "convenant", "publish", str(version))
    assert "files check" in out and "scenario(s) pass" in out
    assert "proposed, takes effect on" in out and "approved by helmond (jurist jurist-1)" in out
    digest = next(line.split()[-1] for line in out.splitlines() if line.strip().startswith("digest:"))
    assert "impact against" in out and "parties affected:" in out

    listed = exchange(base, tmp, "senzer", "privacy-officer", "client", "convenant", "list")
    assert "PIT 2026-cli" in listed and "your party is asked to approve" in listed
    copy = tmp / "as-received"
    shown = exchange(
        base, tmp, "senzer", "privacy-officer", "client", "convenant", "show", digest, "--files", str(copy)
    )
    assert f"digest: {digest}" in shown and "scenarios:" in shown
    assert (copy / "flows.yaml").read_text(encoding="utf-8") == (version / "flows.yaml").read_text("utf-8")

    others = [p for p in SIGNATORIES if p != "helmond"]
    for party in others[:-1]:
        exchange(base, tmp, party, "privacy-officer", "client", "convenant", "approve", digest)
    assert benefits(base)["allowed"]
    last = exchange(base, tmp, others[-1], "jurist", "client", "convenant", "approve", digest, "--json")
    assert json.loads(last)["state"] == "approved"
    decided = exchange(base, tmp, "someren", "jurist", "client", "convenant", "list", "--state", "approved")
    assert "PIT 2026-cli" in decided and "waiting for nobody" in decided
    after = benefits(base)
    assert not after["allowed"] and after["covenant"] == "pit/2026-cli"

    # Mistakes: one line each, exit code 2, nothing changed.
    again = exchange(base, tmp, "senzer", "jurist", "client", "convenant", "approve", digest, code=2)
    assert "approved; it cannot be approved" in again or "approved already" in again
    late = exchange(base, tmp, "helmond", "jurist", "client", "convenant", "withdraw", digest, code=2)
    assert "cannot be withdrawn" in late
    empty = tmp / "empty"
    empty.mkdir()
    assert "covenant.yaml" in exchange(
        base, tmp, "helmond", "jurist", "convenant", "publish", str(empty), code=2
    )
    past = written(tmp, "2026-past", revision("2026-past", today - timedelta(days=1)))
    refused = exchange(base, tmp, "helmond", "jurist", "convenant", "publish", str(past), code=2)
    assert "which has passed" in refused
    unknown = exchange(
        base, tmp, "senzer", "jurist", "client", "convenant", "show", "sha256:" + "3" * 64, code=2
    )
    assert "no covenant version" in unknown
