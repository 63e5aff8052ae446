"""Rules every case use case applies the same way: the covenant version in force, which roles a party
may act in, who coordinates, and that a closed case is not changed.

Each refusal carries a reason code (``ExchangeError.code``); the edge logs refusals with it.
"""

from __future__ import annotations

from datetime import datetime

from exchange.errors import ConflictError, DeniedError
from exchange.policies.engine import DecisionEngine
from exchange.policies.model import Covenant, role_not_held
from exchange.storage.readmodels import CaseView
from exchange.vocabulary import Caller, PartyId

COORDINATOR = "coordinator"


def covenant_in_force(decisions: DecisionEngine, ref: str, moment: datetime) -> Covenant:
    """The version of covenant ``ref`` in force at ``moment``."""
    covenant = decisions.covenant(ref, moment)
    if covenant is None:
        raise DeniedError(f"no version of covenant '{ref}' is in force now", code="not-in-force")
    return covenant


def require_party(covenant: Covenant, c: Caller) -> None:
    """The caller's party is a party to the covenant, and its role one the covenant lets it hold."""
    if PartyId(c.party) not in covenant.parties:
        raise DeniedError(f"'{c.party}' is not a party to {covenant.label}", code="not-a-party")
    if c.role not in covenant.roles:
        raise DeniedError(f"'{c.role}' is not a role in {covenant.label}", code="unknown-role")
    if not covenant.may_hold(c.party, c.role):
        raise DeniedError(role_not_held(covenant, c.party, c.role), code="role-not-held")


def role_refusal(decisions: DecisionEngine, party: str, role: str, moment: datetime) -> DeniedError | None:
    """Why ``party`` may not act in ``role`` under any covenant in force at ``moment`` (naming, per
    covenant it belongs to, who may), or None when some covenant lets it. Checked for every signed
    route by the API's request context."""
    if decisions.holds_role(party, role, moment):
        return None
    mine = [c for c in decisions.in_force(moment) if PartyId(party) in c.parties]
    if not mine:
        return DeniedError(f"'{party}' is a party to no covenant in force", code="role-not-held")
    reasons = [
        role_not_held(c, party, role)
        if role in c.roles
        else f"'{role}' is not a role in {c.label} (its roles: {', '.join(c.roles)})"
        for c in mine
    ]
    return DeniedError("; ".join(reasons), code="role-not-held")


def require_role(covenant: Covenant, c: Caller, role: str, what: str) -> None:
    """The caller acts in ``role``, which its party may hold under the covenant."""
    if c.role != role:
        raise DeniedError(f"only a {role} {what}", code=f"not-{role}")
    require_party(covenant, c)


def require_open(case: CaseView) -> None:
    if case.closed is not None:
        raise ConflictError("the case is closed", code="case-closed")


def require_coordinator(case: CaseView, c: Caller, covenant: Covenant) -> None:
    """Only the coordinating party, acting as coordinator (a role it may hold), on an open case."""
    if case.coordinator != c.party or c.role != COORDINATOR:
        raise DeniedError("only the case's coordinator may do this", code="not-coordinator")
    require_party(covenant, c)
    require_open(case)
