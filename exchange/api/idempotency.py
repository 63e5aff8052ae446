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


def idempotent(
    ctx: RequestContext,
    key: str | None,
    request_bytes: bytes,
    work: Callable[[Unit], tuple[int, bytes]],
) -> Response:
    """Run ``work`` once per (party, Idempotency-Key): a retry gets the stored response; the same
    key with a different request is a conflict."""
    digest = hashlib.sha256(request_bytes).digest()
    party = ctx.caller.party

    def run(unit: Unit) -> tuple[int, bytes]:
        session = unit.session
        if key is not None:
            seen = session.get(IdempotentResponse, (party, key))
            if seen is not None:
                if seen.request_hash != digest:
                    raise ConflictError("this Idempotency-Key was used for a different request")
                return seen.status, seen.body
        status, body = work(unit)
        if key is not None:
            session.add(
                IdempotentResponse(
                    party=party,
                    key=key,
                    request_hash=digest,
                    status=status,
                    body=body,
                    created=unit.now,
                )
            )
        return status, body

    status, body = ctx.write(run)
    return Response(body, status_code=status, media_type="application/json")
