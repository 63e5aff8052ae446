"""Rules every case use case applies the same way: the covenant version in force, who coordinates,
and that a closed case is not changed."""

from __future__ import annotations

from datetime import datetime

from exchange.errors import ConflictError, DeniedError
from exchange.policies.engine import DecisionEngine
from exchange.policies.model import Covenant
from exchange.storage.readmodels import CaseView
from exchange.vocabulary import Caller


def covenant_in_force(decisions: DecisionEngine, ref: str, moment: datetime) -> Covenant:
    """The version of covenant ``ref`` in force at ``moment``."""
    covenant = decisions.covenant(ref, moment)
    if covenant is None:
        raise DeniedError(f"no version of covenant '{ref}' is in force now")
    return covenant


def require_open(case: CaseView) -> None:
    if case.closed is not None:
        raise ConflictError("the case is closed")


def require_coordinator(case: CaseView, c: Caller) -> None:
    """Only the coordinating party's coordinator; and only while the case is open."""
    if case.coordinator != c.party or c.role != "coordinator":
        raise DeniedError("only the case's coordinator may do this")
    require_open(case)
