"""A coordinator asks the case's providers for enrichment, and sees the case's requests and their state.

The form offers, per provider (by name from the covenant files), the categories the covenant lets
this party receive as content for the case's purpose in its phase
(:func:`exchange.client.enrichment.askable`); the hub decides each category again and logs it. The
request covers the case's subjects, which the hub holds only as pseudonyms; the page shows them in
plaintext from this node. A category the hub refuses is kept on the node (the hub keeps no request
for it) so the page can say so. One request per provider, each with its own Idempotency-Key from the
form, so a form sent again after the hub was away asks nothing twice.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from exchange.client.enrichment import AskOutcome, ask_enrichment, askable, case_requests
from exchange.client.http import ExchangeClient
from exchange.client.texts import hub_answer
from exchange.node import asked_store
from exchange.node.context import COORDINATOR, HUB_ERRORS, HubTrouble, Pages, trouble
from exchange.node.covenants import CovenantBook
from exchange.node.intake import N_, FieldError
from exchange.node.signin import SignedIn
from exchange.policies.model import Covenant
from exchange.vocabulary import Category, PartyId

CASE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ATTEMPT = re.compile(r"^[0-9a-f]{32}$")
MAX_CHOICES = 50

CasePage = Callable[..., Response]


def party_name(covenant: Covenant | None, party: str) -> str:
    found = covenant.parties.get(PartyId(party)) if covenant else None
    return found.name if found else party


def category_name(covenant: Covenant | None, category: str) -> str:
    found = covenant.categories.get(Category(category)) if covenant else None
    return found.name if found else category


def offer(covenant: Covenant | None, party: str, purpose: str, phase: str) -> list[dict[str, Any]]:
    """The form's choices: per provider by name, its categories by name, as ``provider|category``."""
    if covenant is None:
        return []
    found = askable(covenant, party, COORDINATOR, purpose, phase)
    groups: list[dict[str, Any]] = [
        {
            "provider": provider,
            "name": party_name(covenant, provider),
            "categories": sorted(
                ({"value": f"{provider}|{c}", "name": category_name(covenant, c)} for c in cats),
                key=lambda c: c["name"],
            ),
        }
        for provider, cats in found.items()
    ]
    return sorted(groups, key=lambda g: g["name"])


def section(
    pages: Pages,
    client: ExchangeClient,
    case_id: str,
    hub: dict[str, Any] | None,
    covenant: Covenant | None,
    phase: str,
) -> dict[str, Any]:
    """What the enrichment section of the case page shows (``enrichment`` in the template)."""
    rt = pages.rt
    with rt.sessions.begin() as s:
        kept = [
            {
                "provider": party_name(covenant, r.provider),
                "category": category_name(covenant, r.category),
                "asked": r.asked,
                "answered": None,
                "state": "refused",
            }
            for r in asked_store.asked(s, case_id)
            if r.outcome == asked_store.REFUSED
        ]
    listed: list[dict[str, Any]] = []
    problem: HubTrouble | None = None
    if hub is not None:
        try:
            listed = [
                {
                    "provider": party_name(covenant, r.provider),
                    "category": category_name(covenant, r.category),
                    "asked": datetime.fromisoformat(r.created),
                    "answered": datetime.fromisoformat(r.answered) if r.answered else None,
                    "state": r.state,
                }
                for r in case_requests(client, case_id)
                if r.requested_by == rt.party.id
            ]
        except HUB_ERRORS as exc:
            problem = trouble(exc)
    requests = sorted(listed + kept, key=lambda r: r["asked"])
    open_case = hub is not None and not hub.get("closed")
    purpose = str(hub.get("purpose", "")) if hub else ""
    return {
        "enrichment": {
            "requests": requests,
            "problem": problem,
            "offer": offer(covenant, rt.party.id, purpose, phase) if open_case else [],
            "open": open_case,
        },
        "enrich_attempt": secrets.token_hex(16),
    }


def router(pages: Pages, book: CovenantBook, case_page: CasePage) -> APIRouter:
    r = APIRouter()
    rt = pages.rt

    @r.post("/casussen/{case_id}/verrijking")
    def ask(
        request: Request,
        case_id: str,
        csrf: str = Form("", max_length=100),
        categories: list[str] = Form([]),  # noqa: B008  # FastAPI reads a form list from a default
        attempt: str = Form("", max_length=64),
    ) -> Response:
        who = pages.coordinator_posting(request, csrf)
        if not isinstance(who, SignedIn):
            return who
        if not CASE_ID.match(case_id):
            return pages.page("message.html", 404, kind="not-found", who=who)
        chosen = [c[:300] for c in categories[:MAX_CHOICES]]
        attempt = attempt if ATTEMPT.match(attempt) else secrets.token_hex(16)
        form = {"categories": chosen, "attempt": attempt}
        client = pages.hub(who)
        try:
            case = hub_answer(client.get(f"/v1/cases/{case_id}"))
            covenant = book.get(str(case["covenant"]).split("/")[0], rt.clock())
            allowed = {
                c["value"]
                for g in offer(covenant, rt.party.id, str(case["purpose"]), str(case["phase"]))
                for c in g["categories"]
            }
            errors = _check(chosen, allowed)
            if errors:
                return case_page(who, case_id, 400, errors=errors, enrich_form=form)
            by_provider: dict[str, list[str]] = {}
            for value in chosen:
                provider, _, category = value.partition("|")
                by_provider.setdefault(provider, []).append(category)
            asked: list[tuple[str, AskOutcome]] = []
            for provider, cats in by_provider.items():
                for outcome in ask_enrichment(client, case_id, provider, cats, f"enr-{attempt}-{provider}"):
                    asked.append((provider, outcome))
        except HUB_ERRORS as exc:
            return case_page(who, case_id, 502, hub_trouble=trouble(exc), enrich_form=form)
        finally:
            client.close()
        now = rt.clock()
        with rt.sessions.begin() as s:
            known = set(
                s.scalars(
                    select(asked_store.AskedRow.request_id).where(asked_store.AskedRow.case_id == case_id)
                )
            )
            for provider, outcome in asked:
                if outcome.id is None or outcome.id not in known:
                    asked_store.record(
                        s, case_id, provider, outcome.category, outcome.id, who.account.id, now
                    )
        return RedirectResponse(f"/casussen/{case_id}?gedaan=verrijking#verzoeken", 303)

    return r


def _check(chosen: list[str], allowed: set[str]) -> list[FieldError]:
    if not chosen:
        return [FieldError("categories", N_("Choose at least one category to ask a partner for."))]
    if any(c not in allowed for c in chosen):
        return [
            FieldError(
                "categories",
                N_(
                    "The covenant does not let your organisation ask for one of the chosen categories "
                    "in this case now. Choose only from the list."
                ),
            )
        ]
    return []
