"""What the service's routes share, built once per process: settings, the database and its session
factories, the covenant engine, the log and its writer, the request authenticator and the metrics."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine

from exchange.api.auth import RequestAuthenticator
from exchange.api.metrics import Metrics
from exchange.api.policy_watch import PolicyWatcher
from exchange.api.receipts import checkpoint_verifier, load_receipt_signer
from exchange.api.refusals import RefusalLog
from exchange.cases.hits import AllowedPairs
from exchange.config import Settings
from exchange.policies.compiler import compile_covenant
from exchange.policies.engine import DecisionEngine
from exchange.policies.files import LoadedVersion, load_tree
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, reader_factory, session_factory
from exchange.storage.schema import require_current
from exchange.storage.unit_of_work import GroupCommitter


class Service:
    """The process's shared parts. Use cases are bound per request (see :mod:`exchange.api.context`)."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.engine_url())
        require_current(self.engine)
        #: Sessions for units that write (through :attr:`writer`): ``BEGIN IMMEDIATE`` on SQLite.
        self.sessions = session_factory(self.engine)
        #: Sessions for reads: deferred on SQLite, ``READ ONLY`` on PostgreSQL.
        self.readers = reader_factory(self.engine)
        #: The covenant versions as read from their files (the jurist's pages show them).
        self.versions = covenants(settings.convenant_dir)
        self.decisions = DecisionEngine(compile_covenant(v.covenant) for v in self.versions)
        #: The versions the signatories approved over the API, installed now and as they come.
        self.policies = PolicyWatcher(self.decisions, self.readers, settings.policy_refresh_seconds)
        self.policies.start()
        self.pairs = AllowedPairs(self.decisions)
        self.log = AuditLog(settings.log_origin)
        self.writer = GroupCommitter(self.sessions)
        self.auth = RequestAuthenticator(self.sessions, run=self.writer.run, readers=self.readers)
        self.metrics = Metrics(self.readers, self.log)
        self.refusals = RefusalLog(self.writer, self.log, settings.refusals_per_minute, self.auth.record)
        #: The service's own receipt key, and the checkpoint key's public half it publishes.
        self.receipt_signer = load_receipt_signer(settings)
        self.checkpoint_key = checkpoint_verifier(settings)
        #: When the anomaly rules raise a flag (EXCHANGE_ANOMALY_*).
        self.anomaly_thresholds = settings.anomaly_thresholds()

    def close(self) -> None:
        self.refusals.flush()
        self.writer.close()


def covenants(root: Path) -> list[LoadedVersion]:
    """The covenant tree. An empty tree starts a service that denies everything and is not ready
    (so an orchestrator sees it); a broken file stops the start, naming the file and line."""
    if not root.is_dir() or not any(root.rglob("covenant.yaml")):
        logging.getLogger(__name__).warning("no covenant loaded: every decision is a denial; /ready fails")
        return []
    return load_tree(root)
