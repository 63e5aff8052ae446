"""Prometheus metrics at ``/metrics``: what an operator watches, never what a case holds.

Two sources:

- **The database**, read at scrape time, so every worker reports the same committed truth: log size,
  events by action and outcome (the covenant's decisions among them, counted only once committed),
  the latest checkpoint and each witness's lag behind it.
- **This process**: request latency per route template, and answers refused because the log could not
  be written. With several workers set ``PROMETHEUS_MULTIPROC_DIR`` (a writable, emptied directory;
  a tmpfs in the container) and the figures of all workers are summed.

Labels carry route templates, actions, outcomes and witness names only: no ids, subjects or parties'
users.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from exchange.clock import as_utc
from exchange.storage.audit_store import AuditLog
from exchange.storage.models import LogCheckpoint, LogEntry

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DECISION_OUTCOMES = ("allowed", "denied")


class LogCollector(Collector):
    """Figures from the log tables. Event counts are kept incrementally: each scrape counts only the
    entries appended since the previous one, so a scrape costs little on a large log."""

    def __init__(self, sessions: sessionmaker[Session], log: AuditLog) -> None:
        self._sessions = sessions
        self._log = log
        self._lock = threading.Lock()
        self._counted = 0
        self._events: dict[tuple[str, str], int] = {}

    def describe(self) -> Iterator[Metric]:
        return iter(())  # collected on demand: the registry must not query the database at startup

    def collect(self) -> Iterator[Metric]:
        with self._lock, self._sessions.begin() as session:
            size = self._log.size(session)
            self._count_events(session, size)
            checkpoint = self._log.latest_checkpoint(session)
            witnesses = self._log.witnessed(session)
            created = {
                row.size: row.created
                for row in session.execute(select(LogCheckpoint.size, LogCheckpoint.created)).all()
            }
            events = dict(self._events)
        now = datetime.now(UTC)

        yield _gauge("exchange_log_size", "Entries in the disclosure log.", size)
        counts = CounterMetricFamily(
            "exchange_log_events", "Committed log events by action and outcome.", labels=["action", "outcome"]
        )
        decisions = CounterMetricFamily(
            "exchange_decisions", "Committed covenant decisions by outcome.", labels=["outcome"]
        )
        by_outcome = dict.fromkeys(DECISION_OUTCOMES, 0)
        for (action, outcome), n in sorted(events.items()):
            counts.add_metric([action, outcome], n)
            if outcome in by_outcome:
                by_outcome[outcome] += n
        for outcome, n in by_outcome.items():
            decisions.add_metric([outcome], n)
        yield counts
        yield decisions

        cp_size = checkpoint.size if checkpoint else 0
        yield _gauge("exchange_log_checkpoint_size", "Size of the latest signed checkpoint.", cp_size)
        yield _gauge(
            "exchange_log_unsigned_entries", "Entries not yet covered by a signed checkpoint.", size - cp_size
        )
        if checkpoint is not None:
            yield _gauge(
                "exchange_log_checkpoint_age_seconds",
                "Seconds since the latest checkpoint was signed.",
                (now - as_utc(checkpoint.created)).total_seconds(),
            )
        lag = GaugeMetricFamily(
            "exchange_witness_lag_entries",
            "Entries appended since the largest checkpoint each witness cosigned.",
            labels=["witness"],
        )
        lag_age = GaugeMetricFamily(
            "exchange_witness_lag_seconds",
            "Age of the newest checkpoint each witness cosigned (-1: none yet).",
            labels=["witness"],
        )
        for name, _party, cosigned in witnesses:
            lag.add_metric([name], size - cosigned)
            when = created.get(cosigned)
            lag_age.add_metric([name], (now - as_utc(when)).total_seconds() if when else -1.0)
        yield lag
        yield lag_age

    def _count_events(self, session: Session, size: int) -> None:
        if size <= self._counted:
            return
        rows = session.execute(
            select(LogEntry.action, LogEntry.outcome, func.count())
            .where(LogEntry.idx >= self._counted, LogEntry.idx < size)
            .group_by(LogEntry.action, LogEntry.outcome)
        ).all()
        for action, outcome, n in rows:
            self._events[(action, outcome)] = self._events.get((action, outcome), 0) + int(n)
        self._counted = size


class Metrics:
    """One app's metrics: its process metrics and the database collector."""

    def __init__(self, sessions: sessionmaker[Session], log: AuditLog) -> None:
        self._multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.registry = CollectorRegistry(auto_describe=False)
        self.latency = Histogram(
            "exchange_http_request_duration_seconds",
            "Time from request to response, by route template, method and status.",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.log_unavailable = Counter(
            "exchange_log_unavailable",
            "Requests refused with 503 because the log or database was unavailable (nothing was released).",
            registry=self.registry,
        )
        self.shed = Counter(
            "exchange_requests_shed",
            "Requests answered 503 at once because the process was at its in-flight limit.",
            registry=self.registry,
        )
        self.database = LogCollector(sessions, log)
        self.registry.register(self.database)

    def observe(self, route: str, method: str, status: int, started: float) -> None:
        self.latency.labels(route, method, str(status)).observe(time.perf_counter() - started)

    def render(self) -> bytes:
        if not self._multiprocess:
            return generate_latest(self.registry)
        registry = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it untyped
        registry.register(self.database)
        return generate_latest(registry)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)
