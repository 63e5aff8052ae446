"""idempotent receipts: a stored answer keeps its receipt, so a replay carries the same one

Revision ID: 0014
Revises: 0011
Create Date: 2026-11-30 18:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotent_responses") as batch:
        batch.add_column(sa.Column("receipt", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotent_responses") as batch:
        batch.drop_column("receipt")
