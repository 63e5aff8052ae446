"""The enrichment requests a coordinator asked from this node, and the covenant's answer.

Revision ID: n0007_enrichment
Revises: n0006_oidc
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0007_enrichment"
down_revision = "n0006_oidc"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_enrichment_asked",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(128), nullable=False),
        sa.Column("category", sa.String(128), nullable=False),
        sa.Column("asked", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asked_by", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
    )
    op.create_index("ix_node_enrichment_asked_case_id", "node_enrichment_asked", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_node_enrichment_asked_case_id", "node_enrichment_asked")
    op.drop_table("node_enrichment_asked")
