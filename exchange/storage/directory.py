"""The key directory's reads: the registered public keys of a set of parties, nothing secret."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.storage.models import PartyKeyRow, PartyRow


@dataclass(frozen=True, slots=True)
class DirectoryKey:
    """One registered public key as the directory lists it."""

    party: str
    kid: str
    algorithm: str
    version: int
    status: str
    public: bytes
    registered: datetime
    retired_at: datetime | None


def published_keys(session: Session, parties: Collection[str]) -> list[DirectoryKey]:
    """Every registered key (current, retired or destroyed) of ``parties``, by party, version and
    algorithm."""
    if not parties:
        return []
    rows = session.execute(
        select(PartyKeyRow)
        .where(PartyKeyRow.party.in_(sorted(parties)))
        .order_by(PartyKeyRow.party, PartyKeyRow.version, PartyKeyRow.algorithm)
    ).scalars()
    return [
        DirectoryKey(
            r.party,
            r.kid,
            r.algorithm,
            r.version,
            r.status,
            r.public,
            as_utc(r.registered),
            as_utc(r.retired_at) if r.retired_at is not None else None,
        )
        for r in rows
    ]


def is_registered(session: Session, party: str) -> bool:
    """Whether the hub knows ``party`` (registered by the operator or by a join)."""
    return session.get(PartyRow, party) is not None


def party_name(session: Session, party: str) -> str | None:
    row = session.get(PartyRow, party)
    return row.name if row is not None else None
