"""The log head cached per transaction: forgotten by the service's own session factory's listener."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from exchange.storage.log_head import HEAD_CACHE, is_tracked, track_log_head
from tests.integration.conftest import Db
from tests.integration.test_audit_store import ev


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
