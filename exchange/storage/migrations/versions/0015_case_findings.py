"""case findings: what each party found at a case's action, counts per category and violation code

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_findings",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("party", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=128), nullable=False),
        sa.Column("code", sa.String(length=128), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("registered", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id", "party", "category", "code"),
    )
    op.create_index("ix_case_findings_registered", "case_findings", ["registered"])


def downgrade() -> None:
    op.drop_index("ix_case_findings_registered", table_name="case_findings")
    op.drop_table("case_findings")
