"""A privacy officer's access requests: the subject and the hub's answer, sealed.

Revision ID: n0004_access
Revises: n0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0004_access"
down_revision = "n0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_access_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref", sa.String(32), nullable=False, unique=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("covenant", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_node_access_requests_created", "node_access_requests", ["created"])


def downgrade() -> None:
    op.drop_index("ix_node_access_requests_created", "node_access_requests")
    op.drop_table("node_access_requests")
