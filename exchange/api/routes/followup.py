"""Follow-up and feedback: action points with owner and deadline, and the case's abstracted outcome.
The use cases are in :mod:`exchange.cases.followup`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from exchange.api import problems
from exchange.api.context import Ctx, IdemKey, SignedRoute
from exchange.api.idempotency import idempotent
from exchange.api.routes.texts import sealed_text, text_ref
from exchange.api.schemas import ActionIn, ActionOut, ActionUpdateIn, FeedbackIn, FeedbackOut
from exchange.cases.followup import ActionView, FollowUpService
from exchange.cases.unit import Unit
from exchange.storage.readmodels import TextInfo

router = APIRouter(route_class=SignedRoute)
WRITE = problems.problem_responses(400, 401, 403, 404, 409, 413, 503)


def action_out(a: ActionView, texts: dict[str, TextInfo]) -> bytes:
    """An action point; its reason only as "given, by whom and when" (the text is sealed)."""
    return (
        ActionOut(
            id=a.id,
            kind=a.kind,
            owner=a.owner,
            deadline=a.deadline,
            status=a.status,
            reason=text_ref(a.reason_text, texts),
            overdue=a.overdue,
        )
        .model_dump_json()
        .encode()
    )


@router.post("/v1/cases/{case_id}/actions", status_code=201, response_model=ActionOut, responses=WRITE)
def add_action(case_id: str, body: ActionIn, ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """Assign a follow-up action point to a participating party, with a deadline (coordinator)."""

    def work(unit: Unit) -> tuple[int, bytes]:
        return 201, action_out(
            FollowUpService(unit, ctx.service.decisions).add_action(
                case_id, body.kind, body.owner, body.deadline
            ),
            {},
        )

    return idempotent(ctx, idempotency_key, f"{case_id}|{body.model_dump_json()}".encode(), work)


@router.post("/v1/cases/{case_id}/actions/{action_id}", response_model=ActionOut, responses=WRITE)
def update_action(
    case_id: str, action_id: str, body: ActionUpdateIn, ctx: Ctx, idempotency_key: IdemKey = None
) -> Response:
    """Set an action point's status (owner or coordinator); once overdue, a sealed reason is required."""
    reason = sealed_text(body.reason_sealed, body.reason, "reason")

    def work(unit: Unit) -> tuple[int, bytes]:
        followup = FollowUpService(unit, ctx.service.decisions)
        a = followup.update_action(case_id, action_id, body.status, reason)
        return 200, action_out(a, followup.texts(case_id))

    request = f"{case_id}|{action_id}|{body.model_dump_json()}".encode()
    return idempotent(ctx, idempotency_key, request, work)


@router.get(
    "/v1/cases/{case_id}/actions",
    response_model=list[ActionOut],
    responses=problems.problem_responses(400, 401, 404),
)
def list_actions(case_id: str, ctx: Ctx) -> Response:
    """The case's action points, with overdue ones marked."""

    def work(unit: Unit) -> tuple[list[ActionView], dict[str, TextInfo]]:
        followup = FollowUpService(unit, ctx.service.decisions)
        return followup.actions(case_id), followup.texts(case_id)

    found, texts = ctx.read(work)
    return Response(
        b"[" + b",".join(action_out(a, texts) for a in found) + b"]", media_type="application/json"
    )


@router.post("/v1/cases/{case_id}/feedback", response_model=FeedbackOut, responses=WRITE)
def give_feedback(case_id: str, body: FeedbackIn, ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """Record the case's abstracted outcome; every party that contributed an item is told."""

    def work(unit: Unit) -> tuple[int, bytes]:
        told = FollowUpService(unit, ctx.service.decisions).feedback(case_id, body.outcome)
        return 200, FeedbackOut(outcome=body.outcome, told=told).model_dump_json().encode()

    return idempotent(ctx, idempotency_key, f"{case_id}|{body.model_dump_json()}".encode(), work)


@router.get(
    "/v1/cases/{case_id}/feedback",
    response_model=FeedbackOut,
    responses=problems.problem_responses(400, 401, 404),
)
def read_feedback(case_id: str, ctx: Ctx) -> Response:
    """The case's abstracted outcome, for every participating party."""
    outcome = ctx.read(lambda unit: FollowUpService(unit, ctx.service.decisions).outcome(case_id))
    return Response(FeedbackOut(outcome=outcome).model_dump_json().encode(), media_type="application/json")
