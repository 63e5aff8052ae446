"""Database fixtures: a fresh, migrated SQLite database per test (PostgreSQL joins in tests/pg)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from exchange.audit.checkpoint import NoteSigner
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, session_factory
from exchange.storage.schema import upgrade
from tests.conftest import CONVENANT

if TYPE_CHECKING:  # api_support imports this module; at run time the fixture imports it lazily
    from tests.integration.api_support import Api

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


@pytest.fixture
def api(db: Db) -> Iterator[Api]:
    """The service on a fresh database, with the test parties registered."""
    from fastapi.testclient import TestClient

    from exchange.api.app import create_app
    from exchange.config import Settings
    from exchange.crypto.keys import PartyKeys
    from exchange.storage.parties import register_party
    from tests.integration.api_support import NOW, PARTIES, Api

    keys = {p: PartyKeys.create(p, NOW) for p in PARTIES}
    with db.sessions.begin() as s:
        for p, k in keys.items():
            register_party(s, p, p.title(), [v.to_data(p) for v in k.public()], NOW)
    settings = Settings(database_url=db.url, convenant_dir=CONVENANT, log_origin=ORIGIN)
    app = create_app(settings, db.engine)
    with TestClient(app) as http:
        yield Api(http, db, keys)
