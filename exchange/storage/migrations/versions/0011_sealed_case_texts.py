"""sealed case texts: users' free text only as envelopes for the case's readers, never plaintext

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_texts",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("author_party", sa.String(length=128), nullable=False),
        sa.Column("author_user", sa.String(length=128), nullable=False),
        sa.Column("header", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("digest", sa.String(length=71), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shredded", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_texts_case", "case_texts", ["case_id"])
    op.create_index("ix_case_texts_until", "case_texts", ["until"])
    op.create_table(
        "case_text_wraps",
        sa.Column("text_id", sa.String(length=128), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("party", sa.String(length=128), nullable=False),
        sa.Column("wrap", sa.LargeBinary(length=80), nullable=False),
        sa.ForeignKeyConstraint(["text_id"], ["case_texts.id"]),
        sa.PrimaryKeyConstraint("text_id", "kid"),
    )
    op.create_index("ix_case_text_wraps_party", "case_text_wraps", ["party", "text_id"])
    # Texts written before this revision were stored in plaintext. They are removed from the tables
    # (the columns now hold the id of a sealed text); their version 1 log events cannot be changed
    # without breaking every later leaf and proof, so they stay in the log.
    op.execute("UPDATE cases SET selection_reason = NULL")
    op.execute("UPDATE action_points SET reason = NULL")
    # A plain rename (SQLite 3.25+ and PostgreSQL): recreating 'cases' in batch mode would drop a
    # table that other tables' rows refer to, which SQLite refuses with foreign keys on.
    op.execute("ALTER TABLE cases RENAME COLUMN selection_reason TO selection_text")
    with op.batch_alter_table("action_points") as batch:
        batch.alter_column(
            "reason", new_column_name="reason_text", type_=sa.String(64), existing_type=sa.Text()
        )
    with op.batch_alter_table("selection_reviews") as batch:
        batch.alter_column(
            "note", new_column_name="note_text", type_=sa.String(64), existing_type=sa.Text(), nullable=True
        )
    op.execute("UPDATE selection_reviews SET note_text = NULL")


def downgrade() -> None:
    with op.batch_alter_table("selection_reviews") as batch:
        batch.alter_column("note_text", new_column_name="note", type_=sa.Text(), existing_type=sa.String(64))
    op.execute("UPDATE selection_reviews SET note = '' WHERE note IS NULL")
    with op.batch_alter_table("selection_reviews") as batch:
        batch.alter_column("note", nullable=False, existing_type=sa.Text())
    with op.batch_alter_table("action_points") as batch:
        batch.alter_column(
            "reason_text", new_column_name="reason", type_=sa.Text(), existing_type=sa.String(64)
        )
    op.execute("ALTER TABLE cases RENAME COLUMN selection_text TO selection_reason")
    op.drop_index("ix_case_text_wraps_party", table_name="case_text_wraps")
    op.drop_table("case_text_wraps")
    op.drop_index("ix_case_texts_until", table_name="case_texts")
    op.drop_index("ix_case_texts_case", table_name="case_texts")
    op.drop_table("case_texts")
