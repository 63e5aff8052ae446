"""The disclosure log: durable appends, CPU per append, verification and proofs, each as a ratio
against its raw primitive (sqlite3 rows with their SHA-256, hashlib leaf hashing, pymerkle in memory)
measured in the same run, min/median/max over alternating rounds; then a scale table at 10^4 and
10^6 leaves (10^7 with EXCHANGE_BENCH_LOG_1E7=1, from a synthetic log built once and cached in
build/bench/). Where a target of the disclosure-log issue is missed, the line says by how much."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from sqlalchemy.orm import Session

from bench.log_scale import EVENT, ORIGIN, SIGNER, scale_table
from exchange.storage.audit_store import AppendResult, AuditLog
from exchange.storage.db import make_engine, session_factory
from exchange.storage.schema import upgrade
from exchange.storage.unit_of_work import GroupCommitter

ROUNDS = int(os.environ.get("EXCHANGE_BENCH_LOG_ROUNDS", "3"))
CLIENTS, PER_CLIENT = 32, 200


def mmm(values: list[float], fmt: str = "{:.2f}") -> str:
    """min/median/max of ``values``."""
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def target(value: float, goal: float, what: str, higher: bool = True) -> str:
    """'met' or how far ``value`` is from ``goal``."""
    if (value >= goal) if higher else (value <= goal):
        return f"target {what}: met"
    factor = goal / value if higher else value / goal
    return f"target {what}: MISSED by {factor:.1f}x"


def raw_rows(path: Path, n: int, per_commit: int) -> tuple[float, float]:
    """(rows/s, CPU seconds per row) of raw sqlite3 inserting a comparable row with its SHA-256,
    WAL and synchronous=FULL, ``per_commit`` rows per transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, h BLOB, e BLOB)")
    data = EVENT.canonical()
    cpu, start = time.process_time(), time.perf_counter()
    for _ in range(0, n, per_commit):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO t (h, e) VALUES (?, ?)",
            [(hashlib.sha256(b"\x00" + data).digest(), data) for _ in range(per_commit)],
        )
        conn.execute("COMMIT")
    rate = n / (time.perf_counter() - start)
    per_row = (time.process_time() - cpu) / n
    conn.close()
    return rate, per_row


def _append(log: AuditLog, s: Session) -> AppendResult:
    return log.append(s, EVENT)


def group_commit(log: AuditLog, gc: GroupCommitter) -> float:
    """Durable appends/s, ``CLIENTS`` threads each appending one event per unit of work."""

    def client() -> None:
        for _ in range(PER_CLIENT):
            gc.run(partial(_append, log))

    workers = [threading.Thread(target=client) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return CLIENTS * PER_CLIENT / (time.perf_counter() - start)


def cpu_per_append(log: AuditLog, sessions: object, n: int = 2000) -> float:
    """CPU seconds per append, ``n`` appends in one transaction with its commit (no waiting)."""
    cpu = time.process_time()
    with sessions.begin() as s:  # type: ignore[attr-defined]
        for _ in range(n):
            log.append(s, EVENT)
    return (time.process_time() - cpu) / n


def raw_leaf_hashing(n: int) -> float:
    data = EVENT.canonical()
    start = time.perf_counter()
    for _ in range(n):
        hashlib.sha256(b"\x00" + data).digest()
    return n / (time.perf_counter() - start)


def run() -> None:
    print(f"Disclosure log, {ROUNDS} alternating rounds, min/median/max (ratios against raw primitives)")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        engine = make_engine(f"sqlite:///{d / 'log.db'}")
        upgrade(engine)
        sessions = session_factory(engine)
        log = AuditLog(ORIGIN)
        gc = GroupCommitter(sessions)
        rates, raws, ratios, cpus, raw_cpus, cpu_ratios = [], [], [], [], [], []
        verify_rates, column_rates, verify_ratios, column_ratios = [], [], [], []
        for r in range(ROUNDS):
            raw, raw_cpu = raw_rows(d / f"raw{r}.db", 20000, 100)
            rate = group_commit(log, gc)
            cpu = cpu_per_append(log, sessions)
            rates.append(rate)
            raws.append(raw)
            ratios.append(rate / raw)
            cpus.append(cpu)
            raw_cpus.append(raw_cpu)
            cpu_ratios.append(cpu / raw_cpu)
            with sessions.begin() as s:
                log.sign_checkpoint(s, SIGNER, datetime.now(UTC))
                size = log.size(s)
                start = time.perf_counter()
                log.verify(s, SIGNER.verifier, check_columns=False)
                verify = size / (time.perf_counter() - start)
                start = time.perf_counter()
                log.verify(s, SIGNER.verifier, check_columns=True)
                columns = size / (time.perf_counter() - start)
            hashing = raw_leaf_hashing(size)
            verify_rates.append(verify)
            column_rates.append(columns)
            verify_ratios.append(verify / hashing)
            column_ratios.append(columns / hashing)
        gc.close()
        engine.dispose()
        print(f"  durable appends, group commit of {CLIENTS} clients (WAL, synchronous=FULL)")
        print(
            f"    log                       {mmm(rates, '{:,.0f}')} /s   {target(statistics.median(rates), 10_000, '>= 10,000/s')}"
        )
        print(f"    raw sqlite3, 100 per commit {mmm(raws, '{:,.0f}')} /s")
        print(
            f"    ratio                     {mmm(ratios)}x   {target(statistics.median(ratios), 0.25, '>= 0.25x raw batched')}"
        )
        print("  CPU per append (one transaction of 2,000) against a raw sqlite3 row insert plus its SHA-256")
        print(f"    log                       {mmm([c * 1e6 for c in cpus], '{:.1f}')} us")
        print(f"    raw row + SHA-256         {mmm([c * 1e6 for c in raw_cpus], '{:.1f}')} us")
        print(
            f"    ratio                     {mmm(cpu_ratios)}x   {target(statistics.median(cpu_ratios), 3.0, '<= 3x', higher=False)}"
        )
        print(f"  full verification of {size:,} entries (hashes, tiles, root, checkpoints)")
        print(
            f"    leaves/s                  {mmm(verify_rates, '{:,.0f}')}   {target(statistics.median(verify_rates), 500_000, '>= 500,000/s')}"
        )
        print(
            f"    ratio to raw leaf hashing {mmm(verify_ratios)}x   {target(statistics.median(verify_ratios), 0.35, '>= 0.35x')}"
        )
        print(
            f"    ... every query column    {mmm(column_rates, '{:,.0f}')} leaves/s ({mmm(column_ratios)}x raw)   "
            f"{target(statistics.median(column_rates), 150_000, '>= 150,000/s')}"
        )
    scale_table(target)
