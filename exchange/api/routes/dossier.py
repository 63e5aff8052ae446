"""Enrichment and the dossier: requests to providers, a provider's inbox, who may receive a category,
sealed items stored and read. The use cases are in :mod:`exchange.cases.dossier`."""

from __future__ import annotations

import base64
import dataclasses
import json

from fastapi import APIRouter
from fastapi.responses import Response

from exchange.api import problems
from exchange.api.context import Ctx, IdemKey, SignedRoute, require_identifier
from exchange.api.idempotency import idempotent
from exchange.api.schemas import EnrichmentIn, ItemIn, ItemsOut, RecipientOut
from exchange.cases.dossier import DossierService
from exchange.cases.unit import Unit
from exchange.crypto.keys import b64
from exchange.errors import InvalidInputError

router = APIRouter(route_class=SignedRoute)


@router.post(
    "/v1/cases/{case_id}/enrichment-requests",
    responses=problems.problem_responses(400, 401, 404, 409, 413, 503),
)
def request_enrichment(
    case_id: str, body: EnrichmentIn, ctx: Ctx, idempotency_key: IdemKey = None
) -> Response:
    """Ask a provider for categories on the case's subjects; each category is decided and logged."""

    def work(unit: Unit) -> tuple[int, bytes]:
        out = DossierService(unit, ctx.service.decisions).request(case_id, body.provider, body.categories)
        return 200, json.dumps(out).encode()

    return idempotent(ctx, idempotency_key, f"{case_id}|{body.model_dump_json()}".encode(), work)


@router.get("/v1/enrichment-requests", responses=problems.problem_responses(400, 401))
def pending_requests(ctx: Ctx) -> Response:
    """Open enrichment requests addressed to the caller, with the cases' subject pseudonyms."""
    pending = ctx.read(lambda unit: DossierService(unit, ctx.service.decisions).pending())
    body = [{**dataclasses.asdict(p), "subjects": list(p.subjects)} for p in pending]
    return Response(json.dumps(body).encode(), media_type="application/json")


@router.get(
    "/v1/cases/{case_id}/recipients",
    response_model=list[RecipientOut],
    responses=problems.problem_responses(400, 401, 404, 409),
)
def recipients(case_id: str, category: str, ctx: Ctx) -> Response:
    """Who may receive ``category`` from the caller in this case now, and the key to seal to."""
    require_identifier(category, "category")
    found = ctx.read(lambda unit: DossierService(unit, ctx.service.decisions).recipients(case_id, category))
    body = [
        RecipientOut(party=r.party, kid=r.kid, public=b64(r.public), articles=list(r.articles)).model_dump()
        for r in found
    ]
    return Response(json.dumps(body).encode(), media_type="application/json")


@router.post(
    "/v1/cases/{case_id}/items",
    status_code=201,
    responses=problems.problem_responses(400, 401, 403, 404, 409, 413, 503),
)
def store_item(case_id: str, body: ItemIn, ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """Store a sealed item after the hub re-decides every recipient; one disclosure event each."""
    try:
        envelope = base64.b64decode(body.envelope, validate=True)
    except ValueError:  # binascii.Error, and non-ASCII text
        raise InvalidInputError("'envelope' is not base64") from None

    def work(unit: Unit) -> tuple[int, bytes]:
        out = DossierService(unit, ctx.service.decisions).store(case_id, envelope)
        return 201, json.dumps(out).encode()

    return idempotent(ctx, idempotency_key, f"{case_id}|{body.envelope}".encode(), work)


@router.get(
    "/v1/cases/{case_id}/items",
    response_model=ItemsOut,
    responses=problems.problem_responses(400, 401, 404, 503),
)
def my_items(case_id: str, ctx: Ctx) -> Response:
    """The caller's dossier view: items sealed for it, each read logged before it is returned."""
    items = ctx.write(lambda unit: DossierService(unit, ctx.service.decisions).view(case_id))
    body = ItemsOut(items=[base64.b64encode(x).decode() for x in items])
    return Response(body.model_dump_json().encode(), media_type="application/json")
