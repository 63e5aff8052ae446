"""The raw primitives the disclosure log is measured against: rows comparable to a log entry (its
SHA-256 and its event bytes) inserted through the bare driver, 100 per commit, on SQLite (WAL,
synchronous=FULL) and on PostgreSQL (the same server as the log, fsync on); and hashlib leaf hashing."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench.log_scale import EVENT


def _rows(per_commit: int) -> list[tuple[bytes, bytes]]:
    data = EVENT.canonical()
    return [(hashlib.sha256(b"\x00" + data).digest(), data) for _ in range(per_commit)]


def sqlite_rows(path: Path, n: int, per_commit: int) -> tuple[float, float]:
    """(rows/s, CPU seconds per row) of raw sqlite3 inserting a comparable row with its SHA-256,
    WAL and synchronous=FULL, ``per_commit`` rows per transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, h BLOB, e BLOB)")
    cpu, start = time.process_time(), time.perf_counter()
    for _ in range(0, n, per_commit):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO t (h, e) VALUES (?, ?)", _rows(per_commit))
        conn.execute("COMMIT")
    rate = n / (time.perf_counter() - start)
    per_row = (time.process_time() - cpu) / n
    conn.close()
    return rate, per_row


def connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """A bare psycopg connection to the database of a SQLAlchemy ``postgresql+psycopg`` URL."""
    u = make_url(url)
    return psycopg.connect(
        dbname=u.database,
        user=u.username,
        host=str(u.query.get("host", "")) or u.host,
        port=str(u.query.get("port", "")) or u.port,
    )


def postgres_rows(url: str, n: int, per_commit: int) -> tuple[float, float]:
    """(rows/s, client CPU seconds per row) of raw psycopg inserting a comparable row with its SHA-256
    into a fresh table, ``per_commit`` rows per transaction (executemany, committed each time)."""
    with connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS t")
        conn.execute("CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, h BYTEA, e BYTEA)")
        conn.commit()
        cpu, start = time.process_time(), time.perf_counter()
        for _ in range(0, n, per_commit):
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO t (h, e) VALUES (%s, %s)", _rows(per_commit))
            conn.commit()
        rate = n / (time.perf_counter() - start)
        per_row = (time.process_time() - cpu) / n
    return rate, per_row


def leaf_hashing(n: int) -> float:
    """RFC 6962 leaf hashes of the bench event per second (hashlib)."""
    data = EVENT.canonical()
    start = time.perf_counter()
    for _ in range(n):
        hashlib.sha256(b"\x00" + data).digest()
    return n / (time.perf_counter() - start)
