"""The case itself: open it from a signal, let parties take part, move it through the casustafel
phases, record the selection decision and the jurist's review of it. Reasons and notes arrive sealed
(:mod:`exchange.cases.texts`); the hub stores and logs them without reading them.

A :class:`CaseService` is bound to one :class:`~exchange.cases.unit.Unit`: it acts for the unit's
caller, at the unit's moment, on the unit's transaction, and never commits. Every step appends its
log event in that transaction, so an action and its record stand or fall together.
"""

from __future__ import annotations

import uuid

from exchange.audit.events import Action, Outcome
from exchange.cases.followup import set_retention
from exchange.cases.key_versions import require_accepted
from exchange.cases.rules import (
    COORDINATOR,
    covenant_in_force,
    require_coordinator,
    require_open,
    require_party,
    require_role,
)
from exchange.cases.texts import CLOSING_REASON, REVIEW_NOTE, SELECTION_REASON, TextService
from exchange.cases.unit import Unit
from exchange.crypto.pseudonym import parse_pseudonym
from exchange.errors import ConflictError, DeniedError, InvalidInputError
from exchange.policies.engine import DecisionEngine
from exchange.storage.cases import CaseRepository
from exchange.storage.readmodels import CaseRecord, CaseView
from exchange.storage.texts import TextRepository
from exchange.vocabulary import PartyId, Phase, Purpose

PHASES = list(Phase)


class CaseService:
    def __init__(self, unit: Unit, decisions: DecisionEngine) -> None:
        self.unit = unit
        self.decisions = decisions
        self.cases = CaseRepository(unit.session)

    def visible(self, case_id: str) -> CaseView:
        """The case, if the caller's party takes part in it (otherwise "no case")."""
        return self.cases.visible(case_id, self.unit.caller.party)

    def record(self, case_id: str) -> CaseRecord:
        """The case's metadata, parties, subjects, reviews and which texts were given, for a
        participating party."""
        case = self.visible(case_id)
        return CaseRecord(
            case,
            tuple(self.cases.parties(case_id)),
            tuple(self.cases.subjects(case_id)),
            tuple(self.cases.reviews(case_id)),
            TextRepository(self.unit.session).infos(case_id),
        )

    def create(self, covenant_ref: str, purpose: str, subjects: list[str]) -> CaseView:
        """A coordinator opens a case from a signal, for one purpose of a covenant in force."""
        c, now = self.unit.caller, self.unit.now
        if c.role != COORDINATOR:
            raise DeniedError("only a coordinator opens cases", code="not-coordinator")
        covenant = covenant_in_force(self.decisions, covenant_ref, now)
        require_party(covenant, c)
        if Purpose(purpose) not in covenant.purposes:
            raise InvalidInputError(f"'{purpose}' is not a purpose of {covenant.label}")
        unique = list(dict.fromkeys(subjects))
        if not unique:
            raise InvalidInputError("a case needs at least one subject")
        if len(unique) > covenant.query_limit:
            limit = covenant.query_limit
            raise DeniedError(
                f"{covenant.label} allows at most {limit} subjects per case (no bulk matching)",
                code="query-limit",
            )
        for subject in unique:
            parse_pseudonym(subject)
        require_accepted(self.unit.session, str(covenant.ref), unique, now)
        case = self.cases.add(
            f"case-{uuid.uuid4().hex[:16]}",
            str(covenant.ref),
            purpose,
            str(Phase.SIGNAL),
            c.party,
            now,
            unique,
        )
        for subject in unique:
            self.unit.record(Action.CASE_CREATED, Outcome.DONE, case, subject=subject)
        return case

    def add_party(self, case_id: str, party: str) -> CaseView:
        """Let a party of the covenant take part in the case (its coordinator only)."""
        case = self.visible(case_id)
        covenant = covenant_in_force(self.decisions, case.covenant, self.unit.now)
        require_coordinator(case, self.unit.caller, covenant)
        if PartyId(party) not in covenant.parties:
            raise InvalidInputError(f"'{party}' is not a party to {covenant.label}")
        if self.cases.add_party(case_id, party):
            self.unit.record(
                Action.CASE_TRANSITION,
                Outcome.DONE,
                case,
                counterparty=party,
                details={"change": "party-added"},
            )
        return case

    def transition(self, case_id: str, to: str, reason_sealed: bytes | None) -> CaseView:
        """Move a case one phase on; a selection and a closure need a sealed reason; any phase may go
        to closed."""
        case = self.visible(case_id)
        covenant = covenant_in_force(self.decisions, case.covenant, self.unit.now)
        require_coordinator(case, self.unit.caller, covenant)
        try:
            target = Phase(to)
        except ValueError:
            raise InvalidInputError(f"unknown phase '{to}'") from None
        current = PHASES.index(Phase(case.phase))
        if target is not Phase.CLOSED and PHASES.index(target) != current + 1:
            raise ConflictError(
                f"a case in phase '{case.phase}' can move to "
                f"'{PHASES[current + 1]}' or 'closed', not '{target}'",
                code="phase-order",
            )
        kind = {Phase.PREPARATION: SELECTION_REASON, Phase.CLOSED: CLOSING_REASON}.get(target)
        if kind is None and reason_sealed is not None:
            raise InvalidInputError(f"a move to '{target}' records no reason; send none")
        if kind is not None and reason_sealed is None:
            what = "the selection decision" if target is Phase.PREPARATION else "closing a case"
            raise InvalidInputError(
                f"{what} needs a reason: send it sealed as 'reason_sealed' (exchange client seals it)"
            )
        text = None
        if kind is not None and reason_sealed is not None:
            text = TextService(self.unit, self.decisions).accept(case, kind, reason_sealed)
        closed = None
        if target is Phase.CLOSED:
            closed = self.unit.now
            set_retention(self.unit, covenant, case)
        selection_text = text.id if target is Phase.PREPARATION and text is not None else None
        self.cases.move(case_id, str(target), selection_text=selection_text, closed=closed)
        moved = self.visible(case_id)
        self.unit.record(
            Action.SELECTION if target is Phase.PREPARATION else Action.CASE_TRANSITION,
            Outcome.DONE,
            moved,
            text=text,
        )
        return moved

    def review_selection(self, case_id: str, verdict: str, note_sealed: bytes) -> CaseView:
        """A jurist of a participating party reviews the recorded selection decision."""
        case = self.visible(case_id)
        c = self.unit.caller
        covenant = covenant_in_force(self.decisions, case.covenant, self.unit.now)
        require_role(covenant, c, "jurist", "reviews a selection decision")
        require_open(case)
        # An open case past selection was selected: moving on from selection needs the reason.
        if PHASES.index(Phase(case.phase)) <= PHASES.index(Phase.SELECTION):
            raise ConflictError("the case has no selection decision to review yet", code="not-selected")
        if verdict not in ("approved", "concerns"):
            raise InvalidInputError("verdict must be 'approved' or 'concerns'")
        text = TextService(self.unit, self.decisions).accept(case, REVIEW_NOTE, note_sealed)
        self.cases.put_review(case_id, c.party, c.user, verdict, text.id, self.unit.now)
        self.unit.record(Action.SELECTION, Outcome.DONE, case, text=text, details={"review": verdict})
        return case
