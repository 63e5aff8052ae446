"""Schema management with Alembic: build from empty, and refuse to run on an unknown schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from exchange.errors import ConfigurationError

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (default: the newest)."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise ConfigurationError("no migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_current(engine: Engine) -> None:
    """Refuse to run on an unmigrated, older or newer schema, saying what to do."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    if current is None:
        raise ConfigurationError("the database has no exchange schema yet; run: exchange db upgrade")
    known = {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current not in known:
        raise ConfigurationError(
            f"the database schema ({current}) is newer than this version of exchange knows; upgrade exchange"
        )
    raise ConfigurationError(
        f"the database schema ({current}) is older than {head}; run: exchange db upgrade"
    )
