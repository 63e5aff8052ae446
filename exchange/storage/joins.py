"""Requests to join a covenant: the only place that writes their SQL.

A join holds the new party's id, name, the covenant it joins and its public keys (``exchange keys
export-public`` output, nothing secret), and the two approvals it needs: the hub's operator's and
the covenant's key custodian's. Never commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from exchange.clock import as_utc
from exchange.storage.db import Base

PENDING, REJECTED, REGISTERED = "pending", "rejected", "registered"
APPROVED = "approved"


class JoinRow(Base):
    """One request to join a covenant (migration 0012)."""

    __tablename__ = "joins"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    party: Mapped[str] = mapped_column(String(128), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    covenant: Mapped[str] = mapped_column(String(128), nullable=False)
    #: The Ed25519 key id the request was signed with (proof of possession).
    kid: Mapped[str] = mapped_column(String(64), nullable=False)
    public_keys: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # pending | rejected | registered
    requested: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    operator: Mapped[str | None] = mapped_column(String(16))  # approved | rejected
    operator_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    custodian: Mapped[str | None] = mapped_column(String(16))  # approved | rejected
    custodian_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        Index("ix_joins_covenant_status", "covenant", "status"),
        Index("ix_joins_requested", "requested"),
    )


@dataclass(frozen=True, slots=True)
class Join:
    """A join request as the use cases and the edges read it."""

    id: str
    party: str
    name: str
    covenant: str
    kid: str
    public_keys: Any
    status: str
    requested: datetime
    operator: str | None
    custodian: str | None


def _view(row: JoinRow) -> Join:
    return Join(
        row.id,
        row.party,
        row.name,
        row.covenant,
        row.kid,
        json.loads(row.public_keys),
        row.status,
        as_utc(row.requested),
        row.operator,
        row.custodian,
    )


class JoinRepository:
    """Join requests on the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, join_id: str, party: str, name: str, covenant: str, kid: str, keys: Any, now: datetime
    ) -> None:
        self.session.add(
            JoinRow(
                id=join_id,
                party=party,
                name=name,
                covenant=covenant,
                kid=kid,
                public_keys=json.dumps(keys, sort_keys=True),
                status=PENDING,
                requested=now,
            )
        )
        self.session.flush()

    def get(self, join_id: str) -> Join | None:
        row = self.session.get(JoinRow, join_id)
        return _view(row) if row is not None else None

    def pending(self, covenants: list[str] | None = None) -> list[Join]:
        """Pending joins, oldest first; only those for ``covenants`` when given."""
        query = select(JoinRow).where(JoinRow.status == PENDING)
        if covenants is not None:
            query = query.where(JoinRow.covenant.in_(covenants))
        return [
            _view(r) for r in self.session.execute(query.order_by(JoinRow.requested, JoinRow.id)).scalars()
        ]

    def pending_for_party(self, party: str) -> bool:
        """Whether a join for ``party`` is pending already."""
        query = select(JoinRow.id).where(JoinRow.party == party, JoinRow.status == PENDING).limit(1)
        return self.session.execute(query).first() is not None

    def count_pending(self, covenant: str) -> int:
        query = (
            select(func.count())
            .select_from(JoinRow)
            .where(JoinRow.covenant == covenant, JoinRow.status == PENDING)
        )
        return int(self.session.execute(query).scalar_one())

    def requested_since(self, since: datetime) -> list[datetime]:
        """When each join since ``since`` was requested, oldest first (for the hourly limit)."""
        query = select(JoinRow.requested).where(JoinRow.requested >= since).order_by(JoinRow.requested)
        return [as_utc(t) for t in self.session.execute(query).scalars()]

    def decide(self, join_id: str, side: str, verdict: str, now: datetime) -> None:
        """Record ``side``'s (operator or custodian) verdict; a rejection closes the join."""
        row = self.session.get(JoinRow, join_id)
        if row is None:  # pragma: no cover - the use case read it in this transaction
            return
        if side == "operator":
            row.operator, row.operator_at = verdict, now
        else:
            row.custodian, row.custodian_at = verdict, now
        if verdict != APPROVED:
            row.status, row.decided = REJECTED, now
        self.session.flush()

    def registered(self, join_id: str, now: datetime) -> None:
        row = self.session.get(JoinRow, join_id)
        if row is not None:
            row.status, row.decided = REGISTERED, now
            self.session.flush()
