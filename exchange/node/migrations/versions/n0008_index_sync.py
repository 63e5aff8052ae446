"""The index's drop-folder sync and re-pseudonymisation: one row per run with its sealed change set
and how many of its batches the hub has accepted; counts on audit rows.

Revision ID: n0008_index_sync
Revises: n0007_enrichment
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0008_index_sync"
down_revision = "n0007_enrichment"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_sync_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("covenant", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_digest", sa.String(64), nullable=True),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("additions", sa.Integer(), nullable=False),
        sa.Column("removals", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("batches_done", sa.Integer(), nullable=False),
        sa.Column("problem", sa.String(200), nullable=True),
    )
    op.create_index("ix_node_sync_runs_category", "node_sync_runs", ["category"])
    # The sealed change set apart from the run's row: SQLite rewrites a whole row on every update,
    # and the run's row is updated after every batch while its change set may be 100 MB.
    op.create_table(
        "node_sync_changes",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column("changes", sa.LargeBinary(), nullable=False),
    )
    with op.batch_alter_table("node_audit") as batch:
        batch.add_column(sa.Column("counts", sa.String(200), nullable=True))
    # The subject kind an entry was pseudonymised as, so a new key version can re-pseudonymise it
    # (an 8-digit number is a BSN or a KvK number); rows from before hold NULL: their upload says.
    with op.batch_alter_table("node_index_entries") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("node_index_entries") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("node_audit") as batch:
        batch.drop_column("counts")
    op.drop_table("node_sync_changes")
    op.drop_index("ix_node_sync_runs_category", "node_sync_runs")
    op.drop_table("node_sync_runs")
