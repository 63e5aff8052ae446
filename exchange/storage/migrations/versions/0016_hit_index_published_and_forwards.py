"""hit index publications (an answer can say no-index) and forwarded signals, sealed for their recipient

Revision ID: 0016
Revises: 0013
Create Date: 2026-11-30 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0013"
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
    op.create_table(
        "forwards",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("sender_party", sa.String(length=128), nullable=False),
        sa.Column("sender_user", sa.String(length=128), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("purpose", sa.String(length=128), nullable=False),
        sa.Column("covenant", sa.String(length=128), nullable=False),
        sa.Column("header", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("digest", sa.String(length=71), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened", sa.DateTime(timezone=True), nullable=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shredded", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_forwards_recipient", "forwards", ["recipient", "opened"])
    op.create_index("ix_forwards_until", "forwards", ["until"])
    op.create_table(
        "forward_wraps",
        sa.Column("forward_id", sa.String(length=128), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("party", sa.String(length=128), nullable=False),
        sa.Column("wrap", sa.LargeBinary(length=80), nullable=False),
        sa.ForeignKeyConstraint(["forward_id"], ["forwards.id"]),
        sa.PrimaryKeyConstraint("forward_id", "kid"),
    )


def downgrade() -> None:
    op.drop_table("forward_wraps")
    op.drop_index("ix_forwards_until", table_name="forwards")
    op.drop_index("ix_forwards_recipient", table_name="forwards")
    op.drop_table("forwards")
    op.drop_table("hit_index_published")
