"""Oversight for a party's privacy officers: the anomaly flags about the party's own users, and
acknowledging one with a note. The use cases are in :mod:`exchange.cases.oversight`."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import Response

from exchange.api import problems
from exchange.api.context import Ctx, IdemKey, SignedRoute
from exchange.api.idempotency import idempotent
from exchange.api.schemas import AcknowledgedOut, AcknowledgementIn, AnomalyOut
from exchange.cases.oversight import FlagView, OversightService
from exchange.cases.unit import Unit

router = APIRouter(route_class=SignedRoute)


def anomaly_out(v: FlagView) -> AnomalyOut:
    f, ack = v.flag, v.acknowledged
    return AnomalyOut(
        id=f.id,
        kind=str(f.kind),
        party=f.party,
        user=f.user,
        start=f.start,
        end=f.end,
        first_index=f.first_index,
        last_index=f.last_index,
        requests=f.requests,
        subjects=f.subjects,
        events=f.events,
        detail=f.detail,
        acknowledged=None
        if ack is None
        else AcknowledgedOut(user=ack.user, at=ack.acknowledged, note=ack.note, log_index=ack.log_index),
    )


@router.get(
    "/v1/anomalies",
    response_model=list[AnomalyOut],
    responses=problems.problem_responses(400, 401, 403, 503),
)
def anomalies(ctx: Ctx, since: datetime | None = None) -> Response:
    """The anomaly flags about the caller's party's users, acknowledged ones with who, when and the
    note (privacy officer). Seeing them is logged as a view of the log."""
    limits = ctx.service.anomaly_thresholds
    # The scan runs on a reader; only the view's event goes through the writer, and the flags are
    # shown only once it is durable.
    found = ctx.read(lambda unit: OversightService(unit, limits).flags(since))
    ctx.write(lambda unit: OversightService(unit, limits).viewed(len(found)))
    body = b"[" + b",".join(anomaly_out(v).model_dump_json().encode() for v in found) + b"]"
    return Response(body, media_type="application/json")


@router.post(
    "/v1/anomalies/{flag_id}/acknowledgement",
    status_code=201,
    response_model=AnomalyOut,
    responses=problems.problem_responses(400, 401, 403, 404, 409, 413, 503),
)
def acknowledge(flag_id: str, body: AcknowledgementIn, ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """Acknowledge one of the party's flags with a note (privacy officer). The log records the flag
    id and a reason code; the note stays in the acknowledgement. Another party's flag answers 404."""

    limits = ctx.service.anomaly_thresholds
    flag = ctx.read(lambda unit: OversightService(unit, limits).find(flag_id))  # the scan, on a reader

    def work(unit: Unit) -> tuple[int, bytes]:
        v = OversightService(unit, limits).acknowledge(flag, body.note)
        return 201, anomaly_out(v).model_dump_json().encode()

    return idempotent(ctx, idempotency_key, f"{flag_id}|{body.model_dump_json()}".encode(), work)
