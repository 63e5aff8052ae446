"""The coordinator's casework: signals, cases opened here, their subjects' sealed plaintext.

Revision ID: n0003
Revises: n0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0003"
down_revision = "n0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_signals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref", sa.String(32), nullable=False, unique=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=True),
        sa.Column("forwarded_to", sa.String(64), nullable=True),
        sa.Column("closing_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_node_signals_state", "node_signals", ["state"])
    op.create_table(
        "node_cases",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("covenant", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(100), nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("opened", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("signal_id", sa.Integer(), sa.ForeignKey("node_signals.id"), nullable=True),
        sa.Column("reason_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("hits", sa.Text(), nullable=True),
        sa.Column("hits_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "node_case_subjects",
        sa.Column("case_id", sa.String(64), sa.ForeignKey("node_cases.case_id"), primary_key=True),
        sa.Column("pseudonym", sa.String(100), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("node_case_subjects")
    op.drop_table("node_cases")
    op.drop_index("ix_node_signals_state", "node_signals")
    op.drop_table("node_signals")
