"""The SQLite log store on a disk that fills up, and locked by another process: every action that
must be logged answers 503 and releases nothing, the refusals are counted, and the service resumes
by itself when the fault clears.

For the full disk the service runs in its own mount namespace with its data directory on a small
tmpfs, which the test fills from outside with ``nsenter``. (A read-only remount cannot be shown
this way: a file SQLite holds open for writing keeps the mount busy.)
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from exchange.client.http import ExchangeClient
from exchange.crypto.keys import PartyKeys
from tests.conftest import ROOT, convenant_today
from tests.integration.api_support import DECISION
from tests.integration.test_operations import samples
from tests.service_process import NSENTER, UNSHARE, ServiceProcess, free_port, in_mount_namespace

needs_namespaces = pytest.mark.skipif(
    NSENTER is None or not in_mount_namespace("mount -t tmpfs -o size=1m tmpfs /mnt && touch /mnt/x"),
    reason="needs mount namespaces (unshare, nsenter, tmpfs) to simulate the disk",
)


class Service:
    def __init__(self, tmp: Path) -> None:
        self.data = tmp / "data"
        self.data.mkdir()
        keys = PartyKeys.create("someren", datetime.now(UTC))
        public = tmp / "someren.json"
        public.write_text(json.dumps([v.to_data("someren") for v in keys.public()]))
        self.client_keys = keys
        port = free_port()
        py = shlex.quote(sys.executable)
        cli = f"{py} -m exchange.cli.main"
        script = (
            f"mount -t tmpfs -o size=4m tmpfs {shlex.quote(str(self.data))}"
            f" && {cli} db upgrade >/dev/null"
            f" && {cli} admin register-party --party someren --name Someren --public-keys {shlex.quote(str(public))}"
            f" >/dev/null && exec {py} -m uvicorn --factory exchange.api.asgi:create --port {port} --log-level warning"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXCHANGE_")}
        env.update(
            PYTHONPATH=str(ROOT),
            EXCHANGE_MODE="dev",
            EXCHANGE_DATABASE_URL=f"sqlite:///{self.data / 'exchange.db'}",
            EXCHANGE_CONVENANT_DIR=str(convenant_today()),
            EXCHANGE_LOG_ORIGIN="disk.exchange/log",
        )
        self.proc = subprocess.Popen(
            [str(UNSHARE), "-m", "/bin/sh", "-c", script],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stderr.read().decode() if self.proc.stderr else "exited")
            try:
                if httpx.get(self.base + "/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.client = ExchangeClient(self.base, keys.current, "u-1", "employee")

    def inside(self, command: str) -> None:
        """Run a shell command in the service's mount namespace."""
        subprocess.run(
            [str(NSENTER), "-t", str(self.proc.pid), "-m", "/bin/sh", "-c", command],
            check=False,
            capture_output=True,
        )

    def decide(self) -> httpx.Response:
        return self.client.post("/v1/decisions", DECISION or {})

    def metrics(self) -> dict[str, float]:
        return samples(httpx.get(self.base + "/metrics").text)

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(30)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    s = Service(tmp_path)
    yield s
    s.stop()


def _refused(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json" and "allowed" not in r.json()


@needs_namespaces
def test_disk_full_answers_503_and_recovers(service: Service) -> None:
    assert service.decide().status_code == 200
    data = shlex.quote(str(service.data))
    service.inside(f"dd if=/dev/zero of={data}/filler bs=64k 2>/dev/null; sync")
    refused = 0
    for _ in range(20):  # until SQLite needs a page it cannot get
        r = service.decide()
        if r.status_code == 503:
            _refused(r)
            refused += 1
            break
        assert r.status_code == 200
    assert refused, "the full disk was never noticed"
    service.inside(f"rm -f {data}/filler")
    assert service.decide().status_code == 200  # resumes without a restart
    m = service.metrics()
    assert m["exchange_log_unavailable_total"] >= 1
    assert (
        m['exchange_decisions_total{outcome="allowed"}'] == m["exchange_log_size"] - 1
    )  # + key registration


def _sqlite_service(db: Path, busy_timeout: int) -> tuple[ServiceProcess, PartyKeys]:
    """The service as its own process on a fresh SQLite file, with Someren registered; SQLite waits
    at most ``busy_timeout`` seconds for another connection's write lock."""
    from exchange.storage.db import make_engine, session_factory
    from exchange.storage.parties import register_party
    from exchange.storage.schema import upgrade

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    keys = PartyKeys.create("someren", datetime.now(UTC))
    with session_factory(engine).begin() as s:
        register_party(
            s, "someren", "Someren", [v.to_data("someren") for v in keys.public()], datetime.now(UTC)
        )
    engine.dispose()
    server = ServiceProcess(
        {
            "EXCHANGE_MODE": "dev",
            "EXCHANGE_DATABASE_URL": f"sqlite:///{db}?timeout={busy_timeout}",
            "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
            "EXCHANGE_LOG_ORIGIN": "faults.exchange/log",
        }
    )
    return server, keys


def test_a_locked_store_answers_503_and_recovers(tmp_path: Path) -> None:
    """Another process holds SQLite's write lock longer than the busy timeout (1 s here)."""
    import sqlite3

    db = tmp_path / "exchange.db"
    server, keys = _sqlite_service(db, busy_timeout=1)
    try:
        client = ExchangeClient(server.base, keys.current, "u-1", "employee")
        assert client.post("/v1/decisions", DECISION or {}).status_code == 200
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            _refused(client.post("/v1/decisions", DECISION or {}))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        ok = client.post("/v1/decisions", DECISION or {})
        assert ok.status_code == 200 and ok.json()["allowed"] is True
        m = samples(httpx.get(server.base + "/metrics").text)
        assert m["exchange_log_unavailable_total"] >= 1
        assert m['exchange_decisions_total{outcome="allowed"}'] == 2
    finally:
        server.stop()


def test_a_request_waiting_for_the_writer_does_not_stall_the_others(tmp_path: Path) -> None:
    """While another process holds SQLite's write lock, a signed request waits for the log writer
    (here up to 3 s). Meanwhile the service keeps answering: verification runs off the event loop,
    and the key lookup reads beside the writer instead of queueing for its lock."""
    import sqlite3
    import threading

    db = tmp_path / "exchange.db"
    server, keys = _sqlite_service(db, busy_timeout=3)
    try:
        client = ExchangeClient(server.base, keys.current, "u-1", "employee")
        assert client.get("/v1/whoami").status_code == 200
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        waiting: list[int] = []
        try:
            blocked = threading.Thread(target=lambda: waiting.append(client.get("/v1/whoami").status_code))
            blocked.start()
            time.sleep(0.5)  # the signed request is now waiting for the lock
            assert blocked.is_alive()
            start = time.monotonic()
            assert httpx.get(server.base + "/health", timeout=10).status_code == 200
            unsigned = httpx.get(server.base + "/v1/whoami", timeout=10)
            assert unsigned.status_code == 401
            assert time.monotonic() - start < 1.0, (
                "the service stalled behind a request waiting for the writer"
            )
            assert blocked.is_alive()  # still waiting: the answers above did not wait for it
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        blocked.join(10)
        assert waiting == [200]  # the lock came free within the busy timeout: it went through
    finally:
        server.stop()
