"""What the parties found at a case's action (counts per category and violation code), and which
parties the log shows answered a hit in a case or were told its outcome. The only place that
writes the findings' SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.storage.models import CaseFinding, LogEntry


@dataclass(frozen=True, slots=True)
class FindingView:
    """One party's count of one violation code in one category of a case."""

    party: str
    category: str
    code: str
    count: int
    registered: datetime


class FindingRepository:
    """Findings on the unit of work's session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def replace(
        self, case_id: str, party: str, findings: Sequence[tuple[str, str, int]], now: datetime
    ) -> int:
        """Put ``party``'s findings for the case as (category, code, count), in place of all of its
        earlier ones; returns how many earlier rows were replaced."""
        mine = (CaseFinding.case_id == case_id, CaseFinding.party == party)
        earlier = self.session.execute(
            select(func.count()).select_from(CaseFinding).where(*mine)
        ).scalar_one()
        self.session.execute(delete(CaseFinding).where(*mine))
        for category, code, count in findings:
            self.session.add(
                CaseFinding(
                    case_id=case_id, party=party, category=category, code=code, count=count, registered=now
                )
            )
        self.session.flush()
        return int(earlier)

    def for_case(self, case_id: str, party: str | None = None) -> list[FindingView]:
        """The case's findings (of ``party`` only, when given), by party, category and code."""
        stmt = select(CaseFinding).where(CaseFinding.case_id == case_id)
        if party is not None:
            stmt = stmt.where(CaseFinding.party == party)
        rows = self.session.execute(
            stmt.order_by(CaseFinding.party, CaseFinding.category, CaseFinding.code)
        ).scalars()
        return [FindingView(r.party, r.category, r.code, r.count, as_utc(r.registered)) for r in rows]


class CaseLogRepository:
    """Who did what in a case, as the disclosure log records it: the log is the one record of
    hit/no-hit answers and of whom an outcome was fed back to (the index ``ix_log_case`` serves)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def hit_answerers(self, case_id: str) -> set[str]:
        """The parties whose index answered a hit for a subject of the case."""
        rows = self.session.execute(
            select(LogEntry.counterparty)
            .where(LogEntry.case_id == case_id, LogEntry.action == "hit-query", LogEntry.outcome == "hit")
            .distinct()
        ).scalars()
        return {party for party in rows if party is not None}

    def told(self, case_id: str, party: str) -> bool:
        """Whether the case's outcome was fed back to ``party``."""
        return (
            self.session.execute(
                select(LogEntry.idx)
                .where(
                    LogEntry.case_id == case_id,
                    LogEntry.action == "feedback",
                    LogEntry.counterparty == party,
                )
                .limit(1)
            ).first()
            is not None
        )
