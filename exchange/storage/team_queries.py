"""What the team-wide report counts, over every party of one covenant, or of every covenant of a
programme: case metadata only (phases, purposes, parties, dates, counts), never a pseudonym, an
address or dossier content."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.storage.models import ActionPoint, CaseFinding, CaseOutcome, CaseRow, LogEntry
from exchange.vocabulary import Phase


@dataclass(frozen=True, slots=True)
class TeamCase:
    id: str
    purpose: str
    phase: str
    opened: datetime


@dataclass(frozen=True, slots=True)
class TeamActionPoint:
    owner: str
    deadline: datetime
    status: str
    updated: datetime


@dataclass
class TeamRecords:
    covenant: str  # what the report covers: a covenant's id ("pit": every version counts) or "programme:lsi"
    year: int
    #: Cases of the covenant opened in the year or the year before (for the quarterly trend).
    cases: list[TeamCase] = field(default_factory=list)
    #: When each case moved into the action phase, in the same two years.
    acted: list[tuple[str, datetime]] = field(default_factory=list)
    #: (party, category, count) registered in the year.
    findings: list[tuple[str, str, int]] = field(default_factory=list)
    action_points: list[TeamActionPoint] = field(default_factory=list)
    #: Whether an outcome is recorded, for each case acted on in the two years.
    outcomes: dict[str, bool] = field(default_factory=dict)


def _of(covenants: Sequence[str]) -> ColumnElement[bool]:
    """Cases under any version of the covenants (ids such as "pit"; a case names "pit/2021")."""
    if not covenants:
        raise ValueError("a team report covers at least one covenant")
    return or_(*(CaseRow.covenant.like(f"{c}/%") for c in covenants))


def team_records(session: Session, covenants: Sequence[str], year: int, scope_name: str = "") -> TeamRecords:
    """The cases of the covenants across all parties, for ``year`` (UTC) and, for the trend, the year
    before. ``scope_name`` names what is covered (default: the one covenant's id)."""
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    trend_start = datetime(year - 1, 1, 1, tzinfo=UTC)
    of = _of(covenants)
    scope = select(CaseRow.id).where(of)
    records = TeamRecords(scope_name or covenants[0], year)
    records.cases = [
        TeamCase(c.id, c.purpose, c.phase, as_utc(c.created))
        for c in session.execute(
            select(CaseRow).where(of, CaseRow.created >= trend_start, CaseRow.created < end)
        ).scalars()
    ]
    records.acted = [
        (case_id, as_utc(time))
        for case_id, time in session.execute(
            select(LogEntry.case_id, LogEntry.time).where(
                LogEntry.action == "case-transition",
                LogEntry.phase == str(Phase.ACTION),
                LogEntry.outcome == "done",
                LogEntry.counterparty.is_(None),  # not a partner added during the action phase
                LogEntry.case_id.in_(scope),
                LogEntry.time >= trend_start,
                LogEntry.time < end,
            )
        )
        if case_id is not None
    ]
    records.findings = [
        (party, category, int(count))
        for party, category, count in session.execute(
            select(CaseFinding.party, CaseFinding.category, CaseFinding.count).where(
                CaseFinding.case_id.in_(scope), CaseFinding.registered >= start, CaseFinding.registered < end
            )
        )
    ]
    records.action_points = [
        TeamActionPoint(a.owner, as_utc(a.deadline), a.status, as_utc(a.updated))
        for a in session.execute(
            select(ActionPoint).where(
                ActionPoint.case_id.in_(scope), ActionPoint.deadline >= start, ActionPoint.deadline < end
            )
        ).scalars()
    ]
    acted = sorted({c for c, _ in records.acted})
    if acted:
        decided = set(
            session.execute(select(CaseOutcome.case_id).where(CaseOutcome.case_id.in_(acted))).scalars()
        )
        records.outcomes = {c: c in decided for c in acted}
    return records
