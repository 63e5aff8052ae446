"""Database engines: SQLite (WAL, the embedded default) and PostgreSQL (production).

SQLite: WAL journal, ``synchronous=FULL`` (a committed transaction survives power loss), a busy
timeout, foreign keys on, and every transaction opened with ``BEGIN IMMEDIATE`` so writers queue
for the write lock up front instead of failing at commit (SQLAlchemy's documented recipe for
serialisable pysqlite). PostgreSQL serialises log appends with ``SELECT ... FOR UPDATE`` on the head.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from exchange.errors import ConfigurationError
from exchange.storage.log_head import track_log_head

DEFAULT_URL = "sqlite:///var/exchange.db"
#: Execution option marking a read-only transaction (see :func:`reader_factory`).
READ_ONLY = "exchange_read_only"


class Base(DeclarativeBase):
    pass


def make_engine(url: str = DEFAULT_URL, **kwargs: Any) -> Engine:
    try:
        parsed = make_url(url)
    except Exception:  # SQLAlchemy raises ArgumentError; the URL itself may hold a password
        raise ConfigurationError("EXCHANGE_DATABASE_URL is not a valid database URL") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # How long a writer waits for another's lock before giving up (then the request gets 503):
        # 30 s, or the URL's '?timeout=SECONDS'.
        try:
            timeout = float(str(parsed.query.get("timeout", "30")))
        except ValueError:
            raise ConfigurationError("the SQLite URL's 'timeout' is not a number of seconds") from None
        busy_ms = int(timeout * 1000)
        engine = create_engine(url, connect_args={"timeout": timeout, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let us emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # A writer takes the write lock up front, so two writers never deadlock upgrading a
            # read lock. A read-only transaction starts deferred: it reads a WAL snapshot and
            # neither waits for the writer nor makes the writer wait.
            read_only = conn.get_execution_options().get(READ_ONLY)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    raise ConfigurationError(f"unsupported database '{parsed.get_backend_name()}'; use sqlite or postgresql")


def session_factory(engine: Engine) -> sessionmaker[Any]:
    """Sessions for units of work that may append to the disclosure log.

    The factory forgets the log head an append cached when a transaction or savepoint ends
    (:func:`~exchange.storage.log_head.track_log_head`); the listener is this factory's own, not
    SQLAlchemy's global ``Session`` class's.
    """
    return track_log_head(sessionmaker(engine, expire_on_commit=False))


def reader_factory(engine: Engine) -> sessionmaker[Any]:
    """Sessions for transactions that only read (a key lookup, a console page without a view event).

    On SQLite they start deferred instead of taking the write lock; on PostgreSQL the transaction
    is READ ONLY, so a write through one fails instead of slipping past the writer's path.
    """
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return sessionmaker(engine.execution_options(**options), expire_on_commit=False)
