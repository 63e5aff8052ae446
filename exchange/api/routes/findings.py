"""Findings: what each participating party found at a case's action, as counts per category and
violation code of the covenant. The use cases are in :mod:`exchange.cases.findings`."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from exchange.api import problems
from exchange.api.context import Ctx, IdemKey, SignedRoute
from exchange.api.idempotency import idempotent
from exchange.cases.findings import MAX_COUNT, FindingService, FindingView
from exchange.cases.unit import Unit

router = APIRouter(route_class=SignedRoute)
WRITE = problems.problem_responses(400, 401, 403, 404, 409, 413, 503)
_IDENT = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"


class FindingIn(BaseModel):
    """One count: how many violations of one code were found in one category."""

    model_config = ConfigDict(extra="forbid")
    category: str = Field(
        pattern=_IDENT,
        description="A data category of the case's covenant version.",
        examples=["uitkering-status"],
    )
    code: str = Field(
        pattern=_IDENT,
        description="A violation code the covenant version declares under 'violations'.",
        examples=["onrechtmatige-uitkering"],
    )
    count: int = Field(
        ge=1,
        le=MAX_COUNT,
        strict=True,
        description="How many were found: a whole number from 1; never names, addresses or text.",
        examples=[2],
    )


class FindingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    findings: list[FindingIn] = Field(
        max_length=200,
        description="All of the calling party's findings for the case; they replace its earlier ones "
        "(an empty list withdraws them).",
        examples=[[{"category": "uitkering-status", "code": "onrechtmatige-uitkering", "count": 2}]],
    )


class FindingOut(BaseModel):
    party: str = Field(description="The party that registered the finding.", examples=["senzer"])
    category: str = Field(description="The data category.", examples=["uitkering-status"])
    code: str = Field(description="The violation code.", examples=["onrechtmatige-uitkering"])
    count: int = Field(description="How many were found.", examples=[2])
    registered: datetime = Field(
        description="When the party registered it.", examples=["2026-11-30T10:00:00Z"]
    )


class FindingsOut(BaseModel):
    findings: list[FindingOut] = Field(
        description="By party, category and code.",
        examples=[
            [
                {
                    "party": "senzer",
                    "category": "uitkering-status",
                    "code": "onrechtmatige-uitkering",
                    "count": 2,
                    "registered": "2026-11-30T10:00:00Z",
                }
            ]
        ],
    )


def findings_out(found: list[FindingView]) -> bytes:
    return (
        FindingsOut(
            findings=[
                FindingOut(
                    party=f.party, category=f.category, code=f.code, count=f.count, registered=f.registered
                )
                for f in found
            ]
        )
        .model_dump_json()
        .encode()
    )


@router.post("/v1/cases/{case_id}/findings", response_model=FindingsOut, responses=WRITE)
def register_findings(case_id: str, body: FindingsIn, ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """Register the calling party's findings for a case after its action (an employee or the
    coordinator of a participating party); they replace the party's earlier findings. Answered
    with the party's findings as they now stand."""

    def work(unit: Unit) -> tuple[int, bytes]:
        rows = [(f.category, f.code, f.count) for f in body.findings]
        return 200, findings_out(FindingService(unit, ctx.service.decisions).register(case_id, rows))

    return idempotent(ctx, idempotency_key, f"{case_id}|{body.model_dump_json()}".encode(), work)


@router.get(
    "/v1/cases/{case_id}/findings",
    response_model=FindingsOut,
    responses=problems.problem_responses(400, 401, 404),
)
def list_findings(case_id: str, ctx: Ctx) -> Response:
    """Every party's findings for the case, for its participating parties (anyone else: 404)."""
    found = ctx.read(lambda unit: FindingService(unit, ctx.service.decisions).of_case(case_id))
    return Response(findings_out(found), media_type="application/json")
