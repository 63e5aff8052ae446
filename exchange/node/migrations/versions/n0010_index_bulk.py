"""The index's entries for bulk writes: one unique index on (pseudonym, category) instead of a unique
(category, pseudonym) plus an index on the pseudonym, and an index on the category; the pseudonym key
versions the node fetched from the hub, sealed, so they survive a restart.

An existing store keeps every entry as it is (the sealed texts are not touched: no key is needed).

Revision ID: n0010_index_bulk
Revises: n0009_forwards
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0010_index_bulk"
down_revision = "n0009_forwards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_node_index_entries_pseudonym", "node_index_entries")
    # SQLite cannot drop a table constraint in place: batch mode copies the table, rows and ids kept.
    with op.batch_alter_table("node_index_entries", recreate="auto") as batch:
        batch.drop_constraint("uq_node_index_entry", type_="unique")
        batch.create_unique_constraint("uq_node_index_entry", ["pseudonym", "category"])
    op.create_index("ix_node_index_entries_category", "node_index_entries", ["category"])
    op.create_table(
        "node_pseudonym_keys",
        sa.Column("covenant", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("fetched", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("node_pseudonym_keys")
    op.drop_index("ix_node_index_entries_category", "node_index_entries")
    with op.batch_alter_table("node_index_entries", recreate="auto") as batch:
        batch.drop_constraint("uq_node_index_entry", type_="unique")
        batch.create_unique_constraint("uq_node_index_entry", ["category", "pseudonym"])
    op.create_index("ix_node_index_entries_pseudonym", "node_index_entries", ["pseudonym"])
