"""Enrichment as the party that asks: which categories the covenant lets it ask each provider for in a
case, the request itself, and the case's requests with their state.

    offer = askable(covenant, "helmond", "coordinator", "uitkeringsfraude", "preparation")
    outcomes = ask_enrichment(client, case_id, "senzer", ["bijstand-status"])
    for r in case_requests(client, case_id): ...      # waiting | answered

The hub decides every category again (``POST /v1/cases/{id}/enrichment-requests``) and logs each
decision; a category it refuses comes back with ``requested: false`` and its reason, and no request
is recorded. The request covers the case's subjects, which the hub holds as pseudonyms only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from exchange.client.http import ExchangeClient
from exchange.client.texts import hub_answer
from exchange.policies.model import Covenant
from exchange.vocabulary import Form


@dataclass(frozen=True, slots=True)
class AskOutcome:
    """The hub's answer for one category: a request recorded (``id``), or refused with ``reason``."""

    category: str
    requested: bool
    id: str | None
    reason: str | None
    articles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseRequest:
    """A request of the case as the hub lists it: ``state`` is ``waiting`` or ``answered``."""

    id: str
    requested_by: str
    provider: str
    category: str
    created: str
    answered: str | None
    state: str


def askable(covenant: Covenant, party: str, role: str, purpose: str, phase: str) -> dict[str, list[str]]:
    """Per provider, the categories ``party`` in ``role`` may receive as content for ``purpose`` in
    ``phase``: what a request can ask for. The hub decides again; this only keeps a form honest."""
    out: dict[str, dict[str, None]] = {}
    for flow in covenant.flows:
        if flow.form is not Form.CONTENT or str(flow.purpose) != purpose or phase not in flow.phases:
            continue
        if flow.roles and role not in flow.roles:
            continue
        if not any(party in covenant.members(end) for end in flow.recipients):
            continue
        for end in flow.providers:
            for provider in covenant.members(end):
                if provider != party:
                    cats = out.setdefault(str(provider), {})
                    cats.update(dict.fromkeys(str(c) for c in flow.categories))
    return {p: list(cats) for p, cats in out.items()}


def ask_enrichment(
    client: ExchangeClient,
    case_id: str,
    provider: str,
    categories: Sequence[str],
    idempotency_key: str | None = None,
) -> list[AskOutcome]:
    """Ask ``provider`` for ``categories`` in the case; the hub's outcome per category."""
    body = {"provider": provider, "categories": list(categories)}
    got: Any = hub_answer(client.post(f"/v1/cases/{case_id}/enrichment-requests", body, idempotency_key))
    return [
        AskOutcome(
            str(o.get("category", "")),
            o.get("requested") is True,
            str(o["id"]) if o.get("id") is not None else None,
            str(o["reason"]) if o.get("reason") is not None else None,
            tuple(str(a) for a in o.get("articles") or ()),
        )
        for o in (got if isinstance(got, list) else [])
        if isinstance(o, dict)
    ]


def raw_outcomes(outcomes: Sequence[AskOutcome]) -> list[dict[str, Any]]:
    """The outcomes as the hub wrote them, for a command to print."""
    return [
        {"category": o.category, "requested": o.requested}
        | ({"id": o.id, "articles": list(o.articles)} if o.id is not None else {})
        | ({"reason": o.reason} if o.reason is not None else {})
        for o in outcomes
    ]


def case_requests(client: ExchangeClient, case_id: str) -> list[CaseRequest]:
    """``GET /v1/cases/{id}/enrichment-requests``: the case's requests this party made or was asked."""
    got: Any = hub_answer(client.get(f"/v1/cases/{case_id}/enrichment-requests"))
    rows = got.get("requests") if isinstance(got, dict) else None
    return [
        CaseRequest(
            str(r.get("id", "")),
            str(r.get("requested_by", "")),
            str(r.get("provider", "")),
            str(r.get("category", "")),
            str(r.get("created", "")),
            str(r["answered"]) if r.get("answered") else None,
            "answered" if r.get("answered") else "waiting",
        )
        for r in (rows if isinstance(rows, list) else [])
        if isinstance(r, dict)
    ]
