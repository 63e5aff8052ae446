"""A bounded load test on loopback: the service in its own process on SQLite, a realistic mix of
signed requests (70% hit/no-hit, 20% decisions, 10% sealed disclosures), and an account of every
acknowledged action against the log.

Phases: measure capacity with closed-loop clients; hold 80% of it open-loop (fixed arrival rate);
push twice capacity; then 50% again to see the service recover by itself. Every request loop is
bounded in count and time, and only 127.0.0.1 is addressed.

``python -m tests.load.loadtest [--hold SECONDS]`` prints the report as JSON; the test suite runs a
short version (tests/integration/test_load.py) and ``make reliability`` a longer one.
"""

from __future__ import annotations

import base64
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from exchange.client.http import ExchangeClient, HubUnavailableError
from exchange.client.texts import seal_text
from exchange.crypto.envelope import ItemMetadata, Recipient, encode, format_created, seal
from exchange.crypto.keys import PartyKeys, b64, unb64
from exchange.storage.db import make_engine, session_factory
from exchange.storage.parties import register_party
from exchange.storage.schema import upgrade
from tests.conftest import convenant_today
from tests.service_process import ServiceProcess

PARTIES = ("helmond", "politie-oost-brabant", "someren", "senzer")
POLICE = "politie-oost-brabant"
DECISION = {
    "provider": "senzer",
    "category": "bijstand-status",
    "purpose": "uitkeringsfraude",
    "phase": "action",
    "covenant": "pit",
}
MAX_REQUESTS = 60_000  # a hard bound on every phase, whatever the rate


