"""The disclosure log on SQLite and PostgreSQL side by side: durable appends, CPU per append,
verification and proofs, each as a ratio against its raw primitive on the same database (rows with
their SHA-256 through the bare driver, 100 per commit; hashlib leaf hashing; pymerkle in memory)
measured in the same run, min/median/max over rounds that alternate raw and log and both databases.
Then several worker processes appending to one tree (bench/log_workers.py), checked afterwards, and
a scale table on SQLite at 10^4 and 10^6 leaves (10^7 with EXCHANGE_BENCH_LOG_1E7=1, from a synthetic
log built once and cached in build/bench/). Where a target of the disclosure-log issue is missed, the
line says by how much.

PostgreSQL runs on a throwaway server started here (bench/pgserver.py); without its binaries that
column is skipped. EXCHANGE_BENCH_LOG_DB=sqlite or =postgresql measures one database only."""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench import log_raw, log_workers, pgserver
from bench.log_scale import EVENT, ORIGIN, SIGNER, pymerkle_proof, scale_table
from bench.timing import latencies, p50
from exchange.storage.audit_store import AppendResult, AuditLog
from exchange.storage.db import make_engine, session_factory
from exchange.storage.schema import upgrade
from exchange.storage.unit_of_work import GroupCommitter

ROUNDS = int(os.environ.get("EXCHANGE_BENCH_LOG_ROUNDS", "3"))
CLIENTS, PER_CLIENT = 32, 200
RAW_ROWS, PER_COMMIT = 20000, 100
WORKERS = [int(w) for w in os.environ.get("EXCHANGE_BENCH_LOG_WORKERS", "1,2,4").split(",") if w.strip()]
WORKER_THREADS, WORKER_APPENDS = 8, 3200


def mmm(values: list[float], fmt: str = "{:.2f}") -> str:
    """min/median/max of ``values``."""
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def target(value: float, goal: float, what: str, higher: bool = True) -> str:
    """'met' or how far ``value`` is from ``goal``."""
    if (value >= goal) if higher else (value <= goal):
        return f"target {what}: met"
    factor = goal / value if higher else value / goal
    return f"target {what}: MISSED by {factor:.1f}x"


def verdict(values: list[float], goal: float, higher: bool = True) -> str:
    """The median against ``goal``, short: 'met' or 'MISSED 3.1x'."""
    value = statistics.median(values)
    if (value >= goal) if higher else (value <= goal):
        return "met"
    return f"MISSED {goal / value if higher else value / goal:.2f}x"


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


@dataclass
class Column:
    """One database of the side-by-side table: its log, its raw primitive and the figures measured."""

    name: str
    url: str
    raw: Callable[[int], tuple[float, float]]  # round -> (rows/s, CPU seconds per row)
    new_database: Callable[[str], str]  # name -> URL of a fresh, empty database
    figures: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.engine: Engine = make_engine(self.url)
        upgrade(self.engine)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.log = AuditLog(ORIGIN)
        self.committer = GroupCommitter(self.sessions)

    def add(self, **values: float) -> None:
        for k, v in values.items():
            self.figures.setdefault(k, []).append(v)

    def close(self) -> None:
        self.committer.close()
        self.engine.dispose()


@contextmanager
def columns(tmp: Path) -> Iterator[list[Column]]:
    """SQLite and PostgreSQL (a throwaway server), or the one EXCHANGE_BENCH_LOG_DB names."""
    chosen = os.environ.get("EXCHANGE_BENCH_LOG_DB", "sqlite,postgresql").lower()
    out: list[Column] = []
    server: pgserver.PostgresServer | None = None
    try:
        if "sqlite" in chosen:

            def sqlite_database(name: str) -> str:
                return f"sqlite:///{tmp / name}.db"

            out.append(
                Column(
                    "SQLite",
                    sqlite_database("log"),
                    lambda r: log_raw.sqlite_rows(tmp / f"raw{r}.db", RAW_ROWS, PER_COMMIT),
                    sqlite_database,
                )
            )
        if "postgres" in chosen:
            why = pgserver.missing()
            if why:
                print(f"  PostgreSQL skipped: {why}")
            else:
                server = pgserver.PostgresServer()
                server.start()
                raw_url = server.create_database("raw")
                out.append(
                    Column(
                        "PostgreSQL",
                        server.create_database("log"),
                        lambda _r: log_raw.postgres_rows(raw_url, RAW_ROWS, PER_COMMIT),
                        server.create_database,
                    )
                )
        yield out
    finally:
        for c in out:
            c.close()
        if server is not None:
            server.stop()


def measure_round(c: Column, r: int) -> None:
    """One round on one database: its raw primitive, then the log's figures."""
    raw, raw_cpu = c.raw(r)
    rate = group_commit(c.log, c.committer)
    cpu = cpu_per_append(c.log, c.sessions)
    with c.sessions.begin() as s:
        c.log.sign_checkpoint(s, SIGNER, datetime.now(UTC))
        size = c.log.size(s)
        start = time.perf_counter()
        c.log.verify(s, SIGNER.verifier, check_columns=False)
        verify = size / (time.perf_counter() - start)
        start = time.perf_counter()
        c.log.verify(s, SIGNER.verifier, check_columns=True)
        with_columns = size / (time.perf_counter() - start)
    hashing = log_raw.leaf_hashing(size)
    c.add(
        rate=rate,
        raw=raw,
        ratio=rate / raw,
        cpu=cpu * 1e6,
        raw_cpu=raw_cpu * 1e6,
        cpu_ratio=cpu / raw_cpu,
        verify=verify,
        verify_ratio=verify / hashing,
        columns=with_columns,
        columns_ratio=with_columns / hashing,
        size=size,
    )


