"""Alembic environment: migrations run against the engine exchange configures (see schema.py)."""

from __future__ import annotations

from alembic import context

from exchange.storage import models  # noqa: F401 - registers the tables on Base.metadata
from exchange.storage.db import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - exchange always passes its own connection
    raise RuntimeError("run migrations through 'exchange db upgrade'")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
