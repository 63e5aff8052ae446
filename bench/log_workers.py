"""Several worker processes appending to one tree, as API replicas do on one database.

Each worker process has its own engine, :class:`AuditLog` and :class:`GroupCommitter`, and client
threads that each submit units of work appending one event with its own trace id (``w<W>-t<T>-<i>``).
Optionally every ``fail_every``-th unit appends and then refuses, so that its batch is run again
with a savepoint per unit and that event must not be in the tree. The workers start together (a
barrier) and report what was acknowledged; :func:`check_tree` then verifies the log and compares it
with the acknowledgements.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.log_scale import EVENT, ORIGIN, SIGNER
from exchange.audit.events import Event
from exchange.errors import ExchangeError, InvalidInputError
from exchange.storage.audit_store import AppendResult, AuditLog
from exchange.storage.db import make_engine, session_factory
from exchange.storage.schema import upgrade
from exchange.storage.unit_of_work import GroupCommitter

REFUSAL = "refused after appending its event"


@dataclass
class WorkerReport:
    worker: int
    start: float = 0.0
    end: float = 0.0
    acknowledged: list[tuple[int, str]] = field(default_factory=list)  # (index, trace id)
    refused: list[str] = field(default_factory=list)  # trace ids of units that refused
    errors: list[str] = field(default_factory=list)  # anything else a unit raised, by type and text


@dataclass
class RunReport:
    rate: float  # acknowledged appends per second, from the first start to the last end
    acknowledged: list[tuple[int, str]]
    refused: list[str]
    errors: list[str]


def _unit(log: AuditLog, event: Event, refuse: bool, session: Session) -> AppendResult:
    result = log.append(session, event)
    if refuse:
        raise InvalidInputError(REFUSAL)
    return result


def worker(url: str, w: int, threads: int, per_thread: int, fail_every: int, barrier: Any, out: Any) -> None:
    """One worker process: its own engine, log and group committer; ``threads`` clients."""
    report = WorkerReport(w)
    engine = make_engine(url)
    try:
        sessions = session_factory(engine)
        log = AuditLog(ORIGIN)
        committer = GroupCommitter(sessions)
        lock = threading.Lock()
        with engine.connect() as conn:  # the connection is made before the clock starts
            conn.execute(text("SELECT 1"))

        def client(t: int) -> None:
            for i in range(per_thread):
                trace = f"w{w}-t{t}-{i}"
                refuse = fail_every > 0 and i % fail_every == fail_every - 1
                try:
                    result = committer.run(partial(_unit, log, replace(EVENT, trace_id=trace), refuse))
                except InvalidInputError as exc:
                    with lock:
                        (report.refused if str(exc) == REFUSAL else report.errors).append(trace)
                    continue
                except Exception as exc:  # reported, not hidden: any other failure is a finding
                    with lock:
                        report.errors.append(f"{trace}: {type(exc).__name__}: {exc}")
                    continue
                with lock:
                    report.acknowledged.append((result.index, trace))

        clients = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
        barrier.wait(timeout=120)
        report.start = time.monotonic()
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        report.end = time.monotonic()
        committer.close()
    except ExchangeError as exc:
        report.errors.append(f"worker {w}: {type(exc).__name__}: {exc}")
    finally:
        engine.dispose()
        out.put(report)


def run_workers(url: str, workers: int, threads: int, per_thread: int, fail_every: int = 0) -> RunReport:
    """Start ``workers`` processes on the migrated database ``url`` and collect their reports."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(workers)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=worker, args=(url, w, threads, per_thread, fail_every, barrier, out))
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    reports: list[WorkerReport] = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    acknowledged = [a for r in reports for a in r.acknowledged]
    elapsed = max(r.end for r in reports) - min(r.start for r in reports)
    return RunReport(
        len(acknowledged) / elapsed if elapsed > 0 else 0.0,
        acknowledged,
        [t for r in reports for t in r.refused],
        [e for r in reports for e in r.errors],
    )


def fresh(url: str) -> None:
    """Migrate the (empty) database ``url``."""
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def check_tree(url: str, run: RunReport) -> list[str]:
    """What is wrong with the tree after ``run``: a failed verification, indexes not 0..n-1, an
    acknowledged event missing, misplaced or repeated, a refused one present, an entry nobody
    acknowledged, or a unit's error. Empty when all is well."""
    problems = list(run.errors[:5])
    engine = make_engine(url)
    try:
        log = AuditLog(ORIGIN)
        with session_factory(engine).begin() as s:
            log.sign_checkpoint(s, SIGNER, datetime.now(UTC))
            try:
                report = log.verify(s, SIGNER.verifier)
            except ExchangeError as exc:
                problems.append(f"verify: {type(exc).__name__}: {exc}")
                report = None
            rows = [
                (int(i), str(t))
                for i, t in s.execute(text("SELECT idx, trace_id FROM log_entries ORDER BY idx"))
            ]
    finally:
        engine.dispose()
    indexes = [i for i, _ in rows]
    if indexes != list(range(len(rows))):
        problems.append(f"indexes are not 0..{len(rows) - 1}")
    if report is not None and report.size != len(rows):
        problems.append(f"the head says {report.size} entries, the table holds {len(rows)}")
    counts = Counter(t for _, t in rows)
    where = {t: i for i, t in rows}
    for index, trace in run.acknowledged:
        if counts[trace] != 1 or where[trace] != index:
            problems.append(f"{trace} acknowledged at {index}: {counts[trace]} times in the tree")
    problems += [f"{t} refused but in the tree" for t in run.refused if counts[t]]
    if len(rows) != len(run.acknowledged):
        problems.append(f"{len(rows)} entries for {len(run.acknowledged)} acknowledged appends")
    return problems