def measure_proofs(c: Column, pymerkle: dict[int, float]) -> None:
    """Inclusion proof p50 at random indexes of the log as this round left it, and pymerkle's at the
    same size (built once per size, shared by the databases)."""
    with c.sessions.begin() as s:
        n = c.log.size(s)
        rng = random.Random(n)
        indexes = [rng.randrange(n) for _ in range(220)]
        it = iter(indexes * 2)
        proof = p50(latencies(lambda: c.log.prove_inclusion(s, next(it), n), 200, warmup=20))
    if n not in pymerkle:
        pymerkle[n] = pymerkle_proof(n, indexes)
    c.add(proof=proof * 1e6, pymerkle=pymerkle[n] * 1e6, proof_ratio=proof / pymerkle[n])


LABEL, WIDTH = 40, 36


def row(label: str, cols: list[Column], cell: Callable[[Column], str]) -> None:
    print(f"    {label:<{LABEL}}" + "".join(f"{cell(c):<{WIDTH}}" for c in cols).rstrip())


def figure(
    key: str, fmt: str = "{:.2f}", unit: str = "", goal: float | None = None, higher: bool = True
) -> Callable[[Column], str]:
    """A cell: min/median/max of one figure, with the verdict on ``goal``."""

    def cell(c: Column) -> str:
        values = c.figures[key]
        text = mmm(values, fmt) + unit
        return text if goal is None else f"{text} {verdict(values, goal, higher)}"

    return cell


def report(cols: list[Column]) -> None:
    size = int(statistics.median(cols[0].figures["size"]))
    print(f"    {'':<{LABEL}}" + "".join(f"{c.name:<{WIDTH}}" for c in cols).rstrip())
    print(
        f"  durable appends/s, group commit of {CLIENTS} clients (SQLite WAL synchronous=FULL; PostgreSQL fsync on)"
    )
    row("log (target >= 10,000/s)", cols, figure("rate", "{:,.0f}", "", 10_000))
    row(f"raw driver, {PER_COMMIT} rows per commit", cols, figure("raw", "{:,.0f}"))
    row("ratio (target >= 0.25x)", cols, figure("ratio", "{:.3f}", "x", 0.25))
    print("  CPU per append in this process (one transaction of 2,000), against a raw row insert + SHA-256")
    row("log", cols, figure("cpu", "{:.1f}", " us"))
    row("raw row + SHA-256", cols, figure("raw_cpu", "{:.1f}", " us"))
    row("ratio (target <= 3x)", cols, figure("cpu_ratio", "{:.1f}", "x", 3.0, higher=False))
    print(f"  full verification of about {size:,} entries (hashes, tiles, root, checkpoints)")
    row("leaves/s (target >= 500,000)", cols, figure("verify", "{:,.0f}", "", 500_000))
    row("ratio to raw leaf hashing (>= 0.35x)", cols, figure("verify_ratio", "{:.2f}", "x", 0.35))
    row("with every query column (>= 150,000/s)", cols, figure("columns", "{:,.0f}", "", 150_000))
    row("... ratio to raw leaf hashing", cols, figure("columns_ratio", "{:.2f}", "x"))
    print("  inclusion proof p50 at random indexes of the log after each round (target <= 100 us at 10^7)")
    row("log", cols, figure("proof", "{:.1f}", " us"))
    row("pymerkle in memory, same size", cols, figure("pymerkle", "{:.1f}", " us"))
    row("ratio (target <= 1x, faster)", cols, figure("proof_ratio", "{:.2f}", "x", 1.0, higher=False))


def workers(cols: list[Column]) -> None:
    """Appends/s with W worker processes on one tree, and the tree checked after each run."""
    print(
        f"  worker processes appending to one tree ({WORKER_APPENDS:,} appends in all; each process its own"
        f" engine, log and group commit with {WORKER_THREADS} client threads; then verify and compare)"
    )
    print(f"    {'workers':<{LABEL}}" + "".join(f"{c.name + ' appends/s':<{WIDTH}}" for c in cols).rstrip())
    findings: list[str] = []
    for w in WORKERS:
        cells = []
        for c in cols:
            url = c.new_database(f"workers{w}")
            log_workers.fresh(url)
            run = log_workers.run_workers(
                url, w, WORKER_THREADS, max(1, WORKER_APPENDS // (w * WORKER_THREADS))
            )
            problems = log_workers.check_tree(url, run)
            findings += [f"{c.name}, {w} workers: {p}" for p in problems[:10]]
            state = "tree ok" if not problems else f"{len(problems)} PROBLEMS"
            cells.append(f"{run.rate:,.0f} ({state})")
        print(f"    {w:<{LABEL}}" + "".join(f"{cell:<{WIDTH}}" for cell in cells).rstrip())
    print(
        "    tree ok: verify passed, indexes 0..n-1, every acknowledged append in the tree once at its index"
    )
    for f in findings:
        print(f"    {f}")


def run() -> None:
    print(
        f"Disclosure log, {ROUNDS} rounds alternating raw and log and the databases, min/median/max"
        " (ratios against the raw primitives of the same database)"
    )
    with tempfile.TemporaryDirectory() as tmp, columns(Path(tmp)) as cols:
        if cols:
            pymerkle: dict[int, float] = {}
            for r in range(ROUNDS):
                for c in cols:
                    measure_round(c, r)
                    measure_proofs(c, pymerkle)
            report(cols)
            if WORKERS:
                workers(cols)
    if "sqlite" in os.environ.get("EXCHANGE_BENCH_LOG_DB", "sqlite"):
        scale_table(target)
