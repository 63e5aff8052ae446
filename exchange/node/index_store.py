"""Writing the party's index entries in bulk, the one way every writer does it (an upload confirmed
on the web, a drop-folder sync, a re-pseudonymisation), and one lock per category that serialises
those writers within the node's process.

**Through the driver, sealed per batch.** A first load or a re-pseudonymisation writes a million
entries. The ORM costs tens of microseconds per row there, so entries go to the database as plain
``executemany`` of one prepared statement on the session's own connection (inside the caller's
transaction), sorted by pseudonym so that the unique index is filled in order. Texts are sealed
with :func:`~exchange.node.sealing.seal_many`, each under its own random nonce, as before.

**Upsert semantics.** Inserting an entry the category already holds does nothing, deleting one it
does not hold does nothing: a web upload and a scheduled sync that both add the same subject (each
after the hub accepted it) both succeed, on SQLite and PostgreSQL, in one process or two. Within a
process :func:`category_lock` makes them take turns, so neither sees the other's half-done batch.

**A re-pseudonymisation copies, it does not re-seal.** Its new entry takes the old entry's sealed
text (and when it was added) in the database itself, so no text is opened or sealed again to store
it; the old entry is removed by a later batch, after the hub has the new one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from exchange.node.records import IndexEntryRow
from exchange.node.sealing import DataKey, seal_many

TABLE = IndexEntryRow.__tablename__
#: Rows per ``executemany`` call: bounds the memory of one call, not the transaction.
CHUNK = 10_000
#: SQLite's page cache for a connection that writes the index in bulk, in KiB (the default is 2 MiB,
#: and a million entries' unique index is about 70 MB).
SQLITE_CACHE_KIB = 65_536

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


@contextmanager
def category_lock(category: str, timeout: float | None = None) -> Iterator[bool]:
    """Hold the category's index lock: one writer of its entries at a time in this process. With
    ``timeout``, give up after that many seconds; the value says whether the lock is held."""
    with _locks_guard:
        lock = _locks.setdefault(category, threading.Lock())
    held = lock.acquire(timeout=timeout) if timeout is not None else lock.acquire()
    try:
        yield held
    finally:
        if held:
            lock.release()


def _driver(session: Session) -> tuple[Connection, str]:
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    return conn, mark


def _added(conn: Connection, now: datetime) -> object:
    """``now`` as the column's type binds it on this database (SQLite stores text)."""
    process = IndexEntryRow.__table__.c.added.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process(now) if process is not None else now


def add(
    session: Session,
    key: DataKey,
    category: str,
    covenant: str,
    kind: str | None,
    entries: Sequence[tuple[str, str]],
    now: datetime,
) -> None:
    """Store ``entries`` (pseudonym, text as the register or the file wrote it), each text sealed;
    a pseudonym the category holds already is left as it is."""
    if not entries:
        return
    conn, m = _driver(session)
    ordered = sorted(entries)
    sealed = seal_many(key, [text.encode("utf-8") for _, text in ordered])
    added = _added(conn, now)
    sql = (
        f"INSERT INTO {TABLE} (category, covenant, pseudonym, sealed, added, kind) "  # noqa: S608  # a constant table name  # nosec B608
        f"VALUES ({m}, {m}, {m}, {m}, {m}, {m}) ON CONFLICT DO NOTHING"
    )
    rows = [(category, covenant, p, s, added, kind) for (p, _), s in zip(ordered, sealed, strict=True)]
    for i in range(0, len(rows), CHUNK):
        conn.exec_driver_sql(sql, rows[i : i + CHUNK])


def copy(session: Session, category: str, moves: Sequence[tuple[str, str]]) -> None:
    """For each (new pseudonym, old pseudonym), a new entry with the old one's sealed text, kind and
    time added; nothing when the old one is gone or the new one is there already."""
    if not moves:
        return
    conn, m = _driver(session)
    sql = (
        f"INSERT INTO {TABLE} (category, covenant, pseudonym, sealed, added, kind) "  # noqa: S608  # a constant table name  # nosec B608
        f"SELECT category, covenant, CAST({m} AS VARCHAR(200)), sealed, added, kind FROM {TABLE} "
        f"WHERE pseudonym = {m} AND category = {m} ON CONFLICT DO NOTHING"
    )
    rows = [(new, old, category) for new, old in sorted(moves)]
    for i in range(0, len(rows), CHUNK):
        conn.exec_driver_sql(sql, rows[i : i + CHUNK])


def remove(session: Session, category: str, pseudonyms: Sequence[str]) -> None:
    """Delete the category's entries of ``pseudonyms``; one it does not hold is no error."""
    if not pseudonyms:
        return
    conn, m = _driver(session)
    sql = f"DELETE FROM {TABLE} WHERE pseudonym = {m} AND category = {m}"  # noqa: S608  # a constant table name  # nosec B608
    rows = [(p, category) for p in sorted(pseudonyms)]
    for i in range(0, len(rows), CHUNK):
        conn.exec_driver_sql(sql, rows[i : i + CHUNK])


def held(session: Session, category: str) -> list[str]:
    """The category's pseudonyms, read through the driver."""
    conn, m = _driver(session)
    sql = f"SELECT pseudonym FROM {TABLE} WHERE category = {m}"  # noqa: S608  # a constant table name  # nosec B608
    return [r[0] for r in conn.exec_driver_sql(sql, (category,))]


def entries(session: Session, category: str) -> list[tuple[str, bytes, str | None]]:
    """The category's entries as (pseudonym, sealed text, kind), read through the driver."""
    conn, m = _driver(session)
    sql = f"SELECT pseudonym, sealed, kind FROM {TABLE} WHERE category = {m}"  # noqa: S608  # a constant table name  # nosec B608
    return [(str(p), bytes(s), k) for p, s, k in conn.exec_driver_sql(sql, (category,))]
