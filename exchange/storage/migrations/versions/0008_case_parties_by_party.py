"""case parties by party: the console lists a party's cases

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 09:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_case_parties_party", "case_parties", ["party", "case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_parties_party", table_name="case_parties")
