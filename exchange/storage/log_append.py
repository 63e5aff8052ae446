"""Appending to the disclosure log inside the caller's transaction.

Appends never commit: the caller's unit of work commits the action and its event together, or
neither (fail closed). Appends are serialised by locking the single ``log_head`` row (``FOR UPDATE``
on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already gives the writer the whole database), so two
events never get the same index. For each leaf the hashes of the complete subtrees it completes are
stored (see :mod:`exchange.storage.log_proofs`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any, cast

from sqlalchemy import Connection, LargeBinary, Table, bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from exchange.audit.events import Event
from exchange.audit.merkle import empty_root, leaf_hash, node_hash
from exchange.errors import StorageError
from exchange.storage.log_head import Head, cached_head, remember_head
from exchange.storage.log_proofs import fetch_subtrees, fold
from exchange.storage.models import LogEntry, LogHead, LogNode

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
            converted = []
            for row in rows:
                values = list(row)
                for i, process in processors:
                    if values[i] is not None:
                        values[i] = process(values[i])
                converted.append(tuple(values))
            rows = converted
        conn.exec_driver_sql(sql, rows)


_HEAD = cast(Table, LogHead.__table__)
_ENTRIES = cast(Table, LogEntry.__table__)
# Statements built once: an append is on the hot path of every request.
_SELECT_HEAD = select(_HEAD.c.size, _HEAD.c.root).where(_HEAD.c.id == 1).with_for_update()
_SELECT_IDEMPOTENT = select(_ENTRIES.c.idx, _ENTRIES.c.leaf_hash).where(
    _ENTRIES.c.idempotency_key == bindparam("key")
)
_NODES = cast(Table, LogNode.__table__)
_UPDATE_HEAD = (
    _HEAD.update().where(_HEAD.c.id == 1).values(size=bindparam("new_size"), root=bindparam("new_root"))
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
_NODE_ROWS = _BulkInsert(_NODES, ("level", "idx", "hash"))


class Appender:
    """Appends events; keeps the compact range of the last append it made (valid if that committed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frontier: tuple[int, bytes, tuple[tuple[int, bytes], ...]] | None = None

    def append(self, session: Session, event: Event, idempotency_key: str | None = None) -> AppendResult:
        """Append one event in the caller's transaction. Raises :class:`StorageError` if it cannot.

        With an ``idempotency_key`` seen before, nothing is appended and the original index returns.
        """
        try:
            conn = session.connection()
            head = self._head(session, conn)
            if idempotency_key is not None:
                seen = conn.execute(_SELECT_IDEMPOTENT, {"key": idempotency_key}).first()
                if seen is not None:
                    return AppendResult(seen.idx, seen.leaf_hash, duplicate=True)
            ((index, h),) = self._write(session, conn, head, [event], idempotency_key)
            return AppendResult(index, h, duplicate=False)
        except SQLAlchemyError as exc:
            raise _append_failed(exc) from None

    def append_many(self, session: Session, events: list[Event]) -> list[tuple[int, bytes]]:
        """Append several events (one request's answers) with one head update and batched inserts;
        returns each one's (index, leaf hash).

        Same guarantees as :meth:`append`: the caller's transaction, consecutive indexes, never commits.
        """
        if not events:
            return []
        try:
            conn = session.connection()
            return self._write(session, conn, self._head(session, conn), events, None)
        except SQLAlchemyError as exc:
            raise _append_failed(exc) from None

    @staticmethod
    def _head(session: Session, conn: Connection) -> Any:
        # The head is read (and on PostgreSQL locked) once per transaction; later appends in the
        # same transaction continue from what the previous one wrote (exchange.storage.log_head).
        cached = cached_head(session)
        return conn.execute(_SELECT_HEAD).one() if cached is None else cached

    def _write(
        self, session: Session, conn: Connection, head: Any, events: list[Event], idempotency_key: str | None
    ) -> list[tuple[int, bytes]]:
        """Insert events after ``head``: entries, the complete subtrees they finish, the new head."""
        stack = list(self._frontier_for(session, head.size, head.root))
        entries: list[tuple[object, ...]] = []
        nodes: list[tuple[object, ...]] = []
        written = []
        index = head.size
        for event in events:
            data = event.canonical()
            h = leaf_hash(data)
            entries.append((index, h, data, idempotency_key, *entry_values(event)))
            # Level-0 subtrees are the entries' own leaf hashes; only levels >= 1 go to log_nodes.
            level, current = 0, h
            while stack and stack[-1][0] == level:  # a right child completes its parent
                current = node_hash(stack.pop()[1], current)
                level += 1
                nodes.append((level, index >> level, current))
            stack.append((level, current))
            written.append((index, h))
            index += 1
        root = fold(stack)
        _ENTRY_ROWS.insert(conn, entries)
        if nodes:
            _NODE_ROWS.insert(conn, nodes)
        conn.execute(_UPDATE_HEAD, {"new_size": index, "new_root": root})
        remember_head(session, Head(index, root))
        with self._lock:
            # Valid only if this transaction commits; the next appender checks size and root.
            self._frontier = (index, root, tuple(stack))
        return written

    def _frontier_for(self, session: Session, size: int, root: bytes) -> tuple[tuple[int, bytes], ...]:
        """The compact range (complete subtrees, left to right) for ``size`` leaves.

        Taken from the cache when it describes exactly this size and root (so a rolled-back
        transaction or another process's append forces a reload), else from the stored subtrees.
        """
        with self._lock:
            cached = self._frontier
        if cached is not None and cached[0] == size and cached[1] == root:
            return cached[2]
        stack: list[tuple[int, bytes]] = []
        start = 0
        keys = []
        for level in range(size.bit_length() - 1, -1, -1):
            if size & (1 << level):
                keys.append((level, start >> level))
                start += 1 << level
        found = fetch_subtrees(session, keys)
        for key in keys:
            if key not in found:
                raise StorageError(f"the log is missing subtree {key}; run 'exchange log verify'")
            stack.append((key[0], found[key]))
        if (fold(stack) if stack else empty_root()) != root:
            raise StorageError("the log's stored subtrees do not match its head; run 'exchange log verify'")
        return tuple(stack)


def _append_failed(exc: SQLAlchemyError) -> StorageError:
    log.error("log append failed: %s", type(exc).__name__)
    return StorageError("the disclosure log could not record the event; nothing was done")