@dataclass
class Tally:
    """What the clients saw: statuses per kind, and the events the acknowledged ones promise."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    promised: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int, events: int, action: str) -> None:
        with self.lock:
            self.statuses[(kind, status)] += 1
            self.sent += 1
            if status in (200, 201):
                self.promised[action] += events

    def summary(self) -> dict[str, Any]:
        by_status: Counter[int] = Counter()
        for (_, status), n in self.statuses.items():
            by_status[status] += n
        return {
            "sent": self.sent,
            "statuses": dict(sorted(by_status.items())),
            "client_errors": dict(self.errors),
        }


class Service:
    """The service in a subprocess (one uvicorn worker, SQLite WAL), its parties and a prepared case."""

    def __init__(self, workdir: Path, max_in_flight: int = 32) -> None:
        self.db = workdir / "load.db"
        url = f"sqlite:///{self.db}"
        engine = make_engine(url)
        upgrade(engine)
        now = datetime.now(UTC)
        self.keys = {p: PartyKeys.create(p, now) for p in PARTIES}
        with session_factory(engine).begin() as s:
            for p, k in self.keys.items():
                register_party(s, p, p, [v.to_data(p) for v in k.public()], now)
        engine.dispose()
        self.server = ServiceProcess(
            {
                "EXCHANGE_MODE": "dev",
                "EXCHANGE_DATABASE_URL": url,
                "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
                "EXCHANGE_LOG_ORIGIN": "load.exchange/log",
                "EXCHANGE_MAX_IN_FLIGHT": str(max_in_flight),
            }
        )
        self.proc, self.base = self.server.proc, self.server.base
        self.case, self.recipients = self._prepare()
        self.baseline = self.logged()  # the setup's own events (the enrichment request is a decision)

    def client(self, party: str, role: str = "employee") -> ExchangeClient:
        return ExchangeClient(self.base, self.keys[party].current, f"load-{party[:6]}", role)

    def _prepare(self) -> tuple[str, list[Recipient]]:
        coord = self.client("helmond", "coordinator")
        subject = "v1:" + b64(os.urandom(32))
        case = coord.post(
            "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [subject]}
        )
        case_id = str(case.json()["id"])
        coord.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"})
        reason = seal_text(coord, self.keys["helmond"], case_id, "selection-reason", "Load test signals.")
        coord.post(f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": reason})
        coord.post(
            f"/v1/cases/{case_id}/enrichment-requests",
            {"provider": POLICE, "categories": ["politie-incidenten"]},
        )
        found = self.client(POLICE).get(f"/v1/cases/{case_id}/recipients?category=politie-incidenten").json()
        return case_id, [Recipient(r["party"], r["kid"], unb64(r["public"], "key")) for r in found]

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def logged(self) -> dict[str, int]:
        engine = make_engine(f"sqlite:///{self.db}")
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT action, count(*) FROM log_entries GROUP BY action")).all()
        finally:
            engine.dispose()
        return {str(a): int(n) for a, n in rows}

    def stop(self) -> str:
        return self.server.stop()


def _mix(service: Service, tally: Tally) -> Callable[[int], None]:
    """One request of the mix per call; each thread keeps its own clients (connection pools)."""
    local = threading.local()

    def call(i: int) -> None:
        if not hasattr(local, "coord"):
            local.coord = service.client("helmond", "coordinator")
            local.someren = service.client("someren")
            local.police = service.client(POLICE)
            local.rnd = random.Random(i)
        roll = local.rnd.random()
        try:
            if roll < 0.7:
                r = local.coord.post(f"/v1/cases/{service.case}/hits", {})
                answers = len(r.json()) if r.status_code == 200 else 0
                tally.add("hits", r.status_code, answers, "hit-query")
            elif roll < 0.9:
                r = local.someren.post("/v1/decisions", DECISION)
                tally.add("decision", r.status_code, 1, "decision")
            else:
                meta = ItemMetadata(
                    service.case,
                    f"item-{os.urandom(8).hex()}",
                    POLICE,
                    "politie-incidenten",
                    "onrechtmatige-bewoning",
                    format_created(datetime.now(UTC)),
                )
                sealed = encode(
                    seal(b"melding overlast", meta, service.recipients, service.keys[POLICE].current)
                )
                r = local.police.post(
                    f"/v1/cases/{service.case}/items", {"envelope": base64.b64encode(sealed).decode()}
                )
                n = len(r.json().get("recipients", [])) if r.status_code == 201 else 0
                tally.add("disclosure", r.status_code, n, "disclosure")
        except (httpx.HTTPError, HubUnavailableError) as exc:
            with tally.lock:
                tally.errors[type(exc).__name__] += 1

    return call


def closed_loop(call: Callable[[int], None], tally: Tally, clients: int, seconds: float) -> float:
    """Requests per second with ``clients`` back-to-back clients."""
    stop = time.monotonic() + seconds
    start_sent = tally.sent

    def worker(w: int) -> None:
        i = 0
        while time.monotonic() < stop and tally.sent - start_sent < MAX_REQUESTS:
            call(w * 1_000_000 + i)
            i += 1

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return (tally.sent - start_sent) / (time.monotonic() - began)


def open_loop(
    call: Callable[[int], None],
    rate: float,
    seconds: float,
    threads: int,
    sample: Callable[[], None] | None = None,
) -> float:
    """Send at a fixed arrival rate for ``seconds`` (bounded by MAX_REQUESTS); returns the rate reached."""
    total = min(int(rate * seconds), MAX_REQUESTS)
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = []
        next_sample = began
        for i in range(total):
            due = began + i / rate
            now = time.monotonic()
            if sample is not None and now >= next_sample:
                sample()
                next_sample = now + 1.0
            if due > now:
                time.sleep(due - now)
            futures.append(pool.submit(call, i))
        for f in futures:
            f.result()
    return total / (time.monotonic() - began)


def run(hold: float = 15.0, overload: float = 8.0, workdir: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(Path(workdir or tmp))
        report: dict[str, Any] = {}
        try:
            warm = Tally()
            closed_loop(_mix(service, warm), warm, 4, 2.0)
            probe = Tally()
            capacity = closed_loop(_mix(service, probe), probe, 8, 5.0)
            report["capacity_rps"] = round(capacity, 1)

            held = Tally()
            rss: list[int] = []
            reached = open_loop(
                _mix(service, held), 0.8 * capacity, hold, 16, lambda: rss.append(service.rss_kib())
            )
            half = max(1, len(rss) // 2)
            report["hold"] = {
                "target_rps": round(0.8 * capacity, 1),
                "reached_rps": round(reached, 1),
                "seconds": hold,
                **held.summary(),
                "rss_mib_first_half": round(max(rss[:half]) / 1024, 1),
                "rss_mib_second_half": round(max(rss[half:] or rss) / 1024, 1),
            }

            over = Tally()
            reached = open_loop(_mix(service, over), 2 * capacity, overload, 64)
            report["overload"] = {
                "target_rps": round(2 * capacity, 1),
                "reached_rps": round(reached, 1),
                **over.summary(),
            }

            after = Tally()
            open_loop(_mix(service, after), 0.5 * capacity, 4.0, 8)
            report["recovery"] = after.summary()

            promised: Counter[str] = Counter()
            for t in (warm, probe, held, over, after):
                promised.update(t.promised)
            logged = service.logged()
            report["events"] = {
                action: {
                    "acknowledged": promised[action],
                    "logged": logged.get(action, 0) - service.baseline.get(action, 0),
                }
                for action in ("hit-query", "decision", "disclosure")
            }
        finally:
            report["server_stderr"] = service.stop()[-2000:]
        return report


if __name__ == "__main__":
    hold = float(sys.argv[sys.argv.index("--hold") + 1]) if "--hold" in sys.argv else 180.0
    print(json.dumps(run(hold=hold, overload=min(60.0, hold / 3)), indent=2))
