"""A covenant revision goes live in every worker without a restart: two uvicorn workers on one
PostgreSQL answer signed decisions from several clients while the key custodian's jurist proposes a
revision and the signatories approve it. No request fails; every answer before the last approval is
the old version's, every answer started after the workers' refresh interval is the new version's, and
an approved version dated tomorrow changes nothing today."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from exchange.client.http import ExchangeClient
from exchange.crypto.keys import PartyKeys
from exchange.policies.engine import LEGAL_TIMEZONE
from exchange.storage.db import make_engine, session_factory
from exchange.storage.parties import register_party
from exchange.storage.schema import upgrade
from tests.conftest import convenant_today
from tests.integration.conftest import ORIGIN
from tests.integration.revision_support import DROPPED_FLOW, SIGNATORIES, digest_of, revision
from tests.integration.test_operations import receipt_key as receipt_key_file
from tests.pgserver import PostgresServer
from tests.service_process import ServiceProcess

REFRESH = 0.2  # seconds between a worker's checks for a newly active version
BENEFITS = {  # Senzer's benefit status to a municipality, for fraud: the flow the revision drops
    "provider": "senzer",
    "category": "bijstand-status",
    "purpose": "uitkeringsfraude",
    "phase": "action",
    "covenant": "pit",
}


@dataclass(frozen=True)
class Answer:
    started: float
    status: int
    allowed: bool | None
    covenant: str | None


def _register(url: str) -> dict[str, PartyKeys]:
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    keys = {p: PartyKeys.create(p, now) for p in SIGNATORIES}
    with session_factory(engine).begin() as s:
        for party, k in keys.items():
            register_party(s, party, party.title(), [v.to_data(party) for v in k.public()], now)
    engine.dispose()
    return keys


def _ask(client: ExchangeClient) -> Answer:
    started = time.monotonic()
    r = client.post("/v1/decisions", BENEFITS)
    body: dict[str, Any] = r.json() if r.status_code == 200 else {}
    return Answer(started, r.status_code, body.get("allowed"), body.get("covenant"))


def test_a_revision_goes_live_in_two_workers_while_requests_run(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    url = pg_server.create_database("revisions_live")
    keys = _register(url)
    server = ServiceProcess(
        {
            "EXCHANGE_DATABASE_URL": url,
            "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
            "EXCHANGE_LOG_ORIGIN": ORIGIN,
            "EXCHANGE_MODE": "production",
            "EXCHANGE_RECEIPT_KEY_FILE": str(receipt_key_file(tmp_path)),
            "EXCHANGE_POLICY_REFRESH_SECONDS": str(REFRESH),
            "EXCHANGE_METRICS_TOKEN": secrets.token_urlsafe(32),
        },
        workers=2,
    )
    today = datetime.now(LEGAL_TIMEZONE).date()
    answers: list[Answer] = []
    lock = threading.Lock()
    stop = threading.Event()

    def asker(i: int) -> None:
        client = ExchangeClient(server.base, keys["someren"].current, f"u-{i}", "employee")
        while not stop.is_set():
            a = _ask(client)
            with lock:
                answers.append(a)

    def signed(party: str, role: str) -> ExchangeClient:
        return ExchangeClient(server.base, keys[party].current, f"{role}-{party}", role)

    threads = [threading.Thread(target=asker, args=(i,)) for i in range(4)]
    try:
        for t in threads:
            t.start()
        time.sleep(0.5)
        files = revision("2026-live", today, DROPPED_FLOW)
        made = signed("helmond", "jurist").post(
            "/v1/covenant-versions", {"files": files, "digest": digest_of(files)}
        )
        assert made.status_code == 201, made.text
        digest = made.json()["digest"]
        others = [p for p in SIGNATORIES if p != "helmond"]
        for party in others[:-1]:
            assert (
                signed(party, "privacy-officer")
                .post(f"/v1/covenant-versions/{digest}/approval", {})
                .status_code
                == 200
            )
            time.sleep(0.05)
        before_last = time.monotonic()
        last = signed(others[-1], "jurist").post(f"/v1/covenant-versions/{digest}/approval", {})
        approved = time.monotonic()
        assert last.status_code == 200 and last.json()["state"] == "approved", last.text
        time.sleep(1.5)
        # An approved version dated tomorrow, with the flow back, changes nothing today.
        restored = revision("2026-live-2", today + timedelta(days=1))
        later = signed("helmond", "jurist").post(
            "/v1/covenant-versions", {"files": restored, "digest": digest_of(restored)}
        )
        assert later.status_code == 201, later.text
        for party in others:
            r = signed(party, "jurist").post(f"/v1/covenant-versions/{later.json()['digest']}/approval", {})
            assert r.status_code == 200, r.text
        after_future = time.monotonic()
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join()
        server.stop()
    assert answers and {a.status for a in answers} == {200}, "a request failed during the swap"
    old = [a for a in answers if a.started < before_last]
    new = [a for a in answers if a.started > approved + REFRESH + 0.5]
    assert len(old) > 20 and len(new) > 20
    assert all(a.allowed and a.covenant == "pit/2021" for a in old)
    assert all(not a.allowed and a.covenant == "pit/2026-live" for a in new)
    assert [a for a in answers if a.started > after_future + REFRESH + 0.5], "no answer after the future one"
    swapped = [a for a in answers if before_last <= a.started <= approved + REFRESH + 0.5]
    assert {a.covenant for a in swapped} <= {"pit/2021", "pit/2026-live"}  # whole versions, never a mix
    assert all(a.allowed == (a.covenant == "pit/2021") for a in swapped)
