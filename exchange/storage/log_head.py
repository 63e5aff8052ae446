"""The log's head and right edge, kept per transaction and written once before it commits.

An append reads (and on PostgreSQL locks) the ``log_head`` row once per transaction and keeps a
:class:`Pending`: the tree's right edge (:class:`~exchange.audit.tile_edge.Edge`), the full tiles the
transaction completed and the tile levels whose partial tile changed. Later appends in the same
transaction continue from it. The head row and the tiles are written once, just before the
transaction (or a savepoint) commits, by the listener :func:`track_log_head` registers on the session
factory that needs it (the service's and the CLI's, see :func:`exchange.storage.db.session_factory`),
not on SQLAlchemy's global ``Session`` class, so other code's sessions are left alone. A reader of
the tree in the same transaction writes them first (:func:`write_pending`).

When a savepoint rolls back, the pending state returns to what it was when the savepoint began;
when the transaction ends, it is dropped. A session from a factory without the listener keeps
nothing: each append reads the head and writes head and tiles at once, which is as correct, slower.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from exchange.audit.tile_edge import Edge, FullTile
from exchange.audit.tiles import TILE_HEIGHT
from exchange.errors import StorageError

#: ``Session.info`` key of the pending head and edge.
HEAD_CACHE = "exchange.audit.head"
#: Set on the session class of a factory whose listeners write and forget them.
_TRACKED_CLASS = "_exchange_log_head_tracked"
#: ``Session.info`` key of the pending state as each open savepoint began.
_SNAPSHOTS = "exchange.audit.head-snapshots"
#: ``Session.info`` key set once a transaction appended: its tiles are not cached (they may roll back).
WROTE = "exchange.audit.wrote"


@dataclass(slots=True)
class Pending:
    """A transaction's appends not yet written to ``log_head`` and ``log_tiles``."""

    edge: Edge
    cache: EdgeCache
    full: list[FullTile] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)
    dirty: bool = False
    #: An append failed half-way: the transaction must not commit.
    broken: bool = False

    @property
    def size(self) -> int:
        return self.edge.size

    def copy(self) -> Pending:
        return Pending(
            self.edge.copy(), self.cache, list(self.full), set(self.touched), self.dirty, self.broken
        )


class EdgeCache:
    """The edge after an appender's last write, trusted only for the same size and root.

    It is valid only if that transaction committed; the next append checks it against the head it
    reads, so a rolled-back transaction or another process's append forces a reload from the tiles.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[int, bytes, Edge] | None = None

    def remember(self, root: bytes, edge: Edge) -> None:
        with self._lock:
            self._value = (edge.size, root, edge)

    def edge_for(self, size: int, root: bytes) -> Edge | None:
        """A copy of the remembered edge if it describes exactly ``size`` and ``root``."""
        with self._lock:
            value = self._value
        if value is None or value[0] != size or value[1] != root:
            return None
        return value[2].copy()


def _marks(conn: Connection, n: int) -> str:
    return ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * n)


def write(conn: Connection, pending: Pending) -> None:
    """Write the pending tiles (full ones and changed partial ones, one upsert) and the head."""
    if pending.broken:
        raise StorageError(
            "the disclosure log could not record an event in this transaction; nothing was done"
        )
    if not pending.dirty:
        return
    edge = pending.edge
    rows: dict[tuple[int, int], tuple[bytes, bytes]] = {
        (t.level, t.index): (t.hashes, t.inner) for t in pending.full
    }
    for level in pending.touched:
        data = edge.partial(level)
        if data:
            rows[(level, edge.size >> (TILE_HEIGHT * (level + 1)))] = (data, edge.partial_inner(level))
    if rows:
        conn.exec_driver_sql(
            f"INSERT INTO log_tiles (level, idx, hashes, nodes) VALUES ({_marks(conn, 4)})"  # noqa: S608 - placeholders only  # nosec B608
            " ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes, nodes = excluded.nodes",
            [(level, idx, data, nodes) for (level, idx), (data, nodes) in rows.items()],
        )
    root = edge.root()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"UPDATE log_head SET size = {mark}, root = {mark} WHERE id = 1", (edge.size, root))  # noqa: S608 - placeholders only  # nosec B608
    pending.full.clear()
    pending.touched.clear()
    pending.dirty = False
    pending.cache.remember(root, edge.copy())


def write_pending(session: Session) -> None:
    """Write what this session's transaction appended, so that a read in it sees the whole tree."""
    pending = session.info.get(HEAD_CACHE)
    if pending is not None and (pending.dirty or pending.broken):
        write(session.connection(), pending)


def _before_commit(session: Session) -> None:
    # Fires for the outer transaction and for each savepoint being released. A released savepoint
    # keeps what it appended, so its snapshot is dropped: only a savepoint that ends without this
    # (a rollback) goes back to its snapshot.
    write_pending(session)
    nested = session.get_nested_transaction()
    if nested is not None:
        session.info.get(_SNAPSHOTS, {}).pop(nested, None)


def _on_create(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        pending = session.info.get(HEAD_CACHE)
        session.info.setdefault(_SNAPSHOTS, {})[transaction] = None if pending is None else pending.copy()


def _on_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        snapshots = session.info.get(_SNAPSHOTS, {})
        if transaction in snapshots:  # rolled back: the pending state returns to the savepoint's start
            previous = snapshots.pop(transaction)
            if previous is None:
                session.info.pop(HEAD_CACHE, None)
            else:
                session.info[HEAD_CACHE] = previous
    elif transaction.parent is None:  # the transaction itself, not a flush's subtransaction
        session.info.pop(HEAD_CACHE, None)
        session.info.pop(_SNAPSHOTS, None)
        session.info.pop(WROTE, None)


_LISTENERS = (
    ("before_commit", _before_commit),
    ("after_transaction_create", _on_create),
    ("after_transaction_end", _on_end),
)


def track_log_head(sessions: sessionmaker[Any]) -> sessionmaker[Any]:
    """Let the sessions of ``sessions`` keep the log head per transaction; returns the factory.

    SQLAlchemy registers a listener on a ``sessionmaker`` on the session class that factory alone
    creates, so this affects no other factory. Registering twice is harmless. Whether a factory is
    tracked is marked on that class itself: ``event.contains`` cannot say, since SQLAlchemy's
    registry keys listeners by the target's ``id()``, which a new factory may reuse after an old one
    was freed (the listener would then be skipped, and appends kept in the session never written).
    """
    cls = sessions.class_
    if not cls.__dict__.get(_TRACKED_CLASS):
        for name, fn in _LISTENERS:
            event.listen(sessions, name, fn)
        setattr(cls, _TRACKED_CLASS, True)
    return sessions


def is_tracked(sessions: sessionmaker[Any]) -> bool:
    """Whether the sessions of ``sessions`` write and forget the pending head when a transaction ends."""
    return bool(sessions.class_.__dict__.get(_TRACKED_CLASS))


def _tracked(session: Session) -> bool:
    return bool(type(session).__dict__.get(_TRACKED_CLASS))


def pending_of(session: Session) -> Pending | None:
    return session.info.get(HEAD_CACHE) if _tracked(session) else None


def keep_pending(session: Session, pending: Pending) -> bool:
    """Keep ``pending`` for the rest of the transaction; False if this session cannot (write now)."""
    session.info[WROTE] = True
    if _tracked(session):
        session.info[HEAD_CACHE] = pending
        return True
    return False
