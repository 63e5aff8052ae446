"""Signals forwarded to this party, opened here: kept sealed, since the hub lists a forward only
until it is opened.

Revision ID: n0009_forwards
Revises: n0008_index_sync
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0009_forwards"
down_revision = "n0008_index_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_forwards_received",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("opened", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_node_forwards_received_opened", "node_forwards_received", ["opened"])


def downgrade() -> None:
    op.drop_index("ix_node_forwards_received_opened", "node_forwards_received")
    op.drop_table("node_forwards_received")
