"""`exchange client access-request` against a running service: the privacy officer types the address,
the client pseudonymises it under each key version of the covenant in its keystore, and prints the
hub's answer in Dutch (or as JSON); the address itself never reaches the hub."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from exchange.api.app import create_app
from exchange.cli.demo import _free_port, _Server
from exchange.cli.main import app as cli
from exchange.client.http import ExchangeClient
from exchange.config import Settings
from exchange.crypto import sodium
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import KdfParams, Keystore, write_keystore
from exchange.crypto.pseudonym import PseudonymKey, pseudonymise
from exchange.crypto.subjects import normalise_address
from exchange.storage.models import LogEntry
from exchange.storage.parties import register_party
from tests.conftest import convenant_today
from tests.integration.conftest import ORIGIN, Db
from tests.integration.store_dump import holds_postcode

FAST = KdfParams(opslimit=sodium.ARGON2_OPSLIMIT_MIN, memlimit=sodium.ARGON2_MEMLIMIT_MIN)
PASS = "client test passphrase"
PARTIES = ("helmond", "senzer", "politie-oost-brabant")
KEYS = (PseudonymKey("pit", 1, b"\x51" * 32), PseudonymKey("pit", 2, b"\x52" * 32))


@dataclass
class Hub:
    url: str
    tmp: Path
    keys: dict[str, PartyKeys]
    db: Db

    def client(self, party: str, user: str, role: str) -> ExchangeClient:
        return ExchangeClient(self.url, self.keys[party].current, user, role)


@pytest.fixture
def hub(db: Db, tmp_path: Path) -> Iterator[Hub]:
    """The service on a real port; each party's keystore holds PIT pseudonym key versions 1 and 2."""
    now = datetime.now(UTC)
    keys = {}
    with db.sessions.begin() as s:
        for party in PARTIES:
            keys[party] = PartyKeys.create(party, now)
            write_keystore(tmp_path / f"{party}.ks", Keystore(keys[party], KEYS), PASS, FAST)
            register_party(s, party, party, [v.to_data(party) for v in keys[party].public()], now)
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
    yield Hub(f"http://127.0.0.1:{port}", tmp_path, keys, db)
    server.should_exit = True
    thread.join(10)


def run(hub: Hub, party: str, role: str, *args: str, ok: bool = True) -> tuple[int, str]:
    env = {
        "EXCHANGE_URL": hub.url,
        "EXCHANGE_KEYSTORE": str(hub.tmp / f"{party}.ks"),
        "EXCHANGE_PASSPHRASE": PASS,
        "EXCHANGE_USER": "po-1",
        "EXCHANGE_ROLE": role,
    }
    result = CliRunner().invoke(cli, ["client", *args], env=env)
    if ok:
        assert result.exit_code == 0, result.output
    return result.exit_code, result.output


def history(hub: Hub) -> None:
    """Senzer and the police hold the address (key version 1); Helmond opens a case with it under
    version 1 and asks hit/no-hit, and another from the command line (version 2, the newest)."""
    p1 = str(pseudonymise(normalise_address("5701 AB 12a"), KEYS[0]))
    hub.client("senzer", "s-1", "employee").post("/v1/index/bijstand-status", {"add": [p1]})
    hub.client("politie-oost-brabant", "p-1", "employee").post("/v1/index/politie-incidenten", {"add": [p1]})
    coord = hub.client("helmond", "coord-1", "coordinator")
    body = {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [p1]}
    case_id = coord.post("/v1/cases", body).json()["id"]
    assert coord.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"}).status_code == 200
    assert coord.post(f"/v1/cases/{case_id}/hits", {}).status_code == 200
    _, out = run(
        hub,
        "helmond",
        "coordinator",
        "open-case",
        "--covenant",
        "pit",
        "--purpose",
        "brandveiligheid",
        "--address",
        "5701 ab 12-A",
    )
    assert json.loads(out)["subjects"][0].startswith("v2:")


