"""hit index publications: which (party, category) indexes exist, so an answer can say no-index

Revision ID: 0016
Revises: 0011
Create Date: 2026-11-30 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hit_index_published",
        sa.Column("party", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=128), nullable=False),
        sa.Column("first", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("party", "category"),
    )
    # An index that holds entries was published before this table existed; one that was published
    # and then emptied left no trace and counts as never published (no-index) until its next update.
    op.execute(
        "INSERT INTO hit_index_published (party, category, first) "
        "SELECT DISTINCT party, category, CURRENT_TIMESTAMP FROM hit_index"
    )


def downgrade() -> None:
    op.drop_table("hit_index_published")
