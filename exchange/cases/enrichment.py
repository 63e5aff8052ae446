"""A case's enrichment requests as one of its parties sees them: the requests it made (waiting or
answered) and those addressed to it. Metadata only; the hub holds nothing else about them."""

from __future__ import annotations

from exchange.cases.rules import covenant_in_force, require_party
from exchange.cases.unit import Unit
from exchange.policies.engine import DecisionEngine
from exchange.storage.cases import CaseRepository
from exchange.storage.enrichment_queries import CaseRequest, case_requests

__all__ = ["CaseRequest", "list_requests"]


def list_requests(unit: Unit, decisions: DecisionEngine, case_id: str) -> list[CaseRequest]:
    """The case's requests made by or addressed to the caller's party. A party outside the case gets
    the unknown-case answer, as for every case route; a role the covenant does not let the party
    hold is refused."""
    caller = unit.caller
    case = CaseRepository(unit.session).visible(case_id, caller.party)
    require_party(covenant_in_force(decisions, case.covenant, unit.now), caller)
    return case_requests(unit.session, case.id, caller.party)
