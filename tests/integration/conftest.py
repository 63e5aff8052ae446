"""Database fixtures: a fresh, migrated SQLite database per test (PostgreSQL joins in tests/pg)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from exchange.audit.checkpoint import NoteSigner
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, session_factory
from exchange.storage.schema import upgrade

ORIGIN = "exchange.test/log"


@dataclass
class Db:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    log: AuditLog
    signer: NoteSigner


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Db]:
    url = f"sqlite:///{tmp_path / 'exchange.db'}"
    engine = make_engine(url)
    upgrade(engine)
    yield Db(
        url, engine, session_factory(engine), AuditLog(ORIGIN), NoteSigner.from_seed(ORIGIN, b"\x42" * 32)
    )
    engine.dispose()
