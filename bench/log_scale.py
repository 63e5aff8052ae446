"""The disclosure log at 10^4, 10^6 and (opt-in) 10^7 leaves: appends/s, inclusion-proof time against
pymerkle in memory, verification rate and bytes per event, on synthetic logs of one event repeated.

A synthetic log is written like the service writes one: its first entry through the appender, the
rest copied from it by SQL with consecutive indexes, its tiles built from the leaf hashes, the head
and a signed checkpoint. The 10^7 log (EXCHANGE_BENCH_LOG_1E7=1, about 10 GB) is built once and
kept in build/bench/ (EXCHANGE_BENCH_DIR); the smaller ones are built per run.
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pymerkle import InmemoryTree

from bench.timing import latencies, p50
from exchange.audit.checkpoint import NoteSigner
from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.audit.merkle import verify_inclusion
from exchange.audit.tile_edge import Edge, FullTile
from exchange.audit.tiles import full_tiles, levels
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, session_factory
from exchange.storage.log_append import COLUMN_NAMES
from exchange.storage.schema import upgrade
from exchange.storage.unit_of_work import GroupCommitter

ORIGIN = "bench.exchange/log"
SIGNER = NoteSigner.from_seed(ORIGIN, bytes(range(32)))
EVENT = Event(
    datetime(2026, 1, 1, tzinfo=UTC),
    "tr-bench",
    Action.DISCLOSURE,
    Actor("senzer", "u-1", "employee"),
    Outcome.ALLOWED,
    case="case-1",
    subject="v1:KXfsiYLC-_oXZ-l23DKAUBL4dKMb-hnpXBSvJEO8CXs",
    counterparty="helmond",
    category="bijstand-status",
    purpose="uitkeringsfraude",
    covenant="pit/2021",
    articles=("7",),
    legal_grounds=("Participatiewet art. 64",),
)
BIG = 10**7
PYMERKLE_UP_TO = 10**6


def build(path: Path, n: int) -> None:
    """A synthetic log of ``n`` entries at ``path`` (see the module's docstring)."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sessions = session_factory(engine)
    log = AuditLog(ORIGIN)
    with sessions.begin() as s:
        leaf = log.append(s, EVENT).leaf_hash
    engine.dispose()
    cols = ", ".join(("leaf_hash", "event", *COLUMN_NAMES))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        f"WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n - 1}) "  # noqa: S608 - integers and constant names  # nosec B608
        f"INSERT INTO log_entries (idx, {cols}) SELECT k.i, {cols} FROM k, "
        "(SELECT * FROM log_entries WHERE idx = 0)"
    )
    edge = Edge()
    full: list[FullTile] = []
    touched: set[int] = set()
    batch: list[tuple[int, int, bytes, bytes]] = []
    for _ in range(n):
        edge.add(leaf, full, touched)
        if full:
            batch.extend((t.level, t.index, t.hashes, t.inner) for t in full)
            full.clear()
    batch += [
        (lv, full_tiles(n, lv), edge.partial(lv), edge.partial_inner(lv))
        for lv in levels(n)
        if edge.partial(lv)
    ]
    conn.execute("DELETE FROM log_tiles")
    conn.executemany("INSERT INTO log_tiles (level, idx, hashes, nodes) VALUES (?, ?, ?, ?)", batch)
    conn.execute("UPDATE log_head SET size = ?, root = ? WHERE id = 1", (n, edge.root()))
    conn.execute("COMMIT")
    conn.close()
    engine = make_engine(f"sqlite:///{path}")
    with session_factory(engine).begin() as s:
        log.sign_checkpoint(s, SIGNER, datetime.now(UTC))
    engine.dispose()


def _bytes_per_event(path: Path, n: int) -> float:
    conn = sqlite3.connect(path)
    pages = (
        conn.execute("PRAGMA page_count").fetchone()[0] - conn.execute("PRAGMA freelist_count").fetchone()[0]
    )
    size = pages * conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    return float(size) / n


def _appends(log: AuditLog, sessions: object, clients: int = 16, per: int = 100) -> float:
    gc = GroupCommitter(sessions)  # type: ignore[arg-type]

    def client() -> None:
        for _ in range(per):
            gc.run(lambda s: log.append(s, EVENT))

    workers = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    rate = clients * per / (time.perf_counter() - start)
    gc.close()
    return rate


