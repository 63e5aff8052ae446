"""anomaly acknowledgements: a privacy officer's note on a flag

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anomaly_acknowledgements",
        sa.Column("flag_id", sa.String(length=64), nullable=False),
        sa.Column("party", sa.String(length=128), nullable=False),
        sa.Column("user", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("acknowledged", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("flag_id"),
    )
    op.create_index("ix_anomaly_acknowledgements_party", "anomaly_acknowledgements", ["party"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_anomaly_acknowledgements_party", table_name="anomaly_acknowledgements")
    op.drop_table("anomaly_acknowledgements")
