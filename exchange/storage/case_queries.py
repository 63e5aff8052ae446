"""The case table's questions, for one party: its cases by phase, one case's metadata (hit/no-hit
overview, requests, sealed items, action points, feedback), the follow-up board and feedback status.

Metadata only: pseudonym counts, categories, parties, dates, codes. Dossier content is ciphertext
and stays so. A party sees the cases it takes part in; within a case, only the hit/no-hit answers
it received, the requests it made or answers, and the items sealed for it or provided by it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.storage.cases import CaseRepository
from exchange.storage.models import (
    ActionPoint,
    CaseFinding,
    CaseOutcome,
    CaseParty,
    CaseRow,
    CaseSubject,
    DossierItemRow,
    DossierWrap,
    EnrichmentRequestRow,
    ItemRetention,
    LogEntry,
)
from exchange.storage.readmodels import (
    ActedCase,
    ActionPointFact,
    ActionView,
    CaseDetail,
    CaseSummary,
    DecisionFact,
    FeedbackStatus,
    HitCount,
    ItemSummary,
    RequestSummary,
    YearRecords,
    action_view,
)
from exchange.storage.texts import TextRepository
from exchange.vocabulary import Phase

PHASE_ORDER = tuple(str(p) for p in Phase)


def _own_cases(party: str) -> Select[Any]:
    """The ids of the cases ``party`` takes part in, as a subquery (no id list in Python)."""
    return select(CaseParty.case_id).where(CaseParty.party == party)


def _actions(session: Session, scope: Select[Any] | list[str], now: datetime) -> list[ActionView]:
    rows = session.execute(
        select(ActionPoint).where(ActionPoint.case_id.in_(scope)).order_by(ActionPoint.deadline)
    ).scalars()
    return [
        action_view(r.id, r.case_id, r.kind, r.owner, r.deadline, r.status, r.reason_text, now) for r in rows
    ]


def _count_by_case(session: Session, case_id: Any, scope: Select[Any] | list[str]) -> dict[str, int]:
    """Rows per case of the table whose case-id column is ``case_id``."""
    rows = session.execute(select(case_id, func.count()).where(case_id.in_(scope)).group_by(case_id))
    return {str(c): int(n) for c, n in rows}


def _providers(session: Session, scope: Select[Any] | list[str]) -> dict[str, set[str]]:
    """Per case, the parties that provided items."""
    out: dict[str, set[str]] = defaultdict(set)
    for case_id, party in session.execute(
        select(DossierItemRow.case_id, DossierItemRow.provider).where(DossierItemRow.case_id.in_(scope))
    ):
        out[case_id].add(party)
    return out


def _told(session: Session, scope: Select[Any] | list[str]) -> dict[str, set[str]]:
    """Per case, the parties the outcome was fed back to (the log's feedback events)."""
    out: dict[str, set[str]] = defaultdict(set)
    for case_id, party in session.execute(
        select(LogEntry.case_id, LogEntry.counterparty).where(
            LogEntry.action == "feedback", LogEntry.case_id.in_(scope)
        )
    ):
        if case_id is not None and party is not None:
            out[case_id].add(party)
    return out


def _summaries(session: Session, scope: Select[Any] | list[str], now: datetime) -> list[CaseSummary]:
    """Summaries of the cases whose ids ``scope`` gives (a subquery or a list)."""
    cases = session.execute(select(CaseRow).where(CaseRow.id.in_(scope))).scalars().all()
    if not cases:
        return []
    subjects = _count_by_case(session, CaseSubject.case_id, scope)
    parties = _count_by_case(session, CaseParty.case_id, scope)
    outcomes = dict(
        session.execute(
            select(CaseOutcome.case_id, CaseOutcome.outcome).where(CaseOutcome.case_id.in_(scope))
        ).all()
    )
    open_actions: Counter[str] = Counter()
    overdue: Counter[str] = Counter()
    for a in _actions(session, scope, now):
        if a.status == "open":
            open_actions[a.case_id] += 1
            overdue[a.case_id] += a.overdue
    return [
        CaseSummary(
            c.id,
            c.covenant,
            c.purpose,
            c.phase,
            c.coordinator,
            as_utc(c.created),
            as_utc(c.closed) if c.closed else None,
            subjects.get(c.id, 0),
            parties.get(c.id, 0),
            outcomes.get(c.id),
            open_actions[c.id],
            overdue[c.id],
        )
        for c in cases
    ]


def cases_of(session: Session, party: str, now: datetime) -> list[CaseSummary]:
    """The cases ``party`` takes part in, in protocol order of their phase, newest first within one."""
    out = _summaries(session, _own_cases(party), now)
    out.sort(key=lambda c: c.created, reverse=True)
    out.sort(key=lambda c: PHASE_ORDER.index(c.phase) if c.phase in PHASE_ORDER else 99)
    return out


def case_detail(session: Session, party: str, case_id: str, now: datetime) -> CaseDetail:
    """One case as ``party`` may see it; an unknown case and another's answer alike."""
    cases = CaseRepository(session)
    case = cases.visible(case_id, party)
    (summary,) = _summaries(session, [case_id], now)
    # Hit/no-hit answers the party received: the latest answer per subject, counted per provider
    # and category; no pseudonym is shown.
    latest: dict[tuple[str, str, str], tuple[int, str]] = {}
    for idx, provider, category, subject, outcome in session.execute(
        select(
            LogEntry.idx, LogEntry.counterparty, LogEntry.category, LogEntry.subject, LogEntry.outcome
        ).where(LogEntry.case_id == case_id, LogEntry.action == "hit-query", LogEntry.actor_party == party)
    ):
        key = (provider or "", category or "", subject or "")
        if key not in latest or latest[key][0] < idx:
            latest[key] = (idx, outcome)
    hits: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"hit": 0, "no-hit": 0, "no-index": 0})
    for (provider, category, _subject), (_idx, outcome) in latest.items():
        hits[(provider, category)][outcome] += 1
    queried_at = session.execute(
        select(func.max(LogEntry.time)).where(
            LogEntry.case_id == case_id, LogEntry.action == "hit-query", LogEntry.actor_party == party
        )
    ).scalar_one_or_none()
    requests = tuple(
        RequestSummary(
            r.requested_by,
            r.provider,
            r.category,
            as_utc(r.created),
            as_utc(r.answered) if r.answered else None,
        )
        for r in session.execute(
            select(EnrichmentRequestRow)
            .where(
                EnrichmentRequestRow.case_id == case_id,
                (EnrichmentRequestRow.requested_by == party) | (EnrichmentRequestRow.provider == party),
            )
            .order_by(EnrichmentRequestRow.created)
        ).scalars()
    )
    sealed_for_me = set(
        session.execute(
            select(DossierWrap.item_id)
            .join(DossierItemRow, DossierItemRow.id == DossierWrap.item_id)
            .where(DossierItemRow.case_id == case_id, DossierWrap.party == party)
        ).scalars()
    )
    items = tuple(
        ItemSummary(
            item.id,
            item.provider,
            item.category,
            as_utc(item.created),
            item.id in sealed_for_me,
            as_utc(retention.until) if retention else None,
            as_utc(retention.shredded) if retention and retention.shredded else None,
        )
        for item, retention in session.execute(
            select(DossierItemRow, ItemRetention)
            .outerjoin(ItemRetention, ItemRetention.item_id == DossierItemRow.id)
            .where(DossierItemRow.case_id == case_id)
            .order_by(DossierItemRow.created, DossierItemRow.id)
        )
        if item.id in sealed_for_me or item.provider == party
    )
    return CaseDetail(
        case=summary,
        selection_text=case.selection_text,
        parties=tuple(cases.parties(case_id)),
        reviews=tuple(cases.reviews(case_id)),
        hits=tuple(
            sorted(
                (HitCount(p, k, v["hit"], v["no-hit"], v["no-index"]) for (p, k), v in hits.items()),
                key=lambda h: (h.hit == 0, h.provider, h.category),
            )
        ),
        queried_at=as_utc(queried_at) if queried_at else None,
        requests=requests,
        items=items,
        actions=tuple(_actions(session, [case_id], now)),
        told=tuple(sorted(_told(session, [case_id])[case_id])),
        texts=TextRepository(session).infos(case_id),
    )


