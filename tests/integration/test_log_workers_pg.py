"""Four worker processes appending to one tree on PostgreSQL through group-commit units of work:
afterwards the log verifies, its indexes are 0..n-1, and every acknowledged event is in the tree
exactly once, at the index its worker was told. Every seventh unit appends and then refuses, so its
batch runs again with a savepoint per unit; no refused unit's event is in the tree."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import text

from bench.log_scale import ORIGIN
from bench.log_workers import fresh, run_workers
from exchange.audit.checkpoint import NoteSigner
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, session_factory
from tests.pgserver import PostgresServer

WORKERS, THREADS, PER_THREAD, REFUSE_EVERY = 4, 4, 30, 7


def test_four_worker_processes_one_tree(pg_server: PostgresServer) -> None:
    url = pg_server.create_database("logworkers")
    fresh(url)
    run = run_workers(url, WORKERS, THREADS, PER_THREAD, fail_every=REFUSE_EVERY)
    assert run.errors == []
    refused_per_thread = PER_THREAD // REFUSE_EVERY
    assert len(run.refused) == WORKERS * THREADS * refused_per_thread
    assert len(run.acknowledged) == WORKERS * THREADS * (PER_THREAD - refused_per_thread)
    # Every worker had appends acknowledged: all four took part, not one after the other alone.
    assert {trace.split("-")[0] for _, trace in run.acknowledged} == {f"w{w}" for w in range(WORKERS)}

    engine = make_engine(url)
    signer = NoteSigner.from_seed(ORIGIN, b"\x05" * 32)
    log = AuditLog(ORIGIN)
    with session_factory(engine).begin() as s:
        log.sign_checkpoint(s, signer, datetime.now(UTC))
        report = log.verify(s, signer.verifier)
        rows = [
            (int(i), str(t)) for i, t in s.execute(text("SELECT idx, trace_id FROM log_entries ORDER BY idx"))
        ]
    engine.dispose()

    assert [i for i, _ in rows] == list(range(len(rows)))
    assert report.size == len(rows) == len(run.acknowledged)
    counts = Counter(t for _, t in rows)
    assert max(counts.values()) == 1
    assert sorted(run.acknowledged) == rows
    assert not set(run.refused) & set(counts)
