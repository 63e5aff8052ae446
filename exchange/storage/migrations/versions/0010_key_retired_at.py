"""key retired_at: when the hub retired or destroyed each party key, on its own clock

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("party_keys") as batch:
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    # Keys retired before this column existed: their retirement time is unknown, so they count as
    # retired from their registration on (nothing signed with them is accepted as new).
    op.execute("UPDATE party_keys SET retired_at = registered WHERE status <> 'current'")


def downgrade() -> None:
    with op.batch_alter_table("party_keys") as batch:
        batch.drop_column("retired_at")
