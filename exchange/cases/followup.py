"""Follow-up, feedback and closure: action points with owner and deadline, the abstracted outcome
fed back to every contributor and every party that answered a hit, retention deadlines per item,
and shredding when they pass."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from exchange.audit.events import Action, Outcome, TextRef
from exchange.cases.forwards import shred_expired_forwards
from exchange.cases.rules import (
    COORDINATOR,
    covenant_in_force,
    require_coordinator,
    require_open,
    require_party,
)
from exchange.cases.texts import ACTION_REASON, TextService
from exchange.cases.unit import Unit
from exchange.clock import as_utc
from exchange.errors import ConflictError, DeniedError, InvalidInputError, NotFoundError
from exchange.policies.engine import DecisionEngine
from exchange.policies.model import Covenant
from exchange.storage.cases import CaseRepository, unknown_case
from exchange.storage.casework import EnrichmentRepository, FollowUpRepository
from exchange.storage.findings import CaseLogRepository
from exchange.storage.readmodels import ActionView, CaseView, TextInfo
from exchange.storage.texts import TextRepository
from exchange.vocabulary import Category, Phase

__all__ = [
    "ACTION_KINDS",
    "OUTCOMES",
    "STATUSES",
    "ActionView",
    "FollowUpService",
    "set_retention",
    "shred_expired",
]

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


class FollowUpService:
    """Action points and feedback, bound to one unit of work."""

    def __init__(self, unit: Unit, decisions: DecisionEngine) -> None:
        self.unit = unit
        self.decisions = decisions
        self.cases = CaseRepository(unit.session)
        self.followup = FollowUpRepository(unit.session)

    def _coordinated(self, case_id: str, phases: set[Phase]) -> CaseView:
        """The case, for its coordinator acting as coordinator, open and in one of ``phases``."""
        case = self.cases.visible(case_id, self.unit.caller.party)
        require_coordinator(case, self.unit.caller, self._covenant(case))
        if Phase(case.phase) not in phases:
            raise ConflictError(f"not possible in phase '{case.phase}'", code="phase-order")
        return case

    def _covenant(self, case: CaseView) -> Covenant:
        return covenant_in_force(self.decisions, case.covenant, self.unit.now)

    def add_action(self, case_id: str, kind: str, owner: str, deadline: datetime) -> ActionView:
        """The coordinator assigns an action point to a participating party, with a deadline."""
        now = self.unit.now
        case = self._coordinated(case_id, {Phase.ACTION, Phase.FOLLOW_UP})
        if kind not in ACTION_KINDS:
            raise InvalidInputError(f"kind must be one of {', '.join(sorted(ACTION_KINDS))}")
        if not self.cases.takes_part(case_id, owner):
            raise InvalidInputError(f"'{owner}' does not take part in this case")
        if as_utc(deadline) <= now:
            raise InvalidInputError("the deadline must be in the future")
        action = self.followup.add_action(f"act-{uuid.uuid4().hex[:12]}", case_id, kind, owner, deadline, now)
        self.unit.record(
            Action.FOLLOW_UP,
            Outcome.DONE,
            case,
            counterparty=owner,
            details={"action": action.id, "kind": kind, "status": "open"},
        )
        return action

    def update_action(
        self, case_id: str, action_id: str, status: str, reason_sealed: bytes | None
    ) -> ActionView:
        """The owner (any role its party may hold) or the coordinator sets an action point's status;
        a reason, required once it is overdue, arrives sealed."""
        c, now = self.unit.caller, self.unit.now
        case = self.cases.visible(case_id, c.party)
        action = self.followup.action(case_id, action_id, now)
        if action is None:
            raise NotFoundError(f"no action point '{action_id}'")
        coordinating = c.party == case.coordinator and c.role == COORDINATOR
        if c.party != action.owner and not coordinating:
            raise DeniedError(
                "only the owner or the coordinator updates an action point", code="not-owner-or-coordinator"
            )
        require_party(self._covenant(case), c)
        require_open(case)
        if status not in STATUSES:
            raise InvalidInputError("status must be open, done or cancelled")
        late = now > action.deadline
        if late and reason_sealed is None:
            raise InvalidInputError(
                "the action point is overdue: give a reason, sealed as 'reason_sealed' "
                "(exchange client seals it)"
            )
        text = None
        if reason_sealed is not None:
            text = TextService(self.unit, self.decisions).accept(case, ACTION_REASON, reason_sealed)
        updated = self.followup.set_status(action_id, status, text.id if text else None, now)
        self.unit.record(
            Action.FOLLOW_UP,
            Outcome.DONE,
            case,
            counterparty=action.owner,
            text=text,
            details={"action": action_id, "status": status, "overdue": late},
        )
        return updated

    def actions(self, case_id: str) -> list[ActionView]:
        self.cases.visible(case_id, self.unit.caller.party)
        return self.followup.actions(case_id, self.unit.now)

    def texts(self, case_id: str) -> dict[str, TextInfo]:
        """Which sealed texts the case has, by id: kind, author and time, never their content."""
        self.cases.visible(case_id, self.unit.caller.party)
        return TextRepository(self.unit.session).infos(case_id)

    def feedback(self, case_id: str, outcome: str) -> list[str]:
        """Record the abstracted outcome; every party that contributed an item or answered a hit
        query of the case with a hit is told (one event each, saying which it did)."""
        c = self.unit.caller
        case = self._coordinated(case_id, {Phase.FEEDBACK})
        if outcome not in OUTCOMES:
            raise InvalidInputError(f"outcome must be one of {', '.join(sorted(OUTCOMES))}")
        self.followup.set_outcome(case_id, outcome, self.unit.now)
        contributors = EnrichmentRepository(self.unit.session).providers(case_id) - {c.party}
        answered = CaseLogRepository(self.unit.session).hit_answerers(case_id) - {c.party}
        told = sorted(contributors | answered)
        for party in told:
            self.unit.record(
                Action.FEEDBACK,
                Outcome.DONE,
                case,
                counterparty=party,
                details={
                    "outcome": outcome,
                    "contributed": party in contributors,
                    "answered-hit": party in answered,
                },
            )
        return told

    def outcome(self, case_id: str) -> str | None:
        """The case's outcome, for a participating party and for a party it was fed back to (one
        that answered a hit without taking part); anyone else gets "no case"."""
        party = self.unit.caller.party
        if not self.cases.takes_part(case_id, party) and not CaseLogRepository(self.unit.session).told(
            case_id, party
        ):
            raise unknown_case(case_id)
        return self.followup.outcome(case_id)


def set_retention(unit: Unit, covenant: Covenant, case: CaseView) -> None:
    """At closure: each item is kept for its category's retention period, then shredded. The case's
    sealed texts are kept for the covenant's longest category retention period: a reason explains the
    case as a whole, so it is kept as long as any item of it could be."""
    followup = FollowUpRepository(unit.session)
    for item_id, category in followup.items(case.id):
        days = covenant.categories[Category(category)].retention_days
        followup.keep_until(item_id, unit.now + timedelta(days=days))
    longest = max((c.retention_days for c in covenant.categories.values()), default=0)
    TextRepository(unit.session).keep_until(case.id, unit.now + timedelta(days=longest))


def shred_expired(unit: Unit) -> list[str]:
    """Delete every wrap of items, sealed texts and forwarded signals past retention at the unit's
    moment: nobody can open them any more. Logged per item, text and forward, by the unit's caller
    (the operator's retention job); returns their ids, items first, forwards last."""
    followup = FollowUpRepository(unit.session)
    shredded = []
    for item_id, case_id, category in followup.expired(unit.now):
        followup.shred(item_id, unit.now)
        unit.record(
            Action.SHRED,
            Outcome.DONE,
            case=case_id,
            category=category,
            item=item_id,
            reason="retention period ended",
        )
        shredded.append(item_id)
    texts = TextRepository(unit.session)
    for text_id, case_id, kind, digest in texts.expired(unit.now):
        texts.shred(text_id, unit.now)
        unit.record(
            Action.SHRED,
            Outcome.DONE,
            case=case_id,
            item=text_id,
            reason="retention period ended",
            details={"text": kind},
            text=TextRef(text_id, digest),
        )
        shredded.append(text_id)
    return shredded + shred_expired_forwards(unit)
