"""Findings: after an action each participating party registers what it found, as a count per
category and violation code the covenant declares (covenant art. 11 in PIT 2021). Counts and codes
only: no people, no addresses, no free text, so a finding can be logged and reported whole.

A party's registration replaces all of its earlier findings for the case; the log keeps both.
"""

from __future__ import annotations

from collections.abc import Sequence

from exchange.audit.events import Action, Outcome
from exchange.cases.rules import covenant_in_force, require_open, require_party
from exchange.cases.unit import Unit
from exchange.errors import ConflictError, DeniedError
from exchange.policies.engine import DecisionEngine
from exchange.policies.violations import MAX_COUNT, check_findings
from exchange.storage.cases import CaseRepository
from exchange.storage.findings import FindingRepository, FindingView
from exchange.vocabulary import Phase

__all__ = ["MAX_COUNT", "REGISTERING_ROLES", "FindingService", "FindingView", "check_findings"]

#: Who registers a party's findings: the staff that carried out the action, or the coordinator.
REGISTERING_ROLES = ("employee", "coordinator")
#: Findings are registered from the action phase until the case is closed.
REGISTERING_PHASES = frozenset({Phase.ACTION, Phase.FOLLOW_UP, Phase.FEEDBACK})


class FindingService:
    """Registering and reading findings, bound to one unit of work."""

    def __init__(self, unit: Unit, decisions: DecisionEngine) -> None:
        self.unit = unit
        self.decisions = decisions
        self.cases = CaseRepository(unit.session)
        self.findings = FindingRepository(unit.session)

    def register(self, case_id: str, findings: Sequence[tuple[str, str, int]]) -> list[FindingView]:
        """The caller's party's findings for the case as (category, code, count), replacing its
        earlier ones; an empty list withdraws them. One ``finding`` event per finding (category,
        code, count and the violation's article), and one for the registration as a whole."""
        c, now = self.unit.caller, self.unit.now
        case = self.cases.visible(case_id, c.party)
        covenant = covenant_in_force(self.decisions, case.covenant, now)
        if c.role not in REGISTERING_ROLES:
            raise DeniedError(
                "only an employee or the coordinator registers a party's findings",
                code="not-employee-or-coordinator",
            )
        require_party(covenant, c)
        require_open(case)
        if Phase(case.phase) not in REGISTERING_PHASES:
            raise ConflictError(
                f"findings are registered after the action; the case is in phase '{case.phase}'",
                code="phase-order",
            )
        check_findings(covenant, findings)
        replaced = self.findings.replace(case_id, c.party, findings, now)
        for category, code, count in findings:
            article = covenant.violations[code].article
            self.unit.record(
                Action.FINDING,
                Outcome.DONE,
                case,
                category=category,
                articles=(str(article),) if article is not None else (),
                details={"code": code, "count": count},
            )
        self.unit.record(
            Action.FINDING, Outcome.DONE, case, details={"registered": len(findings), "replaced": replaced}
        )
        return self.findings.for_case(case_id, c.party)

    def of_case(self, case_id: str) -> list[FindingView]:
        """Every party's findings for the case, for a participating party."""
        self.cases.visible(case_id, self.unit.caller.party)
        return self.findings.for_case(case_id)
