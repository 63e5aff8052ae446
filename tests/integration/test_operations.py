"""What an operator relies on: refusal to start with weak secrets, and Prometheus metrics that count
what the log committed, without ids or personal data in them."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from exchange.api.app import create_app
from exchange.audit.witness import witness
from exchange.config import Settings
from exchange.crypto import sodium
from exchange.errors import ConfigurationError
from tests.conftest import convenant_today
from tests.integration.api_support import DECISION, SUBJECT, Api
from tests.integration.conftest import ORIGIN, Db, block_log_writes, unblock_log_writes


def samples(text: str) -> dict[str, float]:
    """Prometheus text as {'name{labels}': value}; the client writes labels in alphabetical order."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def scrape(api: Api) -> dict[str, float]:
    r = api.http.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return samples(r.text)


def test_production_mode_refuses_to_start_without_its_secrets(db: Db) -> None:
    settings = Settings(
        mode="production", database_url=db.url, convenant_dir=convenant_today(), log_origin=ORIGIN
    )
    with pytest.raises(ConfigurationError, match="EXCHANGE_METRICS_TOKEN is not set"):
        create_app(settings, db.engine)
    weak = settings.model_copy(update={"metrics_token": SecretStr("changeme")})
    with pytest.raises(ConfigurationError, match="placeholder"):
        create_app(weak, db.engine)


def receipt_key(tmp_path: Path) -> Path:
    path = tmp_path / "receipt-key"
    path.write_text(secrets.token_bytes(32).hex())
    path.chmod(0o600)
    return path


def test_production_needs_a_receipt_key(db: Db, tmp_path: Path) -> None:
    """Production refuses to start without its receipt key, or with one others can read; dev mode
    signs with a key of the process."""
    settings = Settings(
        mode="production",
        metrics_token=SecretStr(secrets.token_urlsafe(32)),
        database_url=db.url,
        convenant_dir=convenant_today(),
        log_origin=ORIGIN,
        receipt_key_file=tmp_path / "absent",
    )
    with pytest.raises(ConfigurationError, match="init-receipt-key"):
        create_app(settings, db.engine)
    key = receipt_key(tmp_path)
    key.chmod(0o644)
    with pytest.raises(ConfigurationError, match="readable by others"):
        create_app(settings.model_copy(update={"receipt_key_file": key}), db.engine)


def test_metrics_need_the_bearer_token_in_production(db: Db, tmp_path: Path) -> None:
    token = secrets.token_urlsafe(32)
    settings = Settings(
        mode="production",
        metrics_token=SecretStr(token),
        database_url=db.url,
        convenant_dir=convenant_today(),
        log_origin=ORIGIN,
        receipt_key_file=receipt_key(tmp_path),
    )
    with TestClient(create_app(settings, db.engine)) as http:
        assert http.get("/metrics").status_code == 401
        assert (
            http.get("/metrics", headers={"Authorization": "Bearer " + token[:-1] + "x"}).status_code == 401
        )
        assert http.get("/metrics", headers={"Authorization": token}).status_code == 401  # no scheme
        ok = http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and "exchange_log_size" in ok.text


def test_decisions_are_counted_from_the_committed_log(api: Api) -> None:
    before = scrape(api)
    allowed = api.client("someren").post("/v1/decisions", DECISION)  # type: ignore[arg-type]
    denied = api.client("someren").post("/v1/decisions", {**DECISION, "purpose": "brandveiligheid"})  # type: ignore[dict-item]
    assert allowed.json()["allowed"] and not denied.json()["allowed"]
    after = scrape(api)
    assert after["exchange_log_size"] == api.log_size() == before["exchange_log_size"] + 2
    for outcome in ("allowed", "denied"):
        key = f'exchange_decisions_total{{outcome="{outcome}"}}'
        assert after[key] == before.get(key, 0) + 1
    assert after['exchange_log_events_total{action="decision",outcome="denied"}'] >= 1


def test_latency_is_labelled_by_route_template_never_by_id(api: Api) -> None:
    coord = api.client("helmond", "c-1", "coordinator")
    case = coord.post(
        "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [SUBJECT]}
    )
    case_id = case.json()["id"]
    assert coord.get(f"/v1/cases/{case_id}").status_code == 200
    api.http.get("/v1/no-such-route")
    text = api.http.get("/metrics").text
    assert case_id not in text and SUBJECT not in text and "c-1" not in text
    s = samples(text)
    assert (
        s[
            'exchange_http_request_duration_seconds_count{method="GET",route="/v1/cases/{case_id}",status="200"}'
        ]
        == 1
    )
    assert (
        s['exchange_http_request_duration_seconds_count{method="POST",route="/v1/cases",status="201"}'] == 1
    )
    assert s['exchange_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}'] == 1


def test_a_refused_log_write_raises_the_metric(api: Api) -> None:
    before = scrape(api).get("exchange_log_unavailable_total", 0)
    block_log_writes(api.db)
    try:
        assert api.client("someren").post("/v1/decisions", DECISION).status_code == 503  # type: ignore[arg-type]
    finally:
        unblock_log_writes(api.db)
    assert scrape(api)["exchange_log_unavailable_total"] == before + 1


def test_checkpoint_and_witness_lag(api: Api) -> None:
    db = api.db
    for _ in range(3):
        api.client("someren").post("/v1/decisions", DECISION)  # type: ignore[arg-type]
    pub, sec = sodium.sign_keypair_from_seed(b"\x09" * 32)
    with db.sessions.begin() as session:
        cp = db.log.sign_checkpoint(session, db.signer, datetime.now(UTC))
        db.log.register_witness(session, "helmond.test/witness", "helmond", pub)
        db.log.register_witness(session, "senzer.test/witness", "senzer", b"\x05" * 32)
        _, line = witness(
            cp.note, [], None, db.signer.verifier, "helmond.test/witness", pub, sec, 1_700_000_000
        )
        db.log.add_cosignature(session, cp.size, line.render())
    api.client("someren").post("/v1/decisions", DECISION)  # type: ignore[arg-type]
    m = scrape(api)
    size = api.log_size()
    assert m["exchange_log_checkpoint_size"] == cp.size
    assert m["exchange_log_unsigned_entries"] == size - cp.size
    assert 0 <= m["exchange_log_checkpoint_age_seconds"] < 60
    assert m['exchange_witness_lag_entries{witness="helmond.test/witness"}'] == size - cp.size
    assert m['exchange_witness_lag_entries{witness="senzer.test/witness"}'] == size  # never cosigned
    assert m['exchange_witness_lag_seconds{witness="senzer.test/witness"}'] == -1
    assert re.search(
        r"exchange_witness_lag_seconds\{witness=\"helmond.test/witness\"\} \d", api.http.get("/metrics").text
    )
