"""Database fixtures: a fresh, migrated SQLite database per test (PostgreSQL joins in tests/pg)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from exchange.audit.checkpoint import NoteSigner
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, session_factory
from exchange.storage.schema import upgrade
from tests.conftest import convenant_today
from tests.pgserver import PostgresServer

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


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run, started in a temporary directory, stopped at the end."""
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


def _make_db(url: str) -> Db:
    engine = make_engine(url)
    upgrade(engine)
    return Db(
        url, engine, session_factory(engine), AuditLog(ORIGIN), NoteSigner.from_seed(ORIGIN, b"\x42" * 32)
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """A fresh, migrated database per test: every integration test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'exchange.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("pg_server")
        url = server.create_database(f"t{uuid.uuid4().hex[:12]}")
    d = _make_db(url)
    yield d
    d.engine.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Db]:
    """For the tests about SQLite itself (query plans)."""
    d = _make_db(f"sqlite:///{tmp_path / 'exchange.db'}")
    yield d
    d.engine.dispose()


def block_log_writes(db: Db) -> None:
    """Make every insert into the log fail, as a full disk or a broken store would."""
    with db.sessions.begin() as s:
        if db.engine.dialect.name == "sqlite":
            s.execute(
                text("CREATE TRIGGER no_log BEFORE INSERT ON log_entries BEGIN SELECT RAISE(ABORT, 'x'); END")
            )
        else:
            s.execute(
                text(
                    "CREATE FUNCTION no_log() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'x'; END $$ "
                    "LANGUAGE plpgsql"
                )
            )
            s.execute(
                text(
                    "CREATE TRIGGER no_log BEFORE INSERT ON log_entries FOR EACH ROW EXECUTE FUNCTION no_log()"
                )
            )


def unblock_log_writes(db: Db) -> None:
    with db.sessions.begin() as s:
        if db.engine.dialect.name == "sqlite":
            s.execute(text("DROP TRIGGER no_log"))
        else:
            s.execute(text("DROP TRIGGER no_log ON log_entries"))
            s.execute(text("DROP FUNCTION no_log()"))


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
    settings = Settings(mode="dev", database_url=db.url, convenant_dir=convenant_today(), log_origin=ORIGIN)
    app = create_app(settings, db.engine)
    with TestClient(app) as http:
        yield Api(http, db, keys)


#: Tests whose behaviour does not depend on the database: they run on SQLite only, to keep the suite
#: within its time. The signature checks of the security matrix are made before any SQL but the
#: nonce's (its replay test stays on both databases); the files of the signed-API steps test rules
#: made in Python over the same repositories that the end-to-end flows (test_end_to_end_client.py),
#: the workflow files and the PostgreSQL-specific tests (test_workers_pg.py, test_query_plans.py)
#: run on PostgreSQL too.
SQLITE_ONLY_TESTS = frozenset(
    {
        "test_api.py::test_unauthenticated",
        "test_api.py::test_unregistered_key",
        "test_api.py::test_tampered_request",
        "test_api.py::test_expired_and_future_signatures",
    }
)
SQLITE_ONLY_FILES = frozenset(
    {
        "test_access_requests_api.py",
        "test_cli_access.py",
        "test_cli_followup.py",
        "test_cli_keys_client.py",
        "test_cli_log_http.py",
        "test_cli_node.py",
        "test_cli_pseudonym_keys.py",
        "test_cli_revisions.py",
        "test_findings_api.py",
        "test_forwards_api.py",
        "test_hit_states_api.py",
        "test_inbox_api.py",
        "test_joins_api.py",
        "test_keys_api.py",
        "test_log_http.py",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the PostgreSQL variants of :data:`SQLITE_ONLY_TESTS` and :data:`SQLITE_ONLY_FILES`."""
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        file = item.path.name
        test = f"{file}::{getattr(item, 'originalname', item.name)}"
        pg = "[postgresql" in item.name
        (drop if pg and (file in SQLITE_ONLY_FILES or test in SQLITE_ONLY_TESTS) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