def test_an_access_request_from_the_command_line(hub: Hub) -> None:
    """Senzer's privacy officer gets both cases (two key versions), Senzer's hit to Helmond, no-hits
    as counts and police data withheld, in Dutch; --json gives the same answer as data."""
    history(hub)
    args = ("access-request", "--covenant", "pit", "--address", "5701AB 12 a")
    _, text = run(hub, "senzer", "privacy-officer", *args)
    assert "Inzageverzoek (AVG art. 15) - Convenant Peelland Interventieteam (PIT)" in text
    assert "Gezocht met 2 pseudoniem(en)" in text
    assert "Casussen over de betrokkene: 2" in text
    assert "geopend door Gemeente Helmond, doel: Brandveiligheid van gebouwen en woningen" in text
    assert "  Aan Gemeente Helmond:" in text
    assert (
        "treffer gemeld (bekend bij de verstrekker) door Senzer: Of en sinds wanneer bijstand wordt verstrekt"
        in text
    )
    assert "convenant art. 4 (Selectie van casussen); grondslag: AVG art. 6 lid 1 sub e" in text
    assert 'naar "Incidenten en mutaties op het adres"' not in text  # a police answer: withheld
    assert "x had Gemeente Someren geen index om te controleren" in text  # no index: not "geen treffer"
    assert "x geen treffer" not in text
    assert "Incidenten en mutaties op het adres: vraag het Politie Oost-Brabant (incl. AVIM)" in text
    assert "coord-1" not in text and "s-1" not in text

    _, raw = run(hub, "senzer", "privacy-officer", *args, "--json")
    answer = json.loads(raw)
    assert answer["subjects"] == 2 and len(answer["cases"]) == 2
    assert [(d["recipient"]["id"], d["provider"]["id"], d["kind"]) for d in answer["disclosures"]] == [
        ("helmond", "senzer", "hit")
    ]
    # The address (in any spelling) reached the hub nowhere: not in the log, not in the database.
    with hub.db.sessions.begin() as s:
        logged = [bytes(e.event) for e in s.query(LogEntry).all()]
    assert not [e for e in logged if holds_postcode(e)]
    requests = [json.loads(e) for e in logged if json.loads(e)["action"] == "access-request"]
    assert len(requests) == 4 and {r["dataSubjectId"][:3] for r in requests} == {"v1:", "v2:"}


def test_an_employee_is_refused(hub: Hub) -> None:
    """The same command as an employee exits 2 with the hub's reason."""
    code, out = run(
        hub,
        "helmond",
        "employee",
        "access-request",
        "--covenant",
        "pit",
        "--address",
        "5701 AB 12a",
        ok=False,
    )
    assert code == 2 and "403" in out and "only a privacy-officer" in out


def test_exactly_one_subject_and_a_known_covenant_key(hub: Hub) -> None:
    """No subject, two subjects, or a covenant the keystore has no key for: exit 2 before sending."""
    code, out = run(hub, "senzer", "privacy-officer", "access-request", "--covenant", "pit", ok=False)
    assert code == 2 and "exactly one of --address, --bsn and --kvk" in out
    code, out = run(
        hub,
        "senzer",
        "privacy-officer",
        "access-request",
        "--covenant",
        "kit",
        "--address",
        "5701 AB 12a",
        ok=False,
    )
    assert code == 2 and "no pseudonym key for covenant 'kit'" in out


def log_report(hub: Hub, party: str, *args: str) -> tuple[int, str]:
    """`exchange log report` at the hub's database, as a privacy officer of ``party``."""
    env = {
        "EXCHANGE_DATABASE_URL": hub.db.url,
        "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
        "EXCHANGE_LOG_ORIGIN": ORIGIN,
        "EXCHANGE_KEYSTORE": str(hub.tmp / f"{party}.ks"),
        "EXCHANGE_PASSPHRASE": PASS,
    }
    result = CliRunner().invoke(cli, ["log", "report", "--as", party, "--user", "po-2", *args], env=env)
    return result.exit_code, result.output


def test_log_report_gives_the_same_answer(hub: Hub) -> None:
    """`exchange log report --format answer` groups and withholds exactly as the route does (one use
    case), logs an access-request, and refuses a party outside the covenant."""
    history(hub)
    address = ("--covenant", "pit", "--address", "5701 AB 12a")
    _, raw = run(hub, "senzer", "privacy-officer", "access-request", *address, "--json")
    code, out = log_report(hub, "senzer", *address, "--format", "answer")
    assert code == 0, out
    via_cli, via_http = json.loads(out), json.loads(raw)
    for key in ("cases", "disclosures", "no_hits", "withheld", "subjects"):
        assert via_cli[key] == via_http[key], key
    assert via_cli["entries"] == via_http["entries"] and via_cli["log_index"] > via_http["log_index"]
    with hub.db.sessions.begin() as s:
        last = json.loads(s.get(LogEntry, via_cli["log_index"]).event)  # type: ignore[union-attr]  # present
    assert (last["action"], last["channel"], last["actor"]["user"]) == ("access-request", "cli", "po-2")
    code, out = log_report(hub, "senzer", *address, "--format", "nl")
    assert code == 0 and "Incidenten en mutaties op het adres: vraag het Politie" in out
    code, out = log_report(
        hub, "veldhoven", "--covenant", "pit", "--pseudonym", "v1:" + "A" * 43, "--format", "nl"
    )
    assert code == 2 and "not a party to PIT" in out
    code, out = log_report(hub, "senzer", "--pseudonym", "v1:" + "A" * 43, "--format", "answer")
    assert code == 2 and "--format answer needs --covenant" in out
