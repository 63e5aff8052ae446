"""`exchange client` against a running service: a coordinator and the police work a case from their
own keystores; subjects are pseudonymised and items sealed and opened on the client."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn
from pypdf import PdfReader
from typer.testing import CliRunner

from exchange.api.app import create_app
from exchange.cli.demo import _free_port, _Server
from exchange.cli.main import app as cli
from exchange.client.http import ExchangeClient, HubUnavailableError, Retry
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
        "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
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
            "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
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

    # Free text is sealed by the client: the jurist's note and the selection reason are read back by
    # a reader of the case, opened with its own key.
    run(
        base,
        tmp,
        "helmond",
        "jurist",
        "review",
        cid,
        "--verdict",
        "approved",
        "--note",
        "Proportionate selection.",
    )
    shown = run(base, tmp, *police, "texts", cid, "--signers", str(tmp / "helmond.pub.json"))
    assert "--- selection-reason by helmond" in shown and "Two independent signals." in shown
    assert "--- review-note by helmond" in shown and "Proportionate selection." in shown


class _Busy(BaseHTTPRequestHandler):
    """Answers the first request 503 with Retry-After (as the hub does at capacity), then 200."""

    retry_after = "1"
    seen: list[dict[str, str]]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        if len(self.seen) == 1:
            body, status = b'{"title": "Overloaded", "detail": "the service is at capacity"}', 503
        else:
            body, status = b'{"phase": "selection"}', 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status == 503:
            self.send_header("Retry-After", self.retry_after)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def keystore(tmp_path: Path) -> dict[str, str]:
    """A party keystore and the environment `exchange client` reads it from."""
    keys = PartyKeys.create("helmond", datetime.now(UTC))
    write_keystore(tmp_path / "helmond.ks", Keystore(keys, (PseudonymKey.generate("pit"),)), PASS, FAST)
    return {
        "EXCHANGE_KEYSTORE": str(tmp_path / "helmond.ks"),
        "EXCHANGE_PASSPHRASE": PASS,
        "EXCHANGE_USER": "u-1",
        "EXCHANGE_ROLE": "coordinator",
    }


def _busy_hub(retry_after: str) -> tuple[str, list[dict[str, str]], Callable[[], None]]:
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Busy,), {"seen": seen, "retry_after": retry_after})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(10)

    return f"http://127.0.0.1:{server.server_address[1]}", seen, stop


def test_an_unreachable_hub_is_one_line(keystore: dict[str, str]) -> None:
    """With nothing listening, the client says in one line what failed and where, and exits 2."""
    url = f"http://127.0.0.1:{_free_port()}"
    result = CliRunner().invoke(cli, ["client", "whoami"], env={**keystore, "EXCHANGE_URL": url})
    assert result.exit_code == 2
    assert result.output.strip() == f"error: cannot reach the hub at {url}: connection refused"


def test_a_bad_hub_address_is_refused_before_connecting(keystore: dict[str, str]) -> None:
    """An address without http:// or https:// is named as the problem, without a traceback."""
    result = CliRunner().invoke(cli, ["client", "whoami"], env={**keystore, "EXCHANGE_URL": "localhost:8000"})
    assert result.exit_code == 2
    assert "error: the hub address 'localhost:8000' must be an http:// or https:// URL" in result.output


def test_a_503_is_retried_after_retry_after_with_the_same_idempotency_key(keystore: dict[str, str]) -> None:
    """A POST the hub answers 503 + Retry-After is sent again after the wait, signed afresh, with the
    same Idempotency-Key, so the hub does the action once."""
    url, seen, stop = _busy_hub("1")
    try:
        started = time.monotonic()
        result = CliRunner().invoke(
            cli, ["client", "transition", "c-1", "--to", "selection"], env={**keystore, "EXCHANGE_URL": url}
        )
        waited = time.monotonic() - started
    finally:
        stop()
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"phase": "selection"}
    assert len(seen) == 2 and waited >= 1
    first, second = seen
    assert first["idempotency-key"] and first["idempotency-key"] == second["idempotency-key"]
    assert first["signature"] != second["signature"]  # a fresh nonce: the hub refuses replays


