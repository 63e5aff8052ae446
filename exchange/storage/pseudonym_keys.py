"""Distributed pseudonym key versions and their sealed copies: the only place that writes their SQL.

The hub stores what the custodian's software sealed (one copy per party and sealing key) and until
when each superseded version stays accepted; it holds no pseudonym key and cannot open a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.storage.models import PartyKeyRow, PseudonymKeyCopyRow, PseudonymKeyVersionRow


@dataclass(frozen=True, slots=True)
class KeyVersionInfo:
    """A distributed version: who distributed it, when, and until when it is accepted (None: no end)."""

    version: int
    custodian: str
    distributed: datetime
    accepted_until: datetime | None

    def accepted_at(self, moment: datetime) -> bool:
        return self.accepted_until is None or moment < self.accepted_until


@dataclass(frozen=True, slots=True)
class StoredCopy:
    version: int
    party: str
    kid: str
    sealed: bytes
    custodian_kid: str


class PseudonymKeyRepository:
    """Pseudonym key versions and copies on the unit of work's session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def versions(self, covenant: str) -> list[KeyVersionInfo]:
        """Every distributed version of the covenant's key, oldest first (empty: none on record)."""
        rows = self.session.execute(
            select(PseudonymKeyVersionRow)
            .where(PseudonymKeyVersionRow.covenant == covenant)
            .order_by(PseudonymKeyVersionRow.version)
        ).scalars()
        return [
            KeyVersionInfo(
                r.version,
                r.custodian,
                as_utc(r.distributed),
                as_utc(r.accepted_until) if r.accepted_until is not None else None,
            )
            for r in rows
        ]

    def add_version(self, covenant: str, version: int, custodian: str, now: datetime) -> None:
        self.session.add(
            PseudonymKeyVersionRow(covenant=covenant, version=version, custodian=custodian, distributed=now)
        )
        self.session.flush()

    def supersede(self, covenant: str, version: int, until: datetime) -> None:
        """``version`` stays accepted until ``until`` (never later than it already was)."""
        row = self.session.get(PseudonymKeyVersionRow, (covenant, version))
        if row is not None and (row.accepted_until is None or until < as_utc(row.accepted_until)):
            row.accepted_until = until
            self.session.flush()

    def put_copies(
        self, covenant: str, version: int, copies: Sequence[tuple[str, str, bytes, str]], now: datetime
    ) -> list[tuple[str, str]]:
        """Store copies given as (party, kid, sealed, custodian kid); a copy for a (party, kid) that
        has one already replaces it. Returns the (party, kid) stored."""
        for party, kid, sealed, custodian_kid in copies:
            self.session.merge(
                PseudonymKeyCopyRow(
                    covenant=covenant,
                    version=version,
                    party=party,
                    kid=kid,
                    sealed=sealed,
                    custodian_kid=custodian_kid,
                    stored=now,
                )
            )
        self.session.flush()
        return [(party, kid) for party, kid, _, _ in copies]

    def held(self, covenant: str) -> set[tuple[int, str, str]]:
        """(version, party, kid) of every stored copy of the covenant's key."""
        return {
            (v, p, k)
            for v, p, k in self.session.execute(
                select(PseudonymKeyCopyRow.version, PseudonymKeyCopyRow.party, PseudonymKeyCopyRow.kid).where(
                    PseudonymKeyCopyRow.covenant == covenant
                )
            )
        }

    def copies_for(self, covenant: str, party: str) -> list[StoredCopy]:
        """The party's copies, oldest version first."""
        rows = self.session.execute(
            select(PseudonymKeyCopyRow)
            .where(PseudonymKeyCopyRow.covenant == covenant, PseudonymKeyCopyRow.party == party)
            .order_by(PseudonymKeyCopyRow.version, PseudonymKeyCopyRow.kid)
        ).scalars()
        return [StoredCopy(r.version, r.party, r.kid, r.sealed, r.custodian_kid) for r in rows]


@dataclass(frozen=True, slots=True)
class RegisteredSigningKey:
    kid: str
    public: bytes
    status: str


def signing_keys(session: Session, party: str) -> list[RegisteredSigningKey]:
    """A party's registered Ed25519 keys, oldest version first, destroyed ones included."""
    rows = session.execute(
        select(PartyKeyRow.kid, PartyKeyRow.public, PartyKeyRow.status)
        .where(PartyKeyRow.party == party, PartyKeyRow.algorithm == "ed25519")
        .order_by(PartyKeyRow.version)
    )
    return [RegisteredSigningKey(r.kid, r.public, r.status) for r in rows]
