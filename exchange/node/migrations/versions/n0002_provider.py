"""The provider's work on the node: its index, index uploads, answers to enrichment requests.

Revision ID: n0002
Revises: n0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0002"
down_revision = "n0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_index_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("covenant", sa.String(64), nullable=False),
        sa.Column("pseudonym", sa.String(200), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("added", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("category", "pseudonym", name="uq_node_index_entry"),
    )
    op.create_index("ix_node_index_entries_pseudonym", "node_index_entries", ["pseudonym"])
    op.create_table(
        "node_index_uploads",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("covenant", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("changes", sa.LargeBinary(), nullable=False),
        sa.Column("additions", sa.Integer(), nullable=False),
        sa.Column("removals", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("problem", sa.String(16), nullable=True),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "node_drafts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("request_id", sa.String(100), nullable=False),
        sa.Column("case_id", sa.String(100), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("filename", sa.LargeBinary(), nullable=True),
        sa.Column("envelope", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("problem", sa.String(16), nullable=True),
        sa.Column("recipients", sa.String(500), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_node_drafts_request_id", "node_drafts", ["request_id"])


def downgrade() -> None:
    op.drop_table("node_drafts")
    op.drop_table("node_index_uploads")
    op.drop_table("node_index_entries")