def test_a_long_retry_after_is_not_waited_for(keystore: dict[str, str]) -> None:
    """A wait beyond the cap is not sat out: the 503 is reported at once."""
    url, seen, stop = _busy_hub("3600")
    try:
        result = CliRunner().invoke(
            cli, ["client", "transition", "c-1", "--to", "selection"], env={**keystore, "EXCHANGE_URL": url}
        )
    finally:
        stop()
    assert result.exit_code == 2
    assert len(seen) == 1 and "the service answered 503: the service is at capacity" in result.output


def test_a_given_idempotency_key_is_kept_over_retries() -> None:
    """A caller's own Idempotency-Key (open-case, send) is the one every try carries."""
    url, seen, stop = _busy_hub("2")
    waits: list[float] = []
    keys = PartyKeys.create("helmond", datetime.now(UTC))
    client = ExchangeClient(url, keys.current, "u-1", "coordinator", retry=Retry(sleep=waits.append))
    try:
        answer = client.post("/v1/cases", {"covenant": "pit"}, idempotency_key="open-0123456789")
    finally:
        client.close()
        stop()
    assert answer.status_code == 200 and waits == [2.0]
    assert [h["idempotency-key"] for h in seen] == ["open-0123456789", "open-0123456789"]


@pytest.mark.parametrize(
    ("category", "refusal"),
    [
        (
            "brp-inschrijvng",
            "error: 'brp-inschrijvng' is not a category of PIT 2021; did you mean 'brp-inschrijving'?",
        ),
        (
            "politie-incidenten",
            "error: helmond does not provide 'politie-incidenten' under PIT 2021 (it provides: bag-gebruik,",
        ),
    ],
)
def test_index_refuses_a_category_the_party_does_not_provide(
    keystore: dict[str, str], tmp_path: Path, category: str, refusal: str
) -> None:
    """A mistyped category, or one the covenant does not have the party provide, is refused on the
    client with close names, and nothing reaches the hub."""
    url, seen, stop = _busy_hub("1")
    (tmp_path / "held.txt").write_text("5701 AB 12a\n")
    env = {**keystore, "EXCHANGE_URL": url, "EXCHANGE_CONVENANT_DIR": str(convenant_today())}
    try:
        result = CliRunner().invoke(
            cli,
            [
                "client",
                "index",
                "--covenant",
                "pit",
                "--category",
                category,
                "--add-file",
                str(tmp_path / "held.txt"),
            ],
            env=env,
        )
    finally:
        stop()
    assert result.exit_code == 2
    assert result.output.startswith(refusal) and "nothing was sent" in result.output
    assert seen == []


def test_index_names_the_covenant_directory_it_needs(keystore: dict[str, str], tmp_path: Path) -> None:
    """Without the covenant files the client cannot check the category, and says where it looked."""
    env = {**keystore, "EXCHANGE_URL": "http://127.0.0.1:9", "EXCHANGE_CONVENANT_DIR": str(tmp_path / "none")}
    result = CliRunner().invoke(
        cli, ["client", "index", "--covenant", "pit", "--category", "bag-gebruik"], env=env
    )
    assert result.exit_code == 2
    assert f"error: no covenant directory at {tmp_path / 'none'}; give the covenant tree" in result.output


def test_a_hub_that_does_not_answer_is_one_line_that_says_it_may_have_acted() -> None:
    """A hub that takes the connection but never answers is named with the time waited; for a POST
    the message warns that it may have been done."""
    silent = socket.create_server(("127.0.0.1", 0))  # the kernel accepts; nobody reads or answers
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    client = ExchangeClient(
        url, PartyKeys.create("helmond", datetime.now(UTC)).current, "u-1", "c", timeout=0.2
    )
    try:
        with pytest.raises(HubUnavailableError) as caught:
            client.post("/v1/cases/c-1/transitions", {"to": "selection"})
    finally:
        client.close()
        silent.close()
    assert str(caught.value) == (
        f"no answer from the hub at {url}: no answer within 0.2 s; it may have been done, check before repeating it"
    )
