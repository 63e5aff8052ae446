"""The log head cached for the rest of a transaction, and the listener that forgets it.

An append reads (and on PostgreSQL locks) the ``log_head`` row once per transaction; later appends in
the same transaction continue from what the previous one wrote. The cached head is valid only until
that transaction or savepoint ends: a rollback undoes the write it describes, a commit lets other
writers move the head on. :func:`track_log_head` registers the listener that drops it on the session
factory that needs it (the service's and the CLI's, see :func:`exchange.storage.db.session_factory`),
not on SQLAlchemy's global ``Session`` class, so other code's sessions are left alone.

A session from a factory without the listener never caches the head: each append reads it from the
database again, which is as correct, one query slower.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

#: ``Session.info`` key of the cached head.
HEAD_CACHE = "exchange.audit.head"
#: ``Session.info`` key set on every session of a factory whose listener forgets the cached head.
HEAD_TRACKED = "exchange.audit.head-tracked"


@dataclass(frozen=True, slots=True)
class Head:
    size: int
    root: bytes


def _forget_head(session: Session, _transaction: object) -> None:
    # Any end of a transaction or savepoint (commit or rollback) invalidates the cached head.
    session.info.pop(HEAD_CACHE, None)


def track_log_head(sessions: sessionmaker[Any]) -> sessionmaker[Any]:
    """Let the sessions of ``sessions`` cache the log head per transaction; returns the factory.

    SQLAlchemy registers a listener on a ``sessionmaker`` on the session class that factory alone
    creates, so this affects no other factory. Registering twice is harmless.
    """
    if not event.contains(sessions, "after_transaction_end", _forget_head):
        event.listen(sessions, "after_transaction_end", _forget_head)
    info = sessions.kw.setdefault("info", {})
    info[HEAD_TRACKED] = True
    return sessions


def is_tracked(sessions: sessionmaker[Any]) -> bool:
    """Whether the sessions of ``sessions`` forget the cached head when a transaction ends."""
    return event.contains(sessions, "after_transaction_end", _forget_head)


def cached_head(session: Session) -> Head | None:
    return session.info.get(HEAD_CACHE) if session.info.get(HEAD_TRACKED) else None


def remember_head(session: Session, head: Head) -> None:
    if session.info.get(HEAD_TRACKED):
        session.info[HEAD_CACHE] = head
