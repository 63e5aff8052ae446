"""pseudonym key copies: covenant pseudonym keys sealed by the custodian to each party, via the hub

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pseudonym_key_versions",
        sa.Column("covenant", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("custodian", sa.String(length=128), nullable=False),
        sa.Column("distributed", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("covenant", "version"),
    )
    op.create_table(
        "pseudonym_key_copies",
        sa.Column("covenant", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=128), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("custodian_kid", sa.String(length=64), nullable=False),
        sa.Column("stored", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["covenant", "version"], ["pseudonym_key_versions.covenant", "pseudonym_key_versions.version"]
        ),
        sa.PrimaryKeyConstraint("covenant", "version", "party", "kid"),
    )
    op.create_index("ix_pseudonym_key_copies_party", "pseudonym_key_copies", ["covenant", "party"])


def downgrade() -> None:
    op.drop_index("ix_pseudonym_key_copies_party", table_name="pseudonym_key_copies")
    op.drop_table("pseudonym_key_copies")
    op.drop_table("pseudonym_key_versions")
