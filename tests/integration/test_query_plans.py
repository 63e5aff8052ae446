"""Queries on hot paths use an index. SQLite silently scans when a query is written the wrong way:
a row-value IN over (level, idx) scanned the whole table of stored subtrees (9 ms instead of 0.03 ms)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy import Table, select

from exchange.audit.checkpoint import NoteSigner
from exchange.storage.audit_store import AuditLog, tile_sql
from exchange.storage.db import make_engine, session_factory
from exchange.storage.models import HitIndexEntry, LogEntry, LogTile
from exchange.storage.schema import upgrade
from tests.integration.conftest import ORIGIN, Db
from tests.pgserver import PostgresServer


def plan(db: Db, stmt: object) -> str:
    with db.engine.connect() as conn:
        compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})  # type: ignore[attr-defined]
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    return " | ".join(str(r[-1]) for r in rows)


def test_tile_lookup_uses_primary_keys(sqlite_db: Db) -> None:
    """Fetching a proof's tiles is a primary-key search per tile, never a table scan."""
    sql = tile_sql(3, "qmark")
    with sqlite_db.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (1, 2, 0, 4, 3, 0)).all()
    text = " | ".join(str(r[-1]) for r in rows)
    assert "SEARCH log_tiles USING INDEX sqlite_autoindex_log_tiles_1 (level=? AND idx=?)" in text
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


# -- PostgreSQL ---------------------------------------------------------------------------------
# The production database chooses plans from statistics, so these tests fill the hot tables with
# enough rows (and ANALYZE them) that a missing index would show as a sequential scan.

PG_ROWS = 20_000


@pytest.fixture(scope="module")
def pg_filled(pg_server: PostgresServer) -> Iterator[Db]:
    url = pg_server.create_database(f"plans{uuid.uuid4().hex[:8]}")
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    parties = [f"party-{p}" for p in range(12)]
    with engine.begin() as conn:
        conn.execute(
            cast(Table, HitIndexEntry.__table__).insert(),
            [
                {"party": parties[i % 12], "category": f"cat-{i % 5}", "subject": f"v1:{i:040d}"}
                for i in range(PG_ROWS)
            ],
        )
        conn.execute(
            cast(Table, LogEntry.__table__).insert(),
            [
                {
                    "idx": i,
                    "leaf_hash": i.to_bytes(32, "big"),
                    "event": b"{}",
                    "time": now,
                    "trace_id": f"tr-{i}",
                    "action": "hit-query",
                    "outcome": "no-hit",
                    "actor_party": parties[i % 12],
                    "case_id": f"case-{i // 50}",
                    "subject": f"v1:{i:040d}",
                    "articles": "",
                    "idempotency_key": f"k-{i}",
                }
                for i in range(PG_ROWS)
            ],
        )
        conn.execute(
            cast(Table, LogTile.__table__).insert(),
            [
                {"level": i % 3, "idx": i, "hashes": i.to_bytes(32, "big"), "nodes": b""}
                for i in range(PG_ROWS)
            ],
        )
        conn.exec_driver_sql("ANALYZE")
    d = Db(url, engine, session_factory(engine), AuditLog(ORIGIN), NoteSigner.from_seed(ORIGIN, b"\x42" * 32))
    yield d
    engine.dispose()


def pg_plan(db: Db, sql: str, params: dict[str, object] | tuple[object, ...] = ()) -> str:
    with db.engine.connect() as conn:
        (row,) = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", params).one()
    return json.dumps(row)


def pg_stmt_plan(db: Db, stmt: object) -> str:
    with db.engine.connect() as conn:
        compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})  # type: ignore[attr-defined]
    return pg_plan(db, str(compiled))


def test_pg_hit_lookup_uses_the_subject_index(pg_filled: Db) -> None:
    stmt = select(HitIndexEntry.party, HitIndexEntry.category, HitIndexEntry.subject).where(
        HitIndexEntry.subject.in_([f"v1:{i:040d}" for i in (7, 4_000, 19_999)]),
        HitIndexEntry.party.in_(["party-1", "party-7"]),
    )
    text = pg_stmt_plan(pg_filled, stmt)
    assert "ix_hit_subject" in text and "Seq Scan" not in text


def test_pg_log_queries_use_indexes(pg_filled: Db) -> None:
    for column, value, index in (
        (LogEntry.subject, "v1:" + "0" * 36 + "1234", "ix_log_subject"),
        (LogEntry.case_id, "case-17", "ix_log_case"),
        (LogEntry.idempotency_key, "k-77", "log_entries_idempotency_key_key"),
    ):
        text = pg_stmt_plan(pg_filled, select(LogEntry.idx).where(column == value))
        assert index in text and "Seq Scan" not in text, (column, text)
    text = pg_stmt_plan(pg_filled, select(LogEntry.leaf_hash).where(LogEntry.idx.in_([1, 5, 9])))
    assert "log_entries_pkey" in text and "Seq Scan" not in text


def test_pg_tile_lookup_uses_primary_keys(pg_filled: Db) -> None:
    sql = tile_sql(3, "format")
    text = pg_plan(pg_filled, sql, (1, 1, 2, 2, 0, 3))
    assert "log_tiles_pkey" in text and "Seq Scan" not in text


def test_pg_verification_pages_by_primary_key(pg_filled: Db) -> None:
    """`log verify` reads the log in idx order a page at a time: an index range, never a sort of the table."""
    text = pg_plan(
        pg_filled, "SELECT idx, leaf_hash, event FROM log_entries WHERE idx > 1000 ORDER BY idx LIMIT 500"
    )
    assert "log_entries_pkey" in text and "Seq Scan" not in text and '"Sort"' not in text


def test_a_partys_cases_are_found_by_index(sqlite_db: Db) -> None:
    """The console lists a party's cases through the party index, not a scan of every case's parties."""
    from exchange.storage.models import CaseParty

    text = plan(sqlite_db, select(CaseParty.case_id).where(CaseParty.party == "helmond"))
    assert "ix_case_parties_party (party=?)" in text and "SCAN" not in text