def pymerkle_proof(n: int, indexes: list[int]) -> float:
    tree = InmemoryTree(algorithm="sha256")
    data = EVENT.canonical()
    for _ in range(n):
        tree.append_entry(data)
    it = iter(indexes * 2)
    return p50(latencies(lambda: tree.prove_inclusion(next(it) + 1, n), 200, warmup=20))


def measure(path: Path, n: int, verify: bool = True) -> dict[str, float]:
    """Proof p50 (s), pymerkle's (s, 0 when not built), verification leaves/s, appends/s, bytes/event."""
    engine = make_engine(f"sqlite:///{path}")
    sessions = session_factory(engine)
    log = AuditLog(ORIGIN)
    rng = random.Random(n)
    indexes = [rng.randrange(n) for _ in range(220)]
    out: dict[str, float] = {"bytes": _bytes_per_event(path, n)}
    with sessions.begin() as s:
        root = log.root(s, n)
        it = iter(indexes * 2)
        # First over tiles the database has not read yet (from disk at 10^7), then the same proofs
        # again with those tiles in the page cache, as a serving hub has them.
        out["proof_cold"] = p50(latencies(lambda: log.prove_inclusion(s, next(it), n), 200, warmup=20))
        it = iter(indexes * 2)
        out["proof"] = p50(latencies(lambda: log.prove_inclusion(s, next(it), n), 200, warmup=20))
        proof = log.prove_inclusion(s, indexes[0], n)
        verify_inclusion(log.entry(s, indexes[0]).leaf_hash, indexes[0], n, proof, root)
        if verify:
            start = time.perf_counter()
            log.verify(s, SIGNER.verifier, check_columns=False)
            out["verify"] = log.size(s) / (time.perf_counter() - start)
    out["pymerkle"] = pymerkle_proof(n, indexes) if n <= PYMERKLE_UP_TO else 0.0
    out["appends"] = _appends(log, sessions)
    engine.dispose()
    return out


def scale_table(target: Callable[..., str]) -> None:
    big = os.environ.get("EXCHANGE_BENCH_LOG_1E7") == "1"
    sizes = [10**4, 10**6] + ([BIG] if big else [])
    print("  scale (synthetic logs; group commit of 16 clients on top; proofs at random indexes)")
    print(
        "    leaves       appends/s   proof p50 (first read)   pymerkle p50   verify leaves/s   bytes/event"
    )
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            if n == BIG:
                cache = Path(os.environ.get("EXCHANGE_BENCH_DIR", "build/bench"))
                cache.mkdir(parents=True, exist_ok=True)
                path = cache / "log-1e7.db"
                if not path.exists():
                    print(f"    (building the cached 10^7 log at {path}; this takes a while, once)")
                    build(path.with_suffix(".partial"), n)
                    path.with_suffix(".partial").rename(path)
            else:
                path = Path(tmp) / f"log-{n}.db"
                build(path, n)
            r = results[n] = measure(path, n)
            pm = f"{r['pymerkle'] * 1e6:9.1f} us" if r["pymerkle"] else "        -   "
            print(
                f"    {n:>10,}   {r['appends']:>9,.0f}   {r['proof'] * 1e6:6.1f} us ({r['proof_cold'] * 1e6:6.1f} us)   {pm}"
                f"   {r['verify']:>15,.0f}   {r['bytes']:>11,.0f}"
            )
    top = max(sizes)
    r = results[top]
    print(
        f"    inclusion proof at {top:,}, tiles in the page cache: "
        f"{target(r['proof'], 100e-6, '<= 100 us p50 at 10^7', higher=False)}; on first read of its tiles: "
        f"{target(r['proof_cold'], 100e-6, '<= 100 us', higher=False)}"
    )
    if r["pymerkle"]:
        print(
            f"    against pymerkle at {top:,}: {target(r['pymerkle'] / r['proof'], 1.0, 'faster than pymerkle')}"
        )
    if not big:
        print("    (10^7: EXCHANGE_BENCH_LOG_1E7=1; pymerkle is built up to 10^6 only)")
