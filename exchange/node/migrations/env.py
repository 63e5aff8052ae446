"""Alembic environment of the node's store (see exchange/node/store.py)."""

from __future__ import annotations

from alembic import context

from exchange.node.store import NodeBase

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the node always passes its own connection
    raise RuntimeError("run the node's migrations through 'exchange node init'")
context.configure(
    connection=connection,
    target_metadata=NodeBase.metadata,
    render_as_batch=True,
    version_table=config.get_main_option("version_table") or "node_alembic_version",
)
with context.begin_transaction():
    context.run_migrations()
