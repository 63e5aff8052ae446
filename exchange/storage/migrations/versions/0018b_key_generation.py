"""key_generation: a counter bumped by a trigger in the transaction of every party key change

Revision ID: 0018b
Revises: 0017
Create Date: 2026-12-01 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018b"
down_revision = "0017"
branch_labels = None
depends_on = None

_BUMP = "UPDATE key_generation SET generation = generation + 1 WHERE id = 1"
_SQLITE_EVENTS = ("insert", "update", "delete")


def upgrade() -> None:
    op.create_table(
        "key_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO key_generation (id, generation) VALUES (1, 0)")
    # A trigger, not application code: every change to a key bumps the generation in its own
    # transaction, whichever code path or tool makes it (docs/adr/0022-signed-request-overhead.md).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_key_generation() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {_BUMP}; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER party_keys_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            "ON party_keys FOR EACH STATEMENT EXECUTE FUNCTION bump_key_generation()"
        )
    else:
        for event in _SQLITE_EVENTS:
            op.execute(
                f"CREATE TRIGGER party_keys_generation_{event} AFTER {event.upper()} ON party_keys "
                f"BEGIN {_BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER party_keys_generation ON party_keys")
        op.execute("DROP FUNCTION bump_key_generation()")
    else:
        for event in _SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER party_keys_generation_{event}")
    op.drop_table("key_generation")
