"""Cases: open one from a signal, read it, let parties take part, move it through its phases, and the
jurist's review of the selection decision. The use cases are in :mod:`exchange.cases.service`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from exchange.api import problems
from exchange.api.context import Ctx, IdemKey, SignedRoute
from exchange.api.idempotency import idempotent
from exchange.api.schemas import CaseIn, CaseOut, PartyIn, ReviewIn, ReviewOut, TransitionIn
from exchange.cases.service import CaseService
from exchange.cases.unit import Unit

router = APIRouter(route_class=SignedRoute)
WRITE = problems.problem_responses(400, 401, 403, 404, 409, 413, 503)


def case_out(unit: Unit, service: CaseService, case_id: str) -> bytes:
    r = service.record(case_id)
    out = CaseOut(
        id=r.case.id,
        covenant=r.case.covenant,
        purpose=r.case.purpose,
        phase=r.case.phase,
        coordinator=r.case.coordinator,
        parties=list(r.parties),
        subjects=list(r.subjects),
        selection_reason=r.case.selection_reason,
        reviews=[
            ReviewOut(party=v.party, reviewer=v.reviewer, verdict=v.verdict, note=v.note) for v in r.reviews
        ],
        closed=r.case.closed is not None,
    )
    return out.model_dump_json().encode()


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

    def work(unit: Unit) -> tuple[int, bytes]:
        cases = CaseService(unit, ctx.service.decisions)
        cases.add_party(case_id, body.party)
        return 200, case_out(unit, cases, case_id)

    return idempotent(ctx, idempotency_key, f"{case_id}|{body.model_dump_json()}".encode(), work)


@router.post("/v1/cases/{case_id}/transitions", response_model=CaseOut, responses=WRITE)
def transition(case_id: str, body: TransitionIn, ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """Move the case to its next phase, or close it; selection needs a reason (coordinator only)."""

    def work(unit: Unit) -> tuple[int, bytes]:
        cases = CaseService(unit, ctx.service.decisions)
        cases.transition(case_id, body.to, body.reason)
        return 200, case_out(unit, cases, case_id)

    return idempotent(ctx, idempotency_key, f"{case_id}|{body.model_dump_json()}".encode(), work)


@router.post("/v1/cases/{case_id}/review", response_model=CaseOut, responses=WRITE)
def review(case_id: str, body: ReviewIn, ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """A jurist's review of the selection decision (role 'jurist' of a participating party)."""

    def work(unit: Unit) -> tuple[int, bytes]:
        cases = CaseService(unit, ctx.service.decisions)
        cases.review_selection(case_id, body.verdict, body.note)
        return 200, case_out(unit, cases, case_id)

    return idempotent(ctx, idempotency_key, f"{case_id}|{body.model_dump_json()}".encode(), work)
