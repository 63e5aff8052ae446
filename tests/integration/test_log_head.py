"""The log head cached per transaction: forgotten by the service's own session factory's listener."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from exchange.errors import StorageError
from exchange.storage.audit_store import AuditLog
from exchange.storage.log_head import HEAD_CACHE, is_tracked, track_log_head
from exchange.storage.models import LogWitness
from tests.integration.conftest import Db
from tests.integration.test_audit_store import ev, tamper_tile


def test_no_listener_on_sqlalchemys_global_session_class(db: Db) -> None:
    """Importing and using the log registers nothing on SQLAlchemy's Session class; the service's
    factory has the listener, a factory made elsewhere has not."""
    with db.sessions.begin() as s:
        db.log.append(s, ev(0))
    for session in (Session(db.engine), sessionmaker(db.engine)()):
        listeners = session.dispatch.after_transaction_end
        assert [fn for fn in listeners if fn.__module__.startswith("exchange.")] == []
        session.close()
    assert is_tracked(db.sessions)
    assert not is_tracked(sessionmaker(db.engine))


def test_tracked_factory_caches_the_head_only_within_a_transaction(db: Db) -> None:
    """Within a transaction the head is cached; when the transaction ends it is gone."""
    s = db.sessions()
    with s.begin():
        db.log.append(s, ev(0))
        assert s.info[HEAD_CACHE].size == 1
    assert HEAD_CACHE not in s.info
    s.close()
    track_log_head(db.sessions)  # registering again is harmless
    with db.sessions.begin() as s:
        assert db.log.append(s, ev(1)).index == 1


def test_a_factory_without_the_listener_appends_correctly_without_caching(db: Db) -> None:
    """Sessions of a plain sessionmaker never cache the head, so a rolled-back savepoint or
    transaction cannot leave a stale one behind: indexes stay consecutive and the tree verifies."""
    plain: sessionmaker[Session] = sessionmaker(db.engine, expire_on_commit=False)
    with plain.begin() as s:
        db.log.append(s, ev(0))
        try:
            with s.begin_nested():
                db.log.append(s, ev(1))
                raise RuntimeError("roll this savepoint back")
        except RuntimeError:
            pass
        assert HEAD_CACHE not in s.info
        assert db.log.append(s, ev(2)).index == 1
    s = plain()
    s.begin()
    db.log.append(s, ev(3))
    s.rollback()
    s.close()
    with plain.begin() as s:
        assert db.log.append(s, ev(4)).index == 2
        assert db.log.verify(s, db.signer.verifier).size == 3


def test_a_rolled_back_savepoint_returns_the_pending_tree_to_its_start(db: Db) -> None:
    """In the service's sessions the head and tiles are written once, before commit. A savepoint
    rolled back after appending takes its entries with it, including appends made before it began
    in the same transaction being kept; a released one keeps its own. Reads in the transaction see
    every append so far."""
    with db.sessions.begin() as s:
        db.log.append(s, ev(0))
        try:
            with s.begin_nested():
                db.log.append(s, ev(1))
                raise RuntimeError("roll this savepoint back")
        except RuntimeError:
            pass
        with s.begin_nested():
            assert db.log.append(s, ev(2)).index == 1
        assert db.log.append(s, ev(3)).index == 2
        assert db.log.size(s) == 3
        proof = db.log.prove_inclusion(s, 2, 3)
        root = db.log.root(s)
    with db.sessions.begin() as s:
        assert db.log.verify(s, db.signer.verifier).size == 3
        assert (db.log.prove_inclusion(s, 2, 3), db.log.root(s)) == (proof, root)
        assert s.execute(text("SELECT size FROM log_head")).scalar_one() == 3


def test_a_stored_tile_that_contradicts_the_head_stops_appends(db: Db) -> None:
    """An appender that reloads the right edge checks it against the head's root; a tampered partial
    tile makes the append fail, and nothing is written (fail closed)."""
    with db.sessions.begin() as s:
        for i in range(3):
            db.log.append(s, ev(i))
    with db.sessions.begin() as s:
        tamper_tile(s, 0, 0, 2, bytes(32))  # the right edge: its last leaf is a subtree of the root
    fresh = AuditLog(db.log.origin)  # another process: nothing cached
    with pytest.raises(StorageError, match="stored tiles do not match its head"), db.sessions.begin() as s:
        fresh.append(s, ev(3))
    with db.sessions.begin() as s:
        assert db.log.size(s) == 3
        assert s.execute(text("SELECT COUNT(*) FROM log_entries")).scalar_one() == 3


def test_an_orm_flush_between_appends_keeps_the_pending_tree(db: Db) -> None:
    """A flush of ORM objects runs in a subtransaction of its own; its end is not the transaction's,
    so the appends before it are still written before the commit."""
    with db.sessions.begin() as s:
        db.log.append(s, ev(0))
        s.add(LogWitness(name="w.test/a", party="helmond", public=bytes(32)))
        s.flush()
        assert db.log.append(s, ev(1)).index == 1
    with db.sessions.begin() as s:
        assert s.execute(text("SELECT size FROM log_head")).scalar_one() == 2
        assert db.log.verify(s, db.signer.verifier).size == 2


def test_every_new_factory_writes_what_it_appended(db: Db) -> None:
    """Factories made and freed one after another (as each test, CLI command or worker does): each new
    one writes the head its appends moved. SQLAlchemy's registry knows listeners by the target's
    id(), which a new factory often reuses; asking it whether a factory was tracked said yes for a
    new factory that was not, and its appends were inserted but the head stayed behind (the next
    append then reused an index)."""
    from exchange.storage.db import session_factory

    for i in range(200):
        sessions = session_factory(db.engine)
        assert is_tracked(sessions)
        with sessions.begin() as s:
            db.log.append(s, ev(i))
        del sessions
    with db.sessions.begin() as s:
        assert db.log.size(s) == 200
        assert db.log.verify(s, db.signer.verifier).size == 200
