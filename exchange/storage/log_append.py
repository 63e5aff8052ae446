"""Appending to the disclosure log inside the caller's transaction.

Appends never commit: the caller's unit of work commits the action and its event together, or
neither (fail closed). Appends are serialised by locking the single ``log_head`` row (``FOR UPDATE``
on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already gives the writer the whole database), so two
events never get the same index. Each append inserts its entries through the driver; the head and
the tree's hash tiles (c2sp.org/tlog-tiles) are written once per transaction, just before it commits
(:mod:`exchange.storage.log_head`), so a group commit of many appends rewrites each partial tile once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any, cast

from sqlalchemy import Connection, LargeBinary, Table, bindparam, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from exchange.audit.events import Event
from exchange.audit.merkle import leaf_hash
from exchange.audit.tile_edge import Edge
from exchange.audit.tiles import TILE_HEIGHT, TileError, partial_width
from exchange.errors import StorageError
from exchange.storage.log_head import EdgeCache, Pending, keep_pending, pending_of, write
from exchange.storage.log_tiles import fetch_tile_rows
from exchange.storage.models import LogEntry, LogHead

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AppendResult:
    index: int
    leaf_hash: bytes
    duplicate: bool  # True: the idempotency key was seen before; nothing was appended


def entry_values(event: Event) -> tuple[object, ...]:
    """The query columns derived from an event, in the order of :data:`COLUMN_NAMES`."""
    return (
        event.time.astimezone(UTC),
        event.trace_id,
        str(event.action),
        str(event.outcome),
        event.actor.party,
        event.actor.user,
        event.actor.role,
        event.counterparty,
        event.case,
        event.subject,
        event.purpose,
        event.category,
        event.phase,
        event.covenant,
        "," + ",".join(event.articles) + "," if event.articles else "",
        event.reason_code,
    )


def entry_columns(event: Event) -> dict[str, object]:
    """The query columns derived from an event (also used by verification to detect edits)."""
    return dict(zip(COLUMN_NAMES, entry_values(event), strict=True))


class _BulkInsert:
    """A multi-row INSERT handed to the driver as positional tuples.

    SQLAlchemy's executemany builds a parameter dictionary per row; for the log's hot path (one
    request may append dozens of events) that costs more than the database's own work. The
    statement is compiled once per dialect, and the column types' bind processors (SQLite's text
    form of a timestamp, for instance) are applied exactly as SQLAlchemy would apply them.
    """

    def __init__(self, table: Table, columns: tuple[str, ...]) -> None:
        self.table = table
        self.columns = columns
        self._prepared: dict[str, tuple[str, list[tuple[int, Callable[[Any], Any]]]]] = {}

    def _prepare(self, conn: Connection) -> tuple[str, list[tuple[int, Callable[[Any], Any]]]]:
        dialect = conn.dialect
        prepared = self._prepared.get(dialect.name)
        if prepared is None:
            mark = "?" if dialect.paramstyle == "qmark" else "%s"
            names, marks = ", ".join(self.columns), ", ".join([mark] * len(self.columns))
            sql = f"INSERT INTO {self.table.name} ({names}) VALUES ({marks})"  # noqa: S608 - constant identifiers  # nosec B608
            processors: list[tuple[int, Callable[[Any], Any]]] = []
            for i, name in enumerate(self.columns):
                column_type = self.table.c[name].type
                if isinstance(column_type, LargeBinary):
                    continue  # both drivers bind bytes as a blob; the processor would only wrap them
                process = column_type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    processors.append((i, process))
            prepared = (sql, processors)
            self._prepared[dialect.name] = prepared
        return prepared

    def insert(self, conn: Connection, rows: list[tuple[object, ...]]) -> None:
        sql, processors = self._prepare(conn)
        if processors:
            # One request's events share their time: each distinct value is converted once.
            memo: dict[tuple[int, object], object] = {}
            converted = []
            for row in rows:
                values = list(row)
                for i, process in processors:
                    value = values[i]
                    if value is not None:
                        key = (i, value)
                        if key not in memo:
                            memo[key] = process(value)
                        values[i] = memo[key]
                converted.append(tuple(values))
            rows = converted
        # Through the driver's cursor: SQLAlchemy's statement handling cost twice the database's own
        # work for a single row. A driver error is raised as SQLAlchemy's, without the parameters.
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]  # a DBAPI connection is there while the session is open
        try:
            if len(rows) == 1:
                cursor.execute(sql, rows[0])
            else:
                cursor.executemany(sql, rows)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                sql, None, exc, conn.dialect.loaded_dbapi.Error, hide_parameters=True, dialect=conn.dialect
            ) from None
        finally:
            cursor.close()


_HEAD = cast(Table, LogHead.__table__)
_ENTRIES = cast(Table, LogEntry.__table__)
# Statements built once: an append is on the hot path of every request.
_SELECT_HEAD = select(_HEAD.c.size, _HEAD.c.root).where(_HEAD.c.id == 1).with_for_update()
_SELECT_IDEMPOTENT = select(_ENTRIES.c.idx, _ENTRIES.c.leaf_hash).where(
    _ENTRIES.c.idempotency_key == bindparam("key")
)


#: The query columns of ``log_entries``, derived from each event by :func:`entry_columns`.
COLUMN_NAMES = (
    "time",
    "trace_id",
    "action",
    "outcome",
    "actor_party",
    "actor_user",
    "actor_role",
    "counterparty",
    "case_id",
    "subject",
    "purpose",
    "category",
    "phase",
    "covenant",
    "articles",
    "reason_code",
)

_ENTRY_ROWS = _BulkInsert(_ENTRIES, ("idx", "leaf_hash", "event", "idempotency_key", *COLUMN_NAMES))


class Appender:
    """Appends events; keeps the tree's right edge after its last write (valid if that committed)."""

    def __init__(self) -> None:
        self._cache = EdgeCache()

    def append(self, session: Session, event: Event, idempotency_key: str | None = None) -> AppendResult:
        """Append one event in the caller's transaction. Raises :class:`StorageError` if it cannot.

        With an ``idempotency_key`` seen before, nothing is appended and the original index returns.
        """
        try:
            conn = session.connection()
            pending = self._pending(session, conn)
            if idempotency_key is not None:
                seen = conn.execute(_SELECT_IDEMPOTENT, {"key": idempotency_key}).first()
                if seen is not None:
                    return AppendResult(seen.idx, seen.leaf_hash, duplicate=True)
            ((index, h),) = self._write(session, conn, pending, [event], idempotency_key)
            return AppendResult(index, h, duplicate=False)
        except SQLAlchemyError as exc:
            raise _append_failed(exc) from None

    def append_many(self, session: Session, events: list[Event]) -> list[tuple[int, bytes]]:
        """Append several events (one request's answers) with batched inserts; returns each one's
        (index, leaf hash).

        Same guarantees as :meth:`append`: the caller's transaction, consecutive indexes, never commits.
        """
        if not events:
            return []
        try:
            conn = session.connection()
            return self._write(session, conn, self._pending(session, conn), events, None)
        except SQLAlchemyError as exc:
            raise _append_failed(exc) from None

    def _pending(self, session: Session, conn: Connection) -> Pending:
        """This transaction's pending edge; on its first append, the head is read (and on PostgreSQL
        locked) and the edge taken from the cache or the stored partial tiles."""
        pending = pending_of(session)
        if pending is not None:
            return pending
        head = conn.execute(_SELECT_HEAD).one()
        size, root = int(head.size), bytes(head.root)
        edge = self._cache.edge_for(size, root)
        if edge is None:
            edge = load_edge(conn, size, root)
        return Pending(edge, self._cache)

    @staticmethod
    def _write(
        session: Session, conn: Connection, pending: Pending, events: list[Event], idempotency_key: str | None
    ) -> list[tuple[int, bytes]]:
        """Insert the entries after the pending edge and add their leaves to it; the head and the
        tiles are written before the transaction commits (:mod:`exchange.storage.log_head`)."""
        edge, full, touched = pending.edge, pending.full, pending.touched
        entries: list[tuple[object, ...]] = []
        written = []
        index = edge.size
        pending.broken = True  # until the entries are in: a failure must not let the transaction commit
        for event in events:
            data = event.canonical()
            h = leaf_hash(data)
            entries.append((index, h, data, idempotency_key, *entry_values(event)))
            edge.add(h, full, touched)
            written.append((index, h))
            index += 1
        kept = keep_pending(session, pending)
        _ENTRY_ROWS.insert(conn, entries)
        pending.broken = False
        pending.dirty = True
        if not kept:
            write(conn, pending)
        return written


def load_edge(conn: Connection, size: int, root: bytes) -> Edge:
    """The right edge of the stored tree of ``size`` entries, checked against the head's ``root``."""
    keys = [
        (level, size >> (TILE_HEIGHT * (level + 1)))
        for level in range(64)
        if size >> (TILE_HEIGHT * level) and partial_width(size, level)
    ]
    found = fetch_tile_rows(conn, keys)
    if size and not found and keys:
        count = conn.exec_driver_sql("SELECT COUNT(*) FROM log_tiles").scalar_one()
        if not count:
            raise StorageError(
                f"the log's {size} entries have no tiles yet; run 'exchange log migrate-tiles'"
            )
    try:
        edge = Edge.from_partials(size, {level: tile for (level, _), tile in found.items()})
    except TileError:
        raise StorageError(
            "the log's stored tiles do not match its head; run 'exchange log verify'"
        ) from None
    if edge.root() != root:
        raise StorageError("the log's stored tiles do not match its head; run 'exchange log verify'")
    return edge


def _append_failed(exc: SQLAlchemyError) -> StorageError:
    log.error("log append failed: %s", type(exc).__name__)
    return StorageError("the disclosure log could not record the event; nothing was done")