def follow_up_board(session: Session, party: str, now: datetime) -> list[ActionView]:
    """Every action point of the party's cases: overdue first, then open by deadline, then the rest."""
    rows = _actions(session, _own_cases(party), now)
    return sorted(rows, key=lambda a: (not a.overdue, a.status != "open", a.deadline))


def feedback_status(session: Session, party: str) -> list[FeedbackStatus]:
    """For each of the party's cases past the action: the outcome fed back, and which contributors
    (parties that provided items) were told."""
    late = (str(Phase.FOLLOW_UP), str(Phase.FEEDBACK), str(Phase.CLOSED))
    cases = (
        select(CaseRow)
        .where(CaseRow.id.in_(_own_cases(party)), CaseRow.phase.in_(late))
        .order_by(CaseRow.created)
    )
    scope = select(cases.subquery().c.id)
    providers, told = _providers(session, scope), _told(session, scope)
    outcomes = {
        o.case_id: o
        for o in session.execute(select(CaseOutcome).where(CaseOutcome.case_id.in_(scope))).scalars()
    }
    out = []
    for c in session.execute(cases).scalars():
        outcome = outcomes.get(c.id)
        contributors = providers[c.id] - {c.coordinator}
        out.append(
            FeedbackStatus(
                c.id,
                c.purpose,
                c.phase,
                c.coordinator,
                outcome.outcome if outcome else None,
                as_utc(outcome.decided) if outcome else None,
                tuple(sorted(contributors)),
                tuple(sorted(contributors - told[c.id])),
            )
        )
    return out


