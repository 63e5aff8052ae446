"""When each user last opened each case: the start page's "new since you last looked".

Revision ID: n0005_seen
Revises: n0004_access
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0005_seen"
down_revision = "n0004_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_case_seen",
        sa.Column("account_id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("seen", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("node_case_seen")
