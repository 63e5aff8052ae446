"""covenant_versions and covenant_approvals: revisions proposed, approved by the signatories, live

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "covenant_versions",
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("covenant", sa.String(length=128), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("model_text", sa.Text(), nullable=False),
        sa.Column("policy_text", sa.Text(), nullable=False),
        sa.Column("covenant_json", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.String(length=128), nullable=False),
        sa.Column("proposed_user", sa.String(length=128), nullable=False),
        sa.Column("proposed", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_covenant_versions_covenant_state", "covenant_versions", ["covenant", "state"])
    op.create_table(
        "covenant_approvals",
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("party", sa.String(length=128), nullable=False),
        sa.Column("user", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("approved", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["digest"], ["covenant_versions.digest"]),
        sa.PrimaryKeyConstraint("digest", "party"),
    )


def downgrade() -> None:
    op.drop_table("covenant_approvals")
    op.drop_index("ix_covenant_versions_covenant_state", table_name="covenant_versions")
    op.drop_table("covenant_versions")