def year_records(session: Session, party: str, year: int) -> YearRecords:
    """What the annual report counts, for the cases ``party`` takes part in, in calendar ``year``
    (UTC). Codes, party ids and dates only."""
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    own = _own_cases(party)
    in_year = (LogEntry.time >= start) & (LogEntry.time < end)
    acted_ids = sorted(
        case_id
        for case_id in set(
            session.execute(
                select(LogEntry.case_id).where(
                    LogEntry.action == "case-transition",
                    LogEntry.phase == str(Phase.ACTION),
                    LogEntry.outcome == "done",
                    LogEntry.counterparty.is_(None),  # not a partner added during the action phase
                    LogEntry.case_id.in_(own),
                    in_year,
                )
            ).scalars()
        )
        if case_id is not None
    )
    records = YearRecords(party=party, year=year)
    if acted_ids:
        cases = {c.id: c for c in session.execute(select(CaseRow).where(CaseRow.id.in_(acted_ids))).scalars()}
        members: dict[str, list[str]] = defaultdict(list)
        for case_id, p in session.execute(
            select(CaseParty.case_id, CaseParty.party).where(CaseParty.case_id.in_(acted_ids))
        ):
            members[case_id].append(p)
        providers, told = _providers(session, acted_ids), _told(session, acted_ids)
        outcomes = dict(
            session.execute(
                select(CaseOutcome.case_id, CaseOutcome.outcome).where(CaseOutcome.case_id.in_(acted_ids))
            ).all()
        )
        records.acted = [
            ActedCase(
                case_id,
                cases[case_id].coordinator,
                cases[case_id].purpose,
                tuple(sorted(members[case_id])),
                outcomes.get(case_id),
                tuple(sorted(providers[case_id] - {cases[case_id].coordinator})),
                tuple(sorted(told[case_id])),
            )
            for case_id in acted_ids
            if case_id in cases
        ]
    records.outcomes = list(
        session.execute(
            select(CaseOutcome.outcome).where(
                CaseOutcome.case_id.in_(own), CaseOutcome.decided >= start, CaseOutcome.decided < end
            )
        ).scalars()
    )
    records.action_points = [
        ActionPointFact(a.kind, a.owner, as_utc(a.deadline), a.status, as_utc(a.updated))
        for a in session.execute(
            select(ActionPoint).where(
                ActionPoint.case_id.in_(own), ActionPoint.deadline >= start, ActionPoint.deadline < end
            )
        ).scalars()
    ]
    records.contributions = list(
        session.execute(
            select(DossierItemRow.provider).where(
                DossierItemRow.case_id.in_(own), DossierItemRow.created >= start, DossierItemRow.created < end
            )
        ).scalars()
    )
    records.violations = [
        (category, code, count)
        for category, code, count in session.execute(
            select(CaseFinding.category, CaseFinding.code, CaseFinding.count).where(
                CaseFinding.case_id.in_(own), CaseFinding.registered >= start, CaseFinding.registered < end
            )
        )
    ]
    records.decisions = [
        DecisionFact(outcome == "allowed", tuple(a for a in articles.split(",") if a), reason)
        for outcome, articles, reason in session.execute(
            select(LogEntry.outcome, LogEntry.articles, LogEntry.reason_code).where(
                LogEntry.action == "decision", LogEntry.case_id.in_(own), in_year
            )
        )
    ]
    return records
