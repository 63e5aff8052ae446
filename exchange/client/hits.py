"""A hit/no-hit query as a party's node reads it: each answer's state, and the pairs the covenant
allows only in another phase of the case (the ``Exchange-Not-In-Phase`` header). Spec:
docs/specs/hit-states.md.

    report = query_hits(client, case_id)
    for a in report.answers: ...          # state: hit | no-hit | no-index
    report.not_in_phase                   # [(provider, category), ...], never looked up
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exchange.client.forwards import hub_json
from exchange.client.http import ExchangeClient
from exchange.protocol import NOT_IN_PHASE_HEADER

STATES = ("hit", "no-hit", "no-index")


@dataclass(frozen=True, slots=True)
class HitReport:
    answers: list[dict[str, Any]]
    not_in_phase: list[tuple[str, str]]


def not_in_phase(value: str | None) -> list[tuple[str, str]]:
    """The header's ``provider/category, ...`` as pairs; none for an absent or empty header."""
    pairs = []
    for entry in (value or "").split(","):
        provider, _, category = entry.strip().partition("/")
        if provider and category:
            pairs.append((provider, category))
    return pairs


def state_of(answer: dict[str, Any]) -> str:
    """An answer's state. A hub from before the three states sends only ``hit``; a state this client
    does not know says nothing it can rely on, so it reads as ``no-index``."""
    state = answer.get("state")
    if state is None:
        return "hit" if answer.get("hit") else "no-hit"
    return state if state in STATES else "no-index"


def query_hits(client: ExchangeClient, case_id: str) -> HitReport:
    """Ask the hub for the case's answers (each one logged there before it answers)."""
    r = client.post(f"/v1/cases/{case_id}/hits", {})
    return HitReport(hub_json(r), not_in_phase(r.headers.get(NOT_IN_PHASE_HEADER)))
