"""joins: a new party's request to join a covenant, approved by the operator and the custodian

Revision ID: 0012
Revises: 0015
Create Date: 2026-11-30 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "joins",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("party", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("covenant", sa.String(length=128), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("public_keys", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(length=16), nullable=True),
        sa.Column("operator_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custodian", sa.String(length=16), nullable=True),
        sa.Column("custodian_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_joins_covenant_status", "joins", ["covenant", "status"])
    op.create_index("ix_joins_requested", "joins", ["requested"])


def downgrade() -> None:
    op.drop_index("ix_joins_requested", table_name="joins")
    op.drop_index("ix_joins_covenant_status", table_name="joins")
    op.drop_table("joins")
