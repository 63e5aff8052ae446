"""Covenant versions proposed over the API and their approvals: the only place that writes their SQL.

A row holds one proposed version: the covenant files as the jurist wrote them (the bundle), the three
compiled texts it was checked with (so a worker installs exactly what was approved, whatever later
compiler it runs), the report of its scenarios and its impact on the log, and its state. An approval
row records one signatory party's consent, with the user and role that gave it. Never commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from exchange.clock import as_utc
from exchange.storage.db import Base

PROPOSED, APPROVED, WITHDRAWN, SUPERSEDED = "proposed", "approved", "withdrawn", "superseded"
STATES = (PROPOSED, APPROVED, WITHDRAWN, SUPERSEDED)


class CovenantVersionRow(Base):
    """One covenant version proposed over the API (migration 0017)."""

    __tablename__ = "covenant_versions"
    digest: Mapped[str] = mapped_column(String(80), primary_key=True)
    covenant: Mapped[str] = mapped_column(String(128), nullable=False)
    version: Mapped[str] = mapped_column(String(64), nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    #: The covenant files, ``{"covenant.yaml": ..., "flows.yaml": ..., ...}`` as JSON.
    files: Mapped[str] = mapped_column(Text, nullable=False)
    model_text: Mapped[str] = mapped_column(Text, nullable=False)
    policy_text: Mapped[str] = mapped_column(Text, nullable=False)
    covenant_json: Mapped[str] = mapped_column(Text, nullable=False)
    #: Scenario results and impact on the log (JSON), as computed when it was proposed.
    report: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    proposed_by: Mapped[str] = mapped_column(String(128), nullable=False)
    proposed_user: Mapped[str] = mapped_column(String(128), nullable=False)
    proposed: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    #: When it was approved by the last signatory, withdrawn or superseded.
    decided: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_covenant_versions_covenant_state", "covenant", "state"),)


class CovenantApprovalRow(Base):
    """One signatory party's approval of a proposed version (migration 0017)."""

    __tablename__ = "covenant_approvals"
    digest: Mapped[str] = mapped_column(String(80), ForeignKey("covenant_versions.digest"), primary_key=True)
    party: Mapped[str] = mapped_column(String(128), primary_key=True)
    user: Mapped[str] = mapped_column(String(128), nullable=False)
    role: Mapped[str] = mapped_column(String(64), nullable=False)
    approved: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


@dataclass(frozen=True, slots=True)
class Approval:
    party: str
    user: str
    role: str
    approved: datetime


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A proposed version as the use cases and the edges read it."""

    digest: str
    covenant: str
    version: str
    effective_from: date
    files: dict[str, str]
    model_text: str
    policy_text: str
    covenant_json: str
    report: dict[str, Any]
    state: str
    proposed_by: str
    proposed_user: str
    proposed: datetime
    decided: datetime | None
    approvals: tuple[Approval, ...]

    @property
    def ref(self) -> str:
        return f"{self.covenant}/{self.version}"


@dataclass(frozen=True, slots=True)
class CompiledRow:
    """What a worker needs to install an approved version."""

    digest: str
    model_text: str
    policy_text: str
    covenant_json: str


class RevisionRepository:
    """Proposed covenant versions and approvals on the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, v: StoredVersion) -> None:
        self.session.add(
            CovenantVersionRow(
                digest=v.digest,
                covenant=v.covenant,
                version=v.version,
                effective_from=v.effective_from,
                files=json.dumps(v.files, sort_keys=True),
                model_text=v.model_text,
                policy_text=v.policy_text,
                covenant_json=v.covenant_json,
                report=json.dumps(v.report, sort_keys=True),
                state=v.state,
                proposed_by=v.proposed_by,
                proposed_user=v.proposed_user,
                proposed=v.proposed,
            )
        )
        self.session.flush()

    def _view(self, row: CovenantVersionRow) -> StoredVersion:
        approvals = self.session.execute(
            select(CovenantApprovalRow)
            .where(CovenantApprovalRow.digest == row.digest)
            .order_by(CovenantApprovalRow.approved, CovenantApprovalRow.party)
        ).scalars()
        return StoredVersion(
            row.digest,
            row.covenant,
            row.version,
            row.effective_from,
            json.loads(row.files),
            row.model_text,
            row.policy_text,
            row.covenant_json,
            json.loads(row.report),
            row.state,
            row.proposed_by,
            row.proposed_user,
            as_utc(row.proposed),
            as_utc(row.decided) if row.decided is not None else None,
            tuple(Approval(a.party, a.user, a.role, as_utc(a.approved)) for a in approvals),
        )

    def get(self, digest: str) -> StoredVersion | None:
        row = self.session.get(CovenantVersionRow, digest)
        return self._view(row) if row is not None else None

    def of_covenants(self, covenants: list[str], state: str | None = None) -> list[StoredVersion]:
        """The versions proposed for ``covenants``, newest first (``state`` only, when given)."""
        query = select(CovenantVersionRow).where(CovenantVersionRow.covenant.in_(covenants))
        if state is not None:
            query = query.where(CovenantVersionRow.state == state)
        query = query.order_by(CovenantVersionRow.proposed.desc(), CovenantVersionRow.digest)
        return [self._view(r) for r in self.session.execute(query).scalars()]

    def labels(self, covenant: str) -> dict[str, str]:
        """Version label → state of every version proposed for ``covenant``."""
        query = select(CovenantVersionRow.version, CovenantVersionRow.state).where(
            CovenantVersionRow.covenant == covenant
        )
        return {str(version): str(state) for version, state in self.session.execute(query)}

    def approve(self, digest: str, party: str, user: str, role: str, now: datetime) -> None:
        self.session.add(CovenantApprovalRow(digest=digest, party=party, user=user, role=role, approved=now))
        self.session.flush()

    def set_state(self, digest: str, state: str, now: datetime) -> None:
        row = self.session.get(CovenantVersionRow, digest)
        if row is not None:
            row.state, row.decided = state, now
            self.session.flush()

    def approved(self) -> list[CompiledRow]:
        """Every approved version's compiled texts: what each worker installs."""
        query = (
            select(
                CovenantVersionRow.digest,
                CovenantVersionRow.model_text,
                CovenantVersionRow.policy_text,
                CovenantVersionRow.covenant_json,
            )
            .where(CovenantVersionRow.state == APPROVED)
            .order_by(CovenantVersionRow.digest)
        )
        return [CompiledRow(d, m, p, c) for d, m, p, c in self.session.execute(query)]

    def approved_digests(self) -> frozenset[str]:
        """The digests of the approved versions (a worker's cheap check for news)."""
        query = select(CovenantVersionRow.digest).where(CovenantVersionRow.state == APPROVED)
        return frozenset(self.session.execute(query).scalars())


def past_answers(session: Session, covenant: str, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """The newest ``limit`` decision and hit/no-hit events of ``covenant`` (any version), oldest
    first, as (index, event): what a proposal's impact report replays."""
    from sqlalchemy import or_

    from exchange.storage.models import LogEntry

    query = (
        select(LogEntry.idx, LogEntry.event)
        .where(
            LogEntry.action.in_(("decision", "hit-query")),
            or_(LogEntry.covenant == covenant, LogEntry.covenant.like(f"{covenant}/%")),
        )
        .order_by(LogEntry.idx.desc())
        .limit(limit)
    )
    rows = [(int(idx), json.loads(event)) for idx, event in session.execute(query)]
    rows.reverse()
    return rows
