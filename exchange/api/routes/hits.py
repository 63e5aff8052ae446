"""Hit/no-hit: a party's own index of pseudonyms per category, and the query for a case's subjects.
The use cases are in :mod:`exchange.cases.hits`."""

from __future__ import annotations

import orjson
from fastapi import APIRouter
from fastapi.responses import Response

from exchange.api import problems
from exchange.api.context import Ctx, IdemKey, SignedRoute, require_identifier
from exchange.api.idempotency import idempotent
from exchange.api.schemas import HitOut, IndexIn, IndexOut
from exchange.cases.hits import HitService
from exchange.cases.unit import Unit
from exchange.protocol import NOT_IN_PHASE_HEADER

router = APIRouter(route_class=SignedRoute)


@router.post(
    "/v1/index/{category}",
    response_model=IndexOut,
    responses=problems.problem_responses(400, 401, 409, 413, 503),
)
def update_index(category: str, body: IndexIn, ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """Add or remove pseudonyms in this party's own hit/no-hit index for a category."""
    require_identifier(category, "category")

    def work(unit: Unit) -> tuple[int, bytes]:
        added, removed = HitService(unit, ctx.service.pairs).update_index(category, body.add, body.remove)
        return 200, IndexOut(added=added, removed=removed).model_dump_json().encode()

    return idempotent(ctx, idempotency_key, f"{category}|{body.model_dump_json()}".encode(), work)


# The pairs allowed only in another phase go in a header (exchange.protocol.NOT_IN_PHASE_HEADER):
# ``provider/category`` separated by ", ", empty when there are none. A header, so the body stays
# the array of answers that clients already read (docs/adr/0016-hit-states-and-forwarded-signals.md).

_HITS_RESPONSES = problems.problem_responses(400, 401, 404, 409, 503)
_HITS_RESPONSES[200] = {
    "headers": {
        NOT_IN_PHASE_HEADER: {
            "description": (
                "The (provider, category) pairs allowed for the case's purpose only in another phase, "
                "as provider/category separated by ', ' (empty if none); not looked up, not logged."
            ),
            "schema": {"type": "string", "example": "senzer/bijstand-status, uwv/uitkering-status"},
        }
    }
}


@router.post("/v1/cases/{case_id}/hits", response_model=list[HitOut], responses=_HITS_RESPONSES)
def hits(case_id: str, ctx: Ctx) -> Response:
    """Hit, no-hit or no-index for the case's subjects, for exactly the (party, category) pairs the
    covenant lets the caller ask about in the case's purpose and phase; each answer is logged first.
    The pairs allowed only in another phase are listed in the ``Exchange-Not-In-Phase`` header."""
    result = ctx.write(lambda unit: HitService(unit, ctx.service.pairs).hits(case_id))
    # The fields of HitOut (the documented response model), built directly: a KIT query has
    # dozens of answers, and a model per answer costs more than the answer's lookup.
    body = [
        {
            "subject": a.subject,
            "provider": a.provider,
            "category": a.category,
            "hit": a.hit,
            "state": a.state,
            "form": a.form,
            "articles": list(a.articles),
            "log_index": a.log_index,
        }
        for a in result.answers
    ]
    listed = ", ".join(f"{p}/{c}" for p, c in result.not_in_phase)
    return Response(orjson.dumps(body), media_type="application/json", headers={NOT_IN_PHASE_HEADER: listed})
