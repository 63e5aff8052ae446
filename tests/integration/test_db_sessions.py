"""Read-only sessions: on SQLite they read beside the writer instead of queueing for its lock; on
PostgreSQL they cannot write."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from exchange.storage.db import make_engine, reader_factory, session_factory
from exchange.storage.models import LogHead, PartyRow
from exchange.storage.schema import upgrade
from tests.integration.conftest import Db
from tests.pgserver import PostgresServer


def test_a_reader_does_not_wait_for_the_writer(db: Db) -> None:
    """While a writer holds its transaction open, a reader gets the last committed state at once."""
    with db.sessions.begin() as s:
        s.add(PartyRow(id="helmond", name="Helmond", registered=datetime.now(UTC)))
    writer = db.sessions()
    writer.begin()
    writer.execute(text("UPDATE parties SET name = 'Gemeente Helmond' WHERE id = 'helmond'"))
    try:
        # A second writer would now wait for the lock (SQLite: up to the busy timeout).
        url = db.url if db.engine.dialect.name == "postgresql" else db.url + "?timeout=0.2"
        other = make_engine(url)
        readers = reader_factory(other)
        start = time.monotonic()
        with readers.begin() as r:
            assert r.execute(select(PartyRow.name).where(PartyRow.id == "helmond")).scalar_one() == "Helmond"
            assert r.execute(select(LogHead.size)).scalar_one() == 0
        assert time.monotonic() - start < 0.2
        if db.engine.dialect.name == "sqlite":  # the same read as a writer's transaction has to wait
            with pytest.raises(DBAPIError, match="locked"), session_factory(other).begin() as w:
                w.execute(select(LogHead.size)).scalar_one()
        other.dispose()
    finally:
        writer.rollback()
        writer.close()


def test_a_reader_cannot_write_on_postgresql(pg_server: PostgresServer) -> None:
    """On PostgreSQL a read-only session's transaction is READ ONLY; a write through it fails.
    (SQLite has no read-only transactions: there the writer's path is the only one that writes.)"""
    engine = make_engine(pg_server.create_database(f"t{uuid.uuid4().hex[:12]}"))
    upgrade(engine)
    try:
        with pytest.raises(DBAPIError, match="read-only"), reader_factory(engine).begin() as r:
            r.execute(text("UPDATE log_head SET size = size WHERE id = 1"))
        with session_factory(engine).begin() as w:  # the same statement through a writer's session
            w.execute(text("UPDATE log_head SET size = size WHERE id = 1"))
    finally:
        engine.dispose()
