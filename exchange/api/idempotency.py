"""Idempotent writes: a retry with the same ``Idempotency-Key`` gets the stored answer instead of doing
the action twice. The key and the answer are stored in the same unit of work as the action."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi.responses import Response

from exchange.api.context import RequestContext
from exchange.cases.unit import Unit
from exchange.errors import ConflictError
from exchange.storage.models import IdempotentResponse


def scoped(ctx: RequestContext, key: str) -> str:
    """The stored key: the client's key bound to its user, role and route (a digest, so it fits the
    column whatever the key's length). The party is the row's other key column."""
    c = ctx.caller
    scope = "\x00".join((c.user, c.role, ctx.operation, key)).encode()
    return "s1:" + hashlib.sha256(scope).hexdigest()


def idempotent(
    ctx: RequestContext,
    key: str | None,
    request_bytes: bytes,
    work: Callable[[Unit], tuple[int, bytes]],
) -> Response:
    """Run ``work`` once per (party, user, role, route, Idempotency-Key): a retry by the same user in
    the same role on the same route gets the stored response; the same key with a different request
    is a conflict. Another user's request with the same key is its own request, done and logged."""
    digest = hashlib.sha256(request_bytes).digest()
    party = ctx.caller.party
    if key is not None:
        key = scoped(ctx, key)

    def run(unit: Unit) -> tuple[int, bytes, bytes | None]:
        session = unit.session
        if key is not None:
            seen = session.get(IdempotentResponse, (party, key))
            if seen is not None:
                if seen.request_hash != digest:
                    raise ConflictError("this Idempotency-Key was used for a different request")
                return seen.status, seen.body, seen.receipt
        status, body = work(unit)
        # The receipt's message is stored with the answer, so a replay carries the same receipt
        # (Ed25519 signatures are deterministic: same message, same key, same bytes).
        receipt = ctx.receipt_message(unit.leaves) if unit.leaves else None
        if key is not None:
            session.add(
                IdempotentResponse(
                    party=party,
                    key=key,
                    request_hash=digest,
                    status=status,
                    body=body,
                    created=unit.now,
                    receipt=receipt,
                )
            )
        return status, body, receipt

    status, body, receipt = ctx.write(run)
    if receipt is not None and ctx.receipt is not None:
        ctx.receipt.message = receipt
    return Response(body, status_code=status, media_type="application/json")
