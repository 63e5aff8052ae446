"""Several service processes on one PostgreSQL: parallel clients appending to the log produce one
consistent tree (no duplicate index, no fork), and every checkpoint is consistent with the previous."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import text

from exchange.audit.checkpoint import NoteSigner
from exchange.client.http import ExchangeClient
from exchange.crypto.keys import PartyKeys
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, session_factory
from exchange.storage.parties import register_party
from exchange.storage.schema import upgrade
from tests.conftest import convenant_today
from tests.integration.conftest import ORIGIN
from tests.integration.test_operations import receipt_key as receipt_key_file
from tests.pgserver import PostgresServer
from tests.service_process import ServiceProcess


def _sample(metrics: str, name: str) -> float:
    """The value of one sample line ``name value`` in Prometheus text."""
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} is not in the metrics")


def test_two_workers_one_tree(pg_server: PostgresServer, tmp_path: Path) -> None:
    """Two uvicorn workers in production mode, 8 clients x 25 signed decisions; the log has 200 +
    setup events in one tree, and /metrics on either worker sums both workers' figures."""
    url = pg_server.create_database("workers")
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    keys = PartyKeys.create("someren", now)
    with sessions.begin() as s:
        register_party(s, "someren", "Someren", [v.to_data("someren") for v in keys.public()], now)
    token = secrets.token_urlsafe(32)
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    receipt_key = receipt_key_file(tmp_path)
    server = ServiceProcess(
        {
            "EXCHANGE_DATABASE_URL": url,
            "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
            "EXCHANGE_LOG_ORIGIN": ORIGIN,
            "EXCHANGE_MODE": "production",
            "EXCHANGE_METRICS_TOKEN": token,
            "EXCHANGE_RECEIPT_KEY_FILE": str(receipt_key),
            "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        },
        workers=2,
    )
    base = server.base
    signer = NoteSigner.from_seed(ORIGIN, b"\x07" * 32)
    log = AuditLog(ORIGIN)
    try:
        statuses: list[int] = []
        lock = threading.Lock()

        def client(i: int) -> None:
            c = ExchangeClient(base, keys.current, f"u-{i}", "employee")
            for _ in range(25):
                r = c.post(
                    "/v1/decisions",
                    {
                        "provider": "senzer",
                        "category": "bijstand-status",
                        "purpose": "uitkeringsfraude",
                        "phase": "action",
                        "covenant": "pit",
                    },
                )
                with lock:
                    statuses.append(r.status_code)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        # Sign checkpoints while the workers append: each must extend the previous one.
        for _ in range(5):
            time.sleep(0.3)
            with sessions.begin() as s:
                log.sign_checkpoint(s, signer, datetime.now(UTC))
        for t in threads:
            t.join()
        assert httpx.get(base + "/metrics").status_code == 401
        metrics = httpx.get(base + "/metrics", headers={"Authorization": f"Bearer {token}"}).text
    finally:
        server.stop()
    assert statuses == [200] * 200
    with sessions.begin() as s:
        log.sign_checkpoint(s, signer, datetime.now(UTC))
        report = log.verify(s, signer.verifier)
        actions = [a for (a,) in s.execute(text("SELECT action FROM log_entries ORDER BY idx"))]
    assert report.size == len(actions)
    assert actions.count("decision") == 200
    assert report.checkpoints >= 2
    assert _sample(metrics, 'exchange_decisions_total{outcome="allowed"}') == 200
    route = 'exchange_http_request_duration_seconds_count{method="POST",route="/v1/decisions",status="200"}'
    assert _sample(metrics, route) == 200  # both workers' requests, whichever answered the scrape
    engine.dispose()
