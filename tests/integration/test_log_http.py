"""The disclosure log over HTTP: receipts on logged responses, the signed checkpoint with its
cosignatures, inclusion and consistency proofs, and witnesses cosigning over HTTP."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from exchange.api.app import create_app
from exchange.audit.checkpoint import Checkpoint, CheckpointError, cosign, parse_note, verify_cosignature
from exchange.audit.receipt import HEADER, ReceiptError, open_receipt
from exchange.audit.witness import WitnessState
from exchange.client.http import ExchangeClient
from exchange.client.log import (
    ReceiptChecker,
    check_consistent,
    check_receipt_in_log,
    fetch_checkpoint,
    fetch_keys,
    prove_entry,
)
from exchange.client.witness import WitnessKey, witness_over_http
from exchange.config import Settings
from tests.conftest import convenant_today
from tests.integration.api_support import DECISION as _DECISION
from tests.integration.api_support import SUBJECT, Api
from tests.integration.conftest import ORIGIN

COORD = ("helmond", "coord-1", "coordinator")
DECISION: dict[str, Any] = dict(_DECISION or {})


@pytest.fixture
def logapi(api: Api) -> Iterator[Api]:
    """The service with the checkpoint key's public half configured (EXCHANGE_LOG_PUBLIC_KEY)."""
    public = base64.b64encode(api.db.signer.public).decode()
    settings = Settings(
        mode="dev",
        database_url=api.db.url,
        convenant_dir=convenant_today(),
        log_origin=ORIGIN,
        log_public_key=f"verifier: {ORIGIN} {public}",
    )
    with TestClient(create_app(settings, api.db.engine)) as http:
        yield Api(http, api.db, api.keys)


def sign_checkpoint(api: Api) -> int:
    with api.db.sessions.begin() as s:
        return api.db.log.sign_checkpoint(s, api.db.signer, datetime.now(UTC)).size


def checker(client: ExchangeClient) -> ReceiptChecker:
    keys = fetch_keys(client)
    return ReceiptChecker(keys.origin, keys.receipt)


