"""What a party node fetches from the hub: its inbox, and signals forwarded to it by a coordinator
(sealed by the sender's client, opened by the recipient's). The use cases are in
:mod:`exchange.cases.inbox` and :mod:`exchange.cases.forwards`; specs docs/specs/inbox.md and
docs/specs/forwards.md."""

from __future__ import annotations

import base64

from fastapi import APIRouter
from fastapi.responses import Response

from exchange.api import problems
from exchange.api.context import Ctx, IdemKey, SignedRoute, require_identifier
from exchange.api.idempotency import idempotent
from exchange.api.schemas_node import (
    ForwardEnvelopeOut,
    ForwardIn,
    ForwardOut,
    ForwardRecipientOut,
    InboxActionOut,
    InboxFeedbackOut,
    InboxForwardOut,
    InboxItemOut,
    InboxOut,
    InboxRequestOut,
)
from exchange.cases.forwards import ForwardService
from exchange.cases.inbox import InboxService
from exchange.cases.unit import Unit
from exchange.crypto.keys import b64
from exchange.errors import InvalidInputError

router = APIRouter(route_class=SignedRoute)


@router.get("/v1/inbox", response_model=InboxOut, responses=problems.problem_responses(400, 401))
def inbox(ctx: Ctx) -> Response:
    """What waits for the caller's party, metadata only: open enrichment requests addressed to it,
    items and texts for it not yet read, its open action points, feedback sent to it, and signals
    forwarded to it. A read of metadata, not logged (like the other list routes)."""
    box = ctx.read(lambda unit: InboxService(unit, ctx.service.decisions).read())
    body = InboxOut(
        party=ctx.caller.party,
        at=box.now,
        enrichment_requests=[
            InboxRequestOut(
                id=r.id,
                case=r.case,
                category=r.category,
                purpose=r.purpose,
                phase=r.phase,
                covenant=r.covenant,
                requested_by=r.requested_by,
            )
            for r in box.requests
        ],
        items=[
            InboxItemOut(
                id=i.id, case=i.case, kind=i.kind, category=i.category, sender=i.sender, created=i.created
            )
            for i in box.unread
        ],
        actions=[
            InboxActionOut(id=a.id, case=a.case, kind=a.kind, deadline=a.deadline, overdue=overdue)
            for a, overdue in box.actions
        ],
        feedback=[InboxFeedbackOut(case=f.case, decided=f.decided) for f in box.feedback],
        forwards=[
            InboxForwardOut(
                id=f.id, sender=f.sender, purpose=f.purpose, covenant=f.covenant, created=f.created
            )
            for f in box.forwards
        ],
    )
    return Response(body.model_dump_json().encode(), media_type="application/json")


@router.get(
    "/v1/forwards/recipients",
    response_model=list[ForwardRecipientOut],
    responses=problems.problem_responses(400, 401, 403, 409),
)
def forward_recipients(to: str, purpose: str, covenant: str, ctx: Ctx) -> Response:
    """The keys to seal a forward to ``to`` with, once the covenant allows the caller (a coordinator)
    to forward a signal for ``purpose`` to that party."""
    for value, name in ((to, "to"), (purpose, "purpose"), (covenant, "covenant")):
        require_identifier(value, name)
    found = ctx.read(
        lambda unit: ForwardService(unit, ctx.service.decisions).recipients(to, purpose, covenant)
    )
    body = (
        b"["
        + b",".join(
            ForwardRecipientOut(party=r.party, kid=r.kid, public=b64(r.public), articles=list(r.articles))
            .model_dump_json()
            .encode()
            for r in found
        )
        + b"]"
    )
    return Response(body, media_type="application/json")


@router.post(
    "/v1/forwards",
    status_code=201,
    response_model=ForwardOut,
    responses=problems.problem_responses(400, 401, 403, 409, 413, 503),
)
def forward(body: ForwardIn, ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """Forward a sealed signal to the partner it belongs to, without a case (a coordinator, where the
    covenant has a flow from its party to that partner in phase signal). Logged as a ``forward``
    event with the envelope's digest, never its content."""
    try:
        sealed = base64.b64decode(body.envelope, validate=True)
    except ValueError:  # binascii.Error, and non-ASCII text
        raise InvalidInputError("'envelope' is not base64") from None

    def work(unit: Unit) -> tuple[int, bytes]:
        info, index = ForwardService(unit, ctx.service.decisions).send(
            body.to, body.purpose, body.covenant, sealed
        )
        out = ForwardOut(id=info.id, to=info.recipient, digest=info.digest, log_index=index)
        return 201, out.model_dump_json().encode()

    return idempotent(ctx, idempotency_key, body.model_dump_json().encode(), work)


@router.get(
    "/v1/forwards/{forward_id}",
    response_model=ForwardEnvelopeOut,
    responses=problems.problem_responses(400, 401, 403, 404, 503),
)
def open_forward(forward_id: str, ctx: Ctx) -> Response:
    """A forward sealed for the caller's party, with only its wraps; the read is logged first.
    Anyone else gets the same 404 as for an unknown id."""
    require_identifier(forward_id, "forward id")
    info, sealed = ctx.write(lambda unit: ForwardService(unit, ctx.service.decisions).open(forward_id))
    body = ForwardEnvelopeOut(
        id=info.id,
        sender=info.sender,
        purpose=info.purpose,
        covenant=info.covenant,
        envelope=base64.b64encode(sealed).decode(),
    )
    return Response(body.model_dump_json().encode(), media_type="application/json")
