"""The last-seen markers on SQLite and PostgreSQL: one per user and case, moved on by each look."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from exchange.node.runtime import start
from exchange.node.seen_store import mark_seen, seen_by
from tests.integration.node_support import node_settings
from tests.pgserver import PostgresServer

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'node.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database(f"n{uuid.uuid4().hex[:12]}")


def test_a_look_at_a_case_is_kept_per_user_and_moves_on(tmp_path: Path, store_url: str) -> None:
    """The migration makes node_case_seen; a second look replaces the first; users are apart."""
    rt = start(node_settings(tmp_path, store_url=store_url))
    try:
        assert "node_case_seen" in inspect(rt.engine).get_table_names()
        with rt.sessions.begin() as s:
            mark_seen(s, 1, "case-a", NOW)
            mark_seen(s, 2, "case-a", NOW)
        with rt.sessions.begin() as s:
            mark_seen(s, 1, "case-a", NOW + timedelta(hours=1))
            mark_seen(s, 1, "case-b", NOW)
        with rt.sessions.begin() as s:
            assert seen_by(s, 1) == {"case-a": NOW + timedelta(hours=1), "case-b": NOW}
            assert seen_by(s, 2) == {"case-a": NOW}
            assert seen_by(s, 3) == {}
    finally:
        rt.engine.dispose()
