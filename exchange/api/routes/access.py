"""Access requests (AVG art. 15) over HTTP, for a party's privacy officer. The use case is in
:mod:`exchange.cases.access`, the grouping in :mod:`exchange.reports.access`."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from exchange.api import problems
from exchange.api.context import Ctx, SignedRoute
from exchange.api.schemas_access import AccessAnswerOut, AccessRequestIn
from exchange.cases.access import AccessService
from exchange.reports.access import access_answer

router = APIRouter(route_class=SignedRoute)


@router.post(
    "/v1/access-requests",
    response_model=AccessAnswerOut,
    responses=problems.problem_responses(400, 401, 403, 413, 503),
)
def access_request(body: AccessRequestIn, ctx: Ctx) -> AccessAnswerOut:
    """What the log holds about one data subject in one covenant, across every party, for the
    privacy officer of a party to the covenant to answer an access request. Categories the covenant
    marks confidential are listed as withheld, with the parties to ask. The request is logged
    (``access-request``) before the answer is sent."""
    decisions = ctx.service.decisions
    # The search runs on a reader; only the request's events go through the writer, and the answer
    # is sent only once they are durable. Both check the caller; a refusal is logged.
    facts = ctx.read(lambda unit: AccessService(unit, decisions).search(body.covenant, body.pseudonyms))
    answer = access_answer(facts.entries, facts.versions, facts.current, len(facts.subjects))
    index = ctx.write(
        lambda unit: AccessService(unit, decisions).record(body.covenant, body.pseudonyms, answer.entries)
    )
    return AccessAnswerOut.model_validate({**asdict(answer), "generated": ctx.now, "log_index": index})
