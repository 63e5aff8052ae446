"""Cases: open one from a signal, read it, let parties take part, move it through its phases, and the
jurist's review of the selection decision. The use cases are in :mod:`exchange.cases.service`.
Reasons and notes arrive sealed; a case shows only that one was given, by whom and when."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from exchange.api import problems
from exchange.api.context import Ctx, IdemKey, RequestContext, SignedRoute
from exchange.api.idempotency import idempotent
from exchange.api.routes.texts import sealed_text, text_ref
from exchange.api.schemas import CaseIn, CaseOut, PartyIn, ReviewIn, ReviewOut, TransitionIn
from exchange.cases.service import CaseService
from exchange.cases.texts import CLOSING_REASON
from exchange.cases.unit import Unit
from exchange.errors import InvalidInputError

router = APIRouter(route_class=SignedRoute)
WRITE = problems.problem_responses(400, 401, 403, 404, 409, 413, 503)


def case_out(unit: Unit, service: CaseService, case_id: str) -> bytes:
    r = service.record(case_id)
    closing = [t.id for t in r.texts.values() if t.kind == CLOSING_REASON]
    out = CaseOut(
        id=r.case.id,
        covenant=r.case.covenant,
        purpose=r.case.purpose,
        phase=r.case.phase,
        coordinator=r.case.coordinator,
        parties=list(r.parties),
        subjects=list(r.subjects),
        selection_reason=text_ref(r.case.selection_text, r.texts),
        closing_reason=text_ref(closing[-1], r.texts) if closing else None,
        reviews=[
            ReviewOut(
                party=v.party, reviewer=v.reviewer, verdict=v.verdict, note=text_ref(v.note_text, r.texts)
            )
            for v in r.reviews
        ],
        closed=r.case.closed is not None,
    )
    return out.model_dump_json().encode()


def _step(
    ctx: RequestContext, key: str | None, case_id: str, body: BaseModel, step: Callable[[CaseService], object]
) -> Response:
    """One step on a case by its coordinator or jurist, answered with the case as it then stands."""

    def work(unit: Unit) -> tuple[int, bytes]:
        cases = CaseService(unit, ctx.service.decisions)
        step(cases)
        return 200, case_out(unit, cases, case_id)

    return idempotent(ctx, key, f"{case_id}|{body.model_dump_json()}".encode(), work)


@router.post("/v1/cases", status_code=201, response_model=CaseOut, responses=WRITE)
def create_case(body: CaseIn, ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """Open a case from a signal: covenant, purpose and the subjects as pseudonyms (coordinator only)."""

    def work(unit: Unit) -> tuple[int, bytes]:
        cases = CaseService(unit, ctx.service.decisions)
        case = cases.create(body.covenant, body.purpose, body.subjects)
        return 201, case_out(unit, cases, case.id)

    return idempotent(ctx, idempotency_key, body.model_dump_json().encode(), work)


@router.get(
    "/v1/cases/{case_id}", response_model=CaseOut, responses=problems.problem_responses(400, 401, 404)
)
def get_case(case_id: str, ctx: Ctx) -> Response:
    """A case's metadata, for its participating parties (anyone else: 404)."""
    body = ctx.read(lambda unit: case_out(unit, CaseService(unit, ctx.service.decisions), case_id))
    return Response(body, media_type="application/json")


@router.post("/v1/cases/{case_id}/parties", response_model=CaseOut, responses=WRITE)
def add_party(case_id: str, body: PartyIn, ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """Let a party of the covenant take part in the case (coordinator only)."""

    return _step(ctx, idempotency_key, case_id, body, lambda cases: cases.add_party(case_id, body.party))


@router.post("/v1/cases/{case_id}/transitions", response_model=CaseOut, responses=WRITE)
def transition(case_id: str, body: TransitionIn, ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """Move the case to its next phase, or close it; selection and closing need a sealed reason
    (coordinator only)."""
    reason = sealed_text(body.reason_sealed, body.reason, "reason")

    return _step(
        ctx, idempotency_key, case_id, body, lambda cases: cases.transition(case_id, body.to, reason)
    )


@router.post("/v1/cases/{case_id}/review", response_model=CaseOut, responses=WRITE)
def review(case_id: str, body: ReviewIn, ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """A jurist's review of the selection decision (role 'jurist' of a participating party), with a
    sealed note."""
    note = sealed_text(body.note_sealed, body.note, "note")
    if note is None:
        raise InvalidInputError(
            "the review needs a note: send it sealed as 'note_sealed' (exchange client seals it)"
        )

    return _step(
        ctx, idempotency_key, case_id, body, lambda cases: cases.review_selection(case_id, body.verdict, note)
    )
