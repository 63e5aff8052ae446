"""log_tiles: the disclosure log's tree as C2SP tlog-tiles hash tiles

The table is created empty. An existing log's tiles are built from its leaf hashes by
``exchange log migrate-tiles``, which checks the root against the head and the newest checkpoint
before and after, and only then empties ``log_nodes`` (docs/operations.md).

Revision ID: 0019
Revises: 0018b
Create Date: 2026-12-01 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_tiles",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.Column("nodes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
    )


def downgrade() -> None:
    op.drop_table("log_tiles")