def open_case(api: Api) -> str:
    r = api.client(*COORD).post(
        "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [SUBJECT]}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_keys_publish_the_checkpoint_and_receipt_keys(logapi: Api) -> None:
    """GET /v1/log/keys gives the origin, the checkpoint verifier key and the receipt key."""
    data = logapi.client("someren").get("/v1/log/keys").json()
    assert data["origin"] == ORIGIN
    assert base64.b64decode(data["checkpoint"]["public"]) == logapi.db.signer.public
    assert data["checkpoint"]["verifier"].startswith(f"{ORIGIN}+{logapi.db.signer.verifier.key_id.hex()}+")
    assert len(base64.b64decode(data["receipt"]["public"])) == 32
    assert data["receipt"]["public"] != data["checkpoint"]["public"]


def test_without_the_checkpoint_key_only_the_receipt_key_is_published(api: Api) -> None:
    """A service not given EXCHANGE_LOG_PUBLIC_KEY publishes no checkpoint key, never a guess."""
    data = api.client("someren").get("/v1/log/keys").json()
    assert data["checkpoint"] is None and len(base64.b64decode(data["receipt"]["public"])) == 32


def test_a_logged_response_carries_a_receipt_that_verifies(logapi: Api) -> None:
    """A decision logs one event; its receipt names exactly that index and verifies."""
    c = logapi.client("someren")
    r = c.post("/v1/decisions", DECISION)
    assert r.status_code == 200, r.text
    receipt = checker(c).check(r)
    assert receipt is not None
    assert receipt.first == r.json()["log_index"] and receipt.count == 1
    assert receipt.origin == ORIGIN


def test_a_response_that_logged_nothing_has_no_receipt(logapi: Api) -> None:
    r = logapi.client("someren").get("/v1/whoami")
    assert HEADER not in r.headers


def test_one_receipt_covers_every_event_of_a_hit_query(logapi: Api) -> None:
    """A hit/no-hit query logs one event per answer and carries one receipt for all of them."""
    case_id = open_case(logapi)
    coord = logapi.client(*COORD)
    assert coord.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"}).status_code == 200
    r = coord.post(f"/v1/cases/{case_id}/hits", {})
    assert r.status_code == 200, r.text
    receipt = checker(coord).check(r)
    assert receipt is not None
    indexes = sorted(a["log_index"] for a in r.json())
    assert indexes == list(range(receipt.first, receipt.last + 1))


def test_a_tampered_receipt_or_a_body_with_other_indexes_fails(logapi: Api) -> None:
    """Changing one byte of the receipt breaks its signature; a body naming another index than the
    receipt covers is refused."""
    c = logapi.client("someren")
    r = c.post("/v1/decisions", DECISION)
    check = checker(c)
    header = r.headers[HEADER]
    v, message, sig = header.split(".")
    raw = bytearray(base64.urlsafe_b64decode(message + "=" * (-len(message) % 4)))
    raw[-3] ^= 1  # the time's last digit
    forged = f"{v}.{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}.{sig}"
    with pytest.raises(ReceiptError, match="does not verify"):
        open_receipt(forged, check.public)
    body = r.json()
    body["log_index"] += 1
    other = type(r)(200, headers=r.headers, content=json.dumps(body).encode())
    with pytest.raises(ReceiptError, match="outside its receipt's range"):
        check.check(other)
    stripped = type(r)(200, headers={"content-type": "application/json"}, content=r.content)
    with pytest.raises(ReceiptError, match="carries no receipt"):
        check.check(stripped)


def test_an_idempotent_replay_carries_the_same_receipt(logapi: Api) -> None:
    """A retry with the same Idempotency-Key gets the stored answer and the first answer's receipt."""
    c = logapi.client("someren")
    first = c.post("/v1/decisions", DECISION, idempotency_key="retry-0001")
    again = c.post("/v1/decisions", DECISION, idempotency_key="retry-0001")
    assert again.content == first.content
    assert again.headers[HEADER] == first.headers[HEADER]


def test_inclusion_proof_of_an_own_event_verifies_against_the_checkpoint(logapi: Api) -> None:
    """A party proves its own event is in the signed tree, and the receipt's entries are in the log."""
    c = logapi.client("someren")
    r = c.post("/v1/decisions", DECISION)
    index = r.json()["log_index"]
    sign_checkpoint(logapi)
    cp, _ = fetch_checkpoint(c, logapi.db.signer.verifier)
    entry = prove_entry(c, index, cp)
    assert json.loads(entry.event)["action"] == "decision"
    receipt = checker(c).check(r)
    assert receipt is not None
    assert [e.index for e in check_receipt_in_log(c, receipt, cp)] == [index]


def test_another_partys_event_is_refused_and_logged(logapi: Api) -> None:
    """An event the party took no part in answers 404, as an index the log does not have, and the
    refusal is in the log."""
    index = logapi.client("someren").post("/v1/decisions", DECISION).json()["log_index"]
    sign_checkpoint(logapi)
    r = logapi.client("enexis").get(f"/v1/log/proofs/inclusion?index={index}")
    missing = logapi.client("enexis").get(f"/v1/log/proofs/inclusion?index={index}&size=1000")
    assert r.status_code == 404 and missing.status_code == 404
    assert "concerns your party" in r.json()["detail"]
    with logapi.db.sessions.begin() as s:
        last = logapi.db.log.entry(s, logapi.db.log.size(s) - 1)
        event = json.loads(last.event)
    assert event["action"] == "refusal" and event["actor"]["party"] == "enexis"
    assert event["reasonCode"] == "not-found" and event["details"]["operation"] == "inclusion"


def test_a_case_party_may_prove_an_event_about_its_case(logapi: Api) -> None:
    """Events about a case can be proved by the case's parties, and by nobody else."""
    case_id = open_case(logapi)
    sign_checkpoint(logapi)
    with logapi.db.sessions.begin() as s:
        index = logapi.db.log.size(s) - 1
    coord = logapi.client(*COORD)
    assert coord.post(f"/v1/cases/{case_id}/parties", {"party": "senzer"}).status_code == 200
    cp, _ = fetch_checkpoint(logapi.client("senzer"), logapi.db.signer.verifier)
    assert json.loads(prove_entry(logapi.client("senzer"), index, cp).event)["case"] == case_id
    assert logapi.client("enexis").get(f"/v1/log/proofs/inclusion?index={index}").status_code == 404


def test_consistency_proof_between_two_checkpoints_verifies(logapi: Api) -> None:
    c = logapi.client("someren")
    c.post("/v1/decisions", DECISION)
    old_size = sign_checkpoint(logapi)
    old, _ = fetch_checkpoint(c, logapi.db.signer.verifier)
    for _ in range(3):
        c.post("/v1/decisions", DECISION)
    assert sign_checkpoint(logapi) > old_size
    new, _ = fetch_checkpoint(c, logapi.db.signer.verifier)
    check_consistent(c, old, new)
    forked = Checkpoint(old.origin, old.size, bytes(32))
    with pytest.raises(CheckpointError, match="not consistent"):
        check_consistent(c, forked, new)
    r = c.get(f"/v1/log/proofs/consistency?from={new.size}&to={old.size}")
    assert r.status_code == 400


def _witness(api: Api, party: str, state: WitnessState | None) -> WitnessState:
    key = api.keys[party].current
    assert key.sign_secret is not None
    own = WitnessKey(f"{party}.example/witness", key.sign_public, key.sign_secret)
    client = api.client(party, "witness", "witness")
    return witness_over_http(client, api.db.signer.verifier, state, own, 1_800_000_000)


def test_a_witness_cosigns_over_http_and_the_cosignature_is_served(logapi: Api) -> None:
    """The witness verifies the checkpoint and the consistency proof from its state, posts its
    cosignature, and GET /v1/log/checkpoint shows it, verifiable with the witness's key."""
    c = logapi.client("someren")
    c.post("/v1/decisions", DECISION)
    sign_checkpoint(logapi)
    state = _witness(logapi, "helmond", None)
    for _ in range(2):
        c.post("/v1/decisions", DECISION)
    size = sign_checkpoint(logapi)
    state = _witness(logapi, "helmond", state)
    assert state.size == size
    note = parse_note(c.get("/v1/log/checkpoint").text)
    line = next(s for s in note.signatures if s.name == "helmond.example/witness")
    assert verify_cosignature(note.text, line, logapi.keys["helmond"].current.sign_public) == 1_800_000_000
    with logapi.db.sessions.begin() as s:
        assert ("helmond.example/witness", "helmond", size) in logapi.db.log.witnessed(s)


def test_a_witness_refuses_a_rolled_back_or_forked_checkpoint(logapi: Api) -> None:
    """A checkpoint smaller than the witness saw (a rollback) or with another history (a fork) is
    refused, and nothing is posted."""
    logapi.client("someren").post("/v1/decisions", DECISION)
    sign_checkpoint(logapi)
    state = _witness(logapi, "helmond", None)
    ahead = WitnessState(state.origin, state.size + 5, state.root)
    with pytest.raises(CheckpointError, match="shrank"):
        _witness(logapi, "helmond", ahead)
    forked = WitnessState(state.origin, state.size, bytes(32))
    with pytest.raises(CheckpointError, match="forked"):
        _witness(logapi, "helmond", forked)
    logapi.client("someren").post("/v1/decisions", DECISION)
    sign_checkpoint(logapi)
    with pytest.raises(CheckpointError, match="not consistent"):
        _witness(logapi, "helmond", forked)


def test_the_hub_refuses_a_bad_or_foreign_cosignature(logapi: Api) -> None:
    """A cosignature that does not verify is refused (400); a witness name registered to another
    party is refused (403); an ``old`` size other than the hub's record of the witness is a conflict
    (409), so a witness cannot be made to go back; a retry of a stored cosignature is done."""
    logapi.client("someren").post("/v1/decisions", DECISION)
    size = sign_checkpoint(logapi)
    state = _witness(logapi, "helmond", None)
    c = logapi.client("senzer")
    bad = "\u2014 senzer.example/witness " + base64.b64encode(bytes(76)).decode()
    r = c.post(
        "/v1/log/witness", {"name": "senzer.example/witness", "old": 0, "size": size, "cosignature": bad}
    )
    assert r.status_code == 400 and "cosignature was refused" in r.json()["detail"]
    other = "\u2014 helmond.example/witness " + base64.b64encode(bytes(76)).decode()
    r = c.post(
        "/v1/log/witness", {"name": "helmond.example/witness", "old": 0, "size": size, "cosignature": other}
    )
    assert r.status_code == 403
    logapi.client("someren").post("/v1/decisions", DECISION)
    skipped = sign_checkpoint(logapi)
    old_body = parse_note(c.get("/v1/log/checkpoint").text).text
    logapi.client("someren").post("/v1/decisions", DECISION)
    newer = sign_checkpoint(logapi)
    assert _witness(logapi, "helmond", state).size == newer
    key = logapi.keys["helmond"].current
    assert key.sign_secret is not None
    line = cosign(old_body, "helmond.example/witness", key.sign_public, key.sign_secret, 1_800_000_000)
    back = {"name": "helmond.example/witness", "old": 0, "size": skipped, "cosignature": line.render()}
    r = logapi.client("helmond").post("/v1/log/witness", back)
    assert r.status_code == 409 and f"at size {newer}, not 0" in r.json()["detail"]
    r = logapi.client("helmond").post("/v1/log/witness", {**back, "old": newer})
    assert r.status_code == 400 and "'old' must not be larger" in r.json()["detail"]
    first = parse_note(c.get("/v1/log/checkpoint").text)
    again = next(x for x in first.signatures if x.name == "helmond.example/witness").render()
    retry = {"name": "helmond.example/witness", "old": size, "size": newer, "cosignature": again}
    r = logapi.client("helmond").post("/v1/log/witness", retry)
    assert r.status_code == 200 and r.json()["already"] is True
