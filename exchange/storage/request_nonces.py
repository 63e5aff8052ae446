"""What a signed request leaves in the database: its nonce, recorded once, and the key generation it
was checked against.

A nonce is recorded with ``INSERT ... ON CONFLICT DO NOTHING``: one statement that says whether this
(key id, nonce) is new. On PostgreSQL a concurrent transaction inserting the same pair makes it wait
until that one ends, then do nothing if it committed; on SQLite writers hold the write lock in turn.
Either way exactly one of two identical requests records it.

The key generation is one row that a trigger on ``party_keys`` (migration ``0019``) bumps in the
same transaction as every change to a key: a registration, rotation, retirement, destruction or an
approved join, whichever code or tool makes it. A process may cache keys read under a generation
for as long as it keeps seeing that generation (docs/adr/0022-signed-request-overhead.md).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Connection, Table, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import ReturningInsert

from exchange.storage.models import KeyGeneration, RequestNonce

_NONCES = cast(Table, RequestNonce.__table__)
_GENERATION = cast(Table, KeyGeneration.__table__)
_READ_GENERATION = select(_GENERATION.c.generation).where(_GENERATION.c.id == 1)
#: RETURNING says whether the row went in (the driver's rowcount is -1 here on PostgreSQL).
_INSERTS: dict[str, ReturningInsert[tuple[str]]] = {
    "postgresql": pg_insert(_NONCES)
    .on_conflict_do_nothing(index_elements=["kid", "nonce"])
    .returning(_NONCES.c.kid),
    "sqlite": sqlite_insert(_NONCES)
    .on_conflict_do_nothing(index_elements=["kid", "nonce"])
    .returning(_NONCES.c.kid),
}


def key_generation(conn: Connection) -> int:
    """The hub's key generation: it changes whenever any party key is added, changed or removed."""
    return int(conn.execute(_READ_GENERATION).scalar_one())


def record_nonce(conn: Connection, kid: str, nonce: str, created: int) -> bool:
    """Record (``kid``, ``nonce``) in the caller's transaction; False if it was recorded before."""
    row = conn.execute(_INSERTS[conn.dialect.name], {"kid": kid, "nonce": nonce, "created": created})
    return row.first() is not None


def prune_nonces(conn: Connection, before: int) -> None:
    """Forget nonces of signatures created before ``before`` (seconds): no longer accepted anyway."""
    conn.execute(delete(_NONCES).where(_NONCES.c.created < before))
