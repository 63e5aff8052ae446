"""The node's store on SQLite and PostgreSQL: its own migrations, and a data key bound to the keystore
it was made with."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from exchange.errors import ConfigurationError
from exchange.node.runtime import start
from tests.integration.node_support import make_keystore, node_settings
from tests.pgserver import PostgresServer


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'node.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database(f"n{uuid.uuid4().hex[:12]}")


def test_start_makes_the_nodes_tables_with_its_own_version_table(tmp_path: Path, store_url: str) -> None:
    """The node's tables and its own Alembic version table; none of the hub's."""
    rt = start(node_settings(tmp_path, store_url=store_url))
    tables = set(inspect(rt.engine).get_table_names())
    assert {"node_users", "node_sessions", "node_audit", "node_meta", "node_alembic_version"} <= tables
    assert "log_entries" not in tables and "alembic_version" not in tables
    if rt.engine.dialect.name == "sqlite":
        with rt.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    rt.engine.dispose()


def test_a_second_start_opens_the_same_data_key(tmp_path: Path, store_url: str) -> None:
    """The recorded key version and check value open again."""
    first = start(node_settings(tmp_path, store_url=store_url))
    first.engine.dispose()
    second = start(node_settings(tmp_path, store_url=store_url))
    assert second.data_key == first.data_key
    second.engine.dispose()


def test_another_keystore_does_not_open_the_store(tmp_path: Path, store_url: str) -> None:
    """A keystore with other keys (same party) is refused at start: the check value does not open."""
    start(node_settings(tmp_path, store_url=store_url)).engine.dispose()
    make_keystore(tmp_path, "helmond")  # new keys, same file
    with pytest.raises(ConfigurationError, match="this keystore does not open the node's store"):
        start(node_settings(tmp_path, store_url=store_url))
