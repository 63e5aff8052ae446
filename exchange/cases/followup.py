"""Follow-up, feedback and closure: action points with owner and deadline, the abstracted outcome
fed back to every contributor, retention deadlines per item, and shredding when they pass."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.cases.service import CaseService
from exchange.clock import as_utc
from exchange.errors import ConflictError, DeniedError, InvalidInputError, NotFoundError
from exchange.storage.models import (
    ActionPoint,
    CaseOutcome,
    CaseRow,
    DossierItemRow,
    DossierWrap,
    ItemRetention,
)
from exchange.vocabulary import Caller, Category, Phase

ACTION_KINDS = frozenset(
    {
        "reinspection",
        "fine",
        "registration-correction",
        "benefit-review",
        "referral",
        "enforcement-order",
        "other",
    }
)
OUTCOMES = frozenset(
    {
        "violation-found",
        "no-violation",
        "referred-to-police",
        "benefit-adjusted",
        "registration-corrected",
        "enforcement-started",
        "no-action",
    }
)
STATUSES = frozenset({"open", "done", "cancelled"})


@dataclass(frozen=True, slots=True)
class ActionView:
    id: str
    case_id: str
    kind: str
    owner: str
    deadline: datetime
    status: str
    reason: str | None
    overdue: bool


def action_view(row: ActionPoint, now: datetime) -> ActionView:
    """An action point as its readers see it; open past its deadline is overdue."""
    deadline = as_utc(row.deadline)
    return ActionView(
        row.id,
        row.case_id,
        row.kind,
        row.owner,
        deadline,
        row.status,
        row.reason,
        row.status == "open" and now > deadline,
    )


class FollowUpService:
    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    def _in_phase(self, s: Session, c: Caller, case_id: str, phases: set[Phase]) -> CaseRow:
        case = self.cases.visible(s, c, case_id)
        if case.closed is not None:
            raise ConflictError("the case is closed")
        if Phase(case.phase) not in phases:
            raise ConflictError(f"not possible in phase '{case.phase}'")
        return case

    def add_action(
        self,
        s: Session,
        c: Caller,
        case_id: str,
        kind: str,
        owner: str,
        deadline: datetime,
        trace: str,
        now: datetime,
    ) -> ActionView:
        case = self._in_phase(s, c, case_id, {Phase.ACTION, Phase.FOLLOW_UP})
        if case.coordinator != c.party:
            raise DeniedError("only the case's coordinator assigns action points")
        if kind not in ACTION_KINDS:
            raise InvalidInputError(f"kind must be one of {', '.join(sorted(ACTION_KINDS))}")
        if owner not in self.cases.parties(s, case_id):
            raise InvalidInputError(f"'{owner}' does not take part in this case")
        if as_utc(deadline) <= now:
            raise InvalidInputError("the deadline must be in the future")
        row = ActionPoint(
            id=f"act-{uuid.uuid4().hex[:12]}",
            case_id=case_id,
            kind=kind,
            owner=owner,
            deadline=as_utc(deadline),
            status="open",
            updated=now,
        )
        s.add(row)
        s.flush()
        self.cases.record(
            s,
            c,
            trace,
            Action.FOLLOW_UP,
            Outcome.DONE,
            case,
            counterparty=owner,
            details={"action": row.id, "kind": kind, "status": "open"},
        )
        return action_view(row, now)

    def update_action(
        self,
        s: Session,
        c: Caller,
        case_id: str,
        action_id: str,
        status: str,
        reason: str | None,
        trace: str,
        now: datetime,
    ) -> ActionView:
        case = self.cases.visible(s, c, case_id)
        row = s.get(ActionPoint, action_id)
        if row is None or row.case_id != case_id:
            raise NotFoundError(f"no action point '{action_id}'")
        if c.party not in (row.owner, case.coordinator):
            raise DeniedError("only the owner or the coordinator updates an action point")
        if status not in STATUSES:
            raise InvalidInputError("status must be open, done or cancelled")
        if now > as_utc(row.deadline) and not (reason and len(reason.strip()) >= 10):
            raise InvalidInputError("the action point is overdue: give a reason (at least 10 characters)")
        row.status, row.updated = status, now
        row.reason = " ".join(reason.split())[:1000] if reason else row.reason
        s.flush()
        self.cases.record(
            s,
            c,
            trace,
            Action.FOLLOW_UP,
            Outcome.DONE,
            case,
            counterparty=row.owner,
            reason=reason,
            details={"action": row.id, "status": status, "overdue": now > as_utc(row.deadline)},
        )
        return action_view(row, now)

    def actions(self, s: Session, c: Caller, case_id: str, now: datetime) -> list[ActionView]:
        self.cases.visible(s, c, case_id)
        rows = s.execute(
            select(ActionPoint).where(ActionPoint.case_id == case_id).order_by(ActionPoint.deadline)
        )
        return [action_view(r, now) for r in rows.scalars()]

    def feedback(
        self, s: Session, c: Caller, case_id: str, outcome: str, trace: str, now: datetime
    ) -> list[str]:
        """Record the abstracted outcome; every contributing party is told (one event each)."""
        case = self._in_phase(s, c, case_id, {Phase.FEEDBACK})
        if case.coordinator != c.party:
            raise DeniedError("only the case's coordinator gives feedback")
        if outcome not in OUTCOMES:
            raise InvalidInputError(f"outcome must be one of {', '.join(sorted(OUTCOMES))}")
        existing = s.get(CaseOutcome, case_id)
        if existing is None:
            s.add(CaseOutcome(case_id=case_id, outcome=outcome, decided=now))
        else:
            existing.outcome, existing.decided = outcome, now
        contributors = sorted(
            set(s.execute(select(DossierItemRow.provider).where(DossierItemRow.case_id == case_id)).scalars())
            - {c.party}
        )
        for party in contributors:
            self.cases.record(
                s,
                c,
                trace,
                Action.FEEDBACK,
                Outcome.DONE,
                case,
                counterparty=party,
                details={"outcome": outcome},
            )
        s.flush()
        return contributors

    def outcome(self, s: Session, c: Caller, case_id: str) -> str | None:
        self.cases.visible(s, c, case_id)
        row = s.get(CaseOutcome, case_id)
        return row.outcome if row is not None else None

    def set_retention(self, s: Session, case: CaseRow, now: datetime) -> None:
        """At closure: each item is kept for its category's retention period, then shredded."""
        covenant = self.cases.covenant_of(case, now)
        for item in s.execute(select(DossierItemRow).where(DossierItemRow.case_id == case.id)).scalars():
            days = covenant.categories[Category(item.category)].retention_days
            s.merge(ItemRetention(item_id=item.id, until=now + timedelta(days=days)))

    def shred_expired(self, s: Session, now: datetime, trace: str) -> list[str]:
        """Delete every wrap of items past retention: nobody can open them any more. Logged per item."""
        rows = (
            s.execute(
                select(ItemRetention).where(ItemRetention.until <= now, ItemRetention.shredded.is_(None))
            )
            .scalars()
            .all()
        )
        shredded = []
        for r in rows:
            item = s.get(DossierItemRow, r.item_id)
            if item is None:  # pragma: no cover - foreign key
                continue
            s.execute(delete(DossierWrap).where(DossierWrap.item_id == r.item_id))
            r.shredded = now
            self.cases.log.append(
                s,
                Event(
                    now,
                    trace,
                    Action.SHRED,
                    Actor("operator", "retention", "operator"),
                    Outcome.DONE,
                    case=item.case_id,
                    category=item.category,
                    item=item.id,
                    reason="retention period ended",
                ),
            )
            shredded.append(item.id)
        s.flush()
        return shredded
