"""Sign-in through the organisation's OpenID provider: which accounts come from it, and the
sign-ins under way (state, and the sealed nonce and PKCE verifier).

Revision ID: n0006_oidc
Revises: n0005_seen
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0006_oidc"
down_revision = "n0005_seen"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("node_users") as batch:
        batch.add_column(sa.Column("oidc_issuer", sa.String(500), nullable=True))
    op.create_table(
        "node_oidc_flows",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(128), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("node_oidc_flows")
    with op.batch_alter_table("node_users") as batch:
        batch.drop_column("oidc_issuer")
