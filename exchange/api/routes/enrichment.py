"""A case's enrichment requests, listed for one of its parties. The use case is in
:mod:`exchange.cases.enrichment`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from exchange.api import problems
from exchange.api.context import Ctx, SignedRoute
from exchange.api.schemas_enrichment import CaseRequestOut, CaseRequestsOut
from exchange.cases.enrichment import list_requests

router = APIRouter(route_class=SignedRoute)


@router.get(
    "/v1/cases/{case_id}/enrichment-requests",
    response_model=CaseRequestsOut,
    responses=problems.problem_responses(400, 401, 403, 404),
)
def case_requests(case_id: str, ctx: Ctx) -> Response:
    """The case's enrichment requests the caller's party made or was asked, with their state."""
    found = ctx.read(lambda unit: list_requests(unit, ctx.service.decisions, case_id))
    body = CaseRequestsOut(
        requests=[
            CaseRequestOut(
                id=r.id,
                requested_by=r.requested_by,
                provider=r.provider,
                category=r.category,
                created=r.created,
                answered=r.answered,
                state="answered" if r.answered is not None else "waiting",
            )
            for r in found
        ]
    )
    return Response(body.model_dump_json().encode(), media_type="application/json")
