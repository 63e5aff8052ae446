"""Queries on hot paths use an index. SQLite silently scans when a query is written the wrong way:
a row-value IN over (level, idx) scanned the whole subtree table (9 ms instead of 0.03 ms)."""

from __future__ import annotations

from sqlalchemy import select

from exchange.storage.audit_store import subtree_sql
from exchange.storage.models import LogEntry
from tests.integration.conftest import Db


def plan(db: Db, stmt: object) -> str:
    with db.engine.connect() as conn:
        compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})  # type: ignore[attr-defined]
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    return " | ".join(str(r[-1]) for r in rows)


def test_subtree_lookup_uses_primary_keys(sqlite_db: Db) -> None:
    """Fetching a proof's subtrees is a primary-key search per subtree, never a table scan."""
    sql = subtree_sql(2, 3, "qmark")
    with sqlite_db.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (1, 2, 1, 4, 3, 0, 7, 2)).all()
    text = " | ".join(str(r[-1]) for r in rows)
    assert "SEARCH log_nodes USING INDEX sqlite_autoindex_log_nodes_1 (level=? AND idx=?)" in text
    assert "SEARCH log_entries USING INTEGER PRIMARY KEY (rowid=?)" in text
    assert "SCAN" not in text


def test_log_queries_use_indexes(sqlite_db: Db) -> None:
    """Subject, case and leaf lookups search an index."""
    assert "INDEX ix_log_subject (subject=?)" in plan(
        sqlite_db, select(LogEntry.action).where(LogEntry.subject == "v1:x")
    )
    assert "INDEX ix_log_case (case_id=?)" in plan(
        sqlite_db, select(LogEntry.action).where(LogEntry.case_id == "c")
    )
    assert "SEARCH log_entries USING INTEGER PRIMARY KEY (rowid=?)" in plan(
        sqlite_db, select(LogEntry.leaf_hash).where(LogEntry.idx.in_([1, 5, 9]))
    )
