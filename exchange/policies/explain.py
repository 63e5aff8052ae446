"""Reasons a person understands, for allowed and denied decisions.

The table says *whether*; this module says *why not*, by looking for the nearest flow: same
parties and category but another purpose, the right purpose but another phase, a role restriction,
or a party attribute the flow requires and the party lacks.
"""

from __future__ import annotations

from exchange.policies.decision import Grant
from exchange.policies.model import Covenant, Flow
from exchange.vocabulary import PartyId


def _name(c: Covenant, party: str) -> str:
    p = c.parties.get(PartyId(party))
    return p.name if p is not None else party


class FlowIndex:
    """The flows that serve each (recipient, provider, category), built once per policy version,
    so that explaining a denial costs a lookup instead of a scan over every flow."""

    __slots__ = ("_index",)

    def __init__(self, c: Covenant) -> None:
        index: dict[tuple[str, str, str], list[Flow]] = {}
        for f in c.flows:
            recipients = {p for r in f.recipients for p in c.members(r)}
            providers = {p for q in f.providers for p in c.members(q)}
            for r in recipients:
                for p in providers:
                    for cat in f.categories:
                        index.setdefault((r, p, cat), []).append(f)
        self._index = {k: tuple(v) for k, v in index.items()}

    def serving(self, recipient: str, provider: str, category: str) -> tuple[Flow, ...]:
        return self._index.get((recipient, provider, category), ())


def allowed_reason(c: Covenant, grants: tuple[Grant, ...]) -> str:
    cited = "; ".join(f"art. {g.article} ({g.ground}, flow '{g.flow}')" for g in grants)
    return f"allowed by {c.label} {cited}"


def denial_reason(
    c: Covenant,
    index: FlowIndex,
    recipient: str,
    role: str,
    provider: str,
    category: str,
    purpose: str,
    phase: str,
) -> tuple[str, str]:
    """Why the covenant does not allow this request: a reason code and one sentence."""
    base = f"{c.label} has no flow of '{category}' from {_name(c, provider)} to {_name(c, recipient)}"
    candidates = index.serving(recipient, provider, category)
    same_purpose = [f for f in candidates if f.purpose == purpose]
    if not same_purpose:
        others = sorted({f.purpose for f in candidates})
        hint = f" (it has one for: {', '.join(others)})" if others else ""
        return ("purpose-not-covered" if others else "no-flow"), f"{base} for purpose '{purpose}'{hint}"
    in_phase = [f for f in same_purpose if phase in f.phases]
    if not in_phase:
        phases = sorted({str(p) for f in same_purpose for p in f.phases})
        return "phase-not-covered", (
            f"{base} for purpose '{purpose}' in phase '{phase}'; "
            f"the covenant allows it only in: {', '.join(phases)}"
        )
    by_role = [f for f in in_phase if not f.roles or role in f.roles]
    if not by_role:
        roles = sorted({r for f in in_phase for r in f.roles})
        return "role-not-allowed", (
            f"in {c.label} only the role(s) {', '.join(roles)} may receive '{category}' from "
            f"{_name(c, provider)} for purpose '{purpose}'; the user acts as '{role}'"
        )
    reasons = []
    for f in by_role:
        lacking_r = f.requires_recipient - c.parties[PartyId(recipient)].attributes
        lacking_p = f.requires_provider - c.parties[PartyId(provider)].attributes
        if lacking_r:
            reasons.append(
                f"flow '{f.id}' (art. {f.article}) requires {_name(c, recipient)} to have "
                f"{', '.join(repr(a) for a in sorted(lacking_r))}, which it lacks"
            )
        if lacking_p:
            reasons.append(
                f"flow '{f.id}' (art. {f.article}) requires {_name(c, provider)} to have "
                f"{', '.join(repr(a) for a in sorted(lacking_p))}, which it lacks"
            )
    if reasons:
        return "attribute-missing", "; ".join(reasons)
    return "no-flow", f"{base} for purpose '{purpose}' in phase '{phase}'"
