"""The node's own store: its accounts, sessions, audit trail and settings of its data key.

SQLAlchemy 2 typed ORM on a MetaData of its own (never the hub's :mod:`exchange.storage`); SQLite in
WAL mode by default, PostgreSQL by URL. Tables are made by the node's own Alembic migrations
(``exchange/node/migrations``), run by :func:`upgrade` at ``exchange node init`` and at start.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Engine, ForeignKey, Integer, String, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from exchange.errors import ConfigurationError

MIGRATIONS = Path(__file__).parent / "migrations"


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on SQLite too, which stores them without a zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class NodeBase(DeclarativeBase):
    """The node's tables; a MetaData apart from the hub's."""


class UserRow(NodeBase):
    __tablename__ = "node_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The sign-in name, also the user id the node asserts to the hub.
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    #: Space-separated roles the covenant allows this party.
    roles: Mapped[str] = mapped_column(String(500))
    disabled: Mapped[bool] = mapped_column(default=False)
    password_hash: Mapped[str] = mapped_column(String(300))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    created: Mapped[datetime] = mapped_column(UtcDateTime())
    #: The OpenID provider (its issuer) for an account that signs in there; None for a local account.
    #: Such an account's ``name`` is derived from the issuer and the provider's subject id.
    oidc_issuer: Mapped[str | None] = mapped_column(String(500), default=None)


class SessionRow(NodeBase):
    __tablename__ = "node_sessions"

    #: SHA-256 of the cookie's opaque token: a stolen store holds no usable session.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("node_users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditKind(enum.StrEnum):
    SIGN_IN = "sign-in"
    SIGN_IN_FAILED = "sign-in-failed"
    LOCKED = "locked"
    SIGN_OUT = "sign-out"
    SESSION_EXPIRED = "session-expired"
    USER_ADDED = "user-added"
    USER_DISABLED = "user-disabled"
    ROLES_CHANGED = "roles-changed"
    #: Sign-in through the organisation's OpenID provider, and its refusals by reason.
    OIDC_SIGN_IN = "oidc-sign-in"
    OIDC_NO_ROLE = "oidc-refused-no-role"
    OIDC_DISABLED = "oidc-refused-disabled"
    OIDC_BAD_TOKEN = "oidc-refused-token"  # noqa: S105  # an audit kind, not a secret
    OIDC_BAD_STATE = "oidc-refused-state"
    OIDC_PROVIDER_ERROR = "oidc-refused-provider"
    OIDC_LOCAL_REFUSED = "local-sign-in-refused"
    #: The index was synced from a drop folder or re-pseudonymised; counts only (``counts``).
    INDEX_SYNCED = "index-synced"
    INDEX_REPSEUDONYMISED = "index-repseudonymised"
    INDEX_SYNC_FAILED = "index-sync-failed"


class AuditRow(NodeBase):
    """What happened to accounts and sessions: a kind and a user id, never a name, password or
    address (an unknown sign-in name is not recorded at all)."""

    __tablename__ = "node_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(Integer, default=None)
    #: For index syncs: how many entries were added, removed and kept, as JSON numbers; never a subject.
    counts: Mapped[str | None] = mapped_column(String(200), default=None)


class MetaRow(NodeBase):
    """The node's own settings: which keystore key version its data key comes from, and a sealed
    check value that proves at start that the keystore opens this store's data."""

    __tablename__ = "node_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


def make_engine(url: str) -> Engine:
    """An engine for the node's store: SQLite in WAL mode with foreign keys on, or PostgreSQL."""
    try:
        parsed = make_url(url)
    except Exception:  # SQLAlchemy raises ArgumentError; the URL itself may hold a password
        raise ConfigurationError("EXCHANGE_NODE_STORE_URL is not a valid database URL") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise ConfigurationError(f"unsupported store '{backend}'; use sqlite or postgresql")


def sessions(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(engine, expire_on_commit=False)


def upgrade(engine: Engine) -> None:
    """Create or bring the node's tables up to date with its own migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # The node's own version table: a node and a hub may even share a PostgreSQL database.
    cfg.set_main_option("version_table", "node_alembic_version")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
