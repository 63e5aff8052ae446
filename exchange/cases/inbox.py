"""A party's inbox: in one read, what waits for it at the hub. Metadata only (ids, cases, categories,
kinds, deadlines), never content, a wrap or a subject, and only the caller's own party.

The same rules as the separate routes hold, so the inbox lists nothing the caller could not then
fetch: an item only if the reader's role may receive its category in the case's phase now (as
``GET /v1/cases/{id}/items`` decides per read), a case's text only if its party reads free text
under the covenant (``GET /v1/cases/{id}/texts``), a forward only if the reader's role may open it
(``GET /v1/forwards/{id}``). Reading the inbox discloses nothing, so, like the other list routes
(open requests, action points, feedback), it is not logged; opening what it lists is.
Spec: docs/specs/inbox.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from exchange.cases.forwards import ForwardService
from exchange.cases.unit import Unit
from exchange.policies.decision import DecisionRequest
from exchange.policies.engine import DecisionEngine
from exchange.storage import inbox as queries
from exchange.storage.cases import CaseRepository
from exchange.storage.casework import EnrichmentRepository
from exchange.storage.forwards import ForwardInfo, ForwardRepository
from exchange.storage.inbox import FeedbackRef, OwnedAction, SealedRef
from exchange.storage.readmodels import CaseView, PendingRequest
from exchange.vocabulary import Form


@dataclass(frozen=True, slots=True)
class Inbox:
    requests: list[PendingRequest]
    unread: list[SealedRef]
    actions: list[tuple[OwnedAction, bool]]  # (action point, overdue)
    feedback: list[FeedbackRef]
    forwards: list[ForwardInfo]
    now: datetime


class InboxService:
    """The caller's inbox, bound to one (read-only) unit of work."""

    def __init__(self, unit: Unit, decisions: DecisionEngine) -> None:
        self.unit = unit
        self.decisions = decisions

    def read(self) -> Inbox:
        c, now = self.unit.caller, self.unit.now
        session = self.unit.session
        sealed = queries.sealed_for(session, c.party)
        cases: dict[str, CaseView | None] = {}
        repo = CaseRepository(session)
        for ref in sealed:
            if ref.case not in cases:
                cases[ref.case] = repo.get(ref.case)
        read = queries.read_by(session, c.party, cases)
        unread = [r for r in sealed if r.id not in read and self._readable(r, cases.get(r.case))]
        forwards = ForwardService(self.unit, self.decisions)
        return Inbox(
            EnrichmentRepository(session).pending(c.party),
            unread,
            [(a, now > a.deadline) for a in queries.open_actions(session, c.party)],
            queries.feedback_to(session, c.party),
            [f for f in ForwardRepository(session).unopened(c.party) if forwards.readable(f)],
            now,
        )

    def _readable(self, ref: SealedRef, case: CaseView | None) -> bool:
        """Whether the caller could read ``ref`` now through its own route."""
        if case is None:
            return False
        c, now = self.unit.caller, self.unit.now
        covenant = self.decisions.covenant(case.covenant, now)
        if ref.category is None:  # a sealed text: the party reads the case's free text
            return covenant is not None and covenant.reads_free_text(c.party)
        d = self.decisions.decide(
            DecisionRequest(
                c.party, c.role, ref.sender, ref.category, case.purpose, case.phase, case.covenant, now
            )
        )
        return d.allowed and d.form is Form.CONTENT
