"""The key directory and a party's own key rotation. The use cases are in :mod:`exchange.cases.keys`.

``GET /v1/keys`` serves the public keys of the parties in the caller's covenants, so a recipient
checks a provider's signature without a hand-made file; ``POST /v1/keys`` registers the caller's
own rotated keys, signed with its current key (see docs/threat-model.md on trusting the directory).
"""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import Response

from exchange.api import problems
from exchange.api.context import Ctx, IdemKey, SignedRoute, require_identifier
from exchange.api.idempotency import idempotent
from exchange.api.schemas_keys import DirectoryOut, KeyOut, KeyVersionIn, PublishedOut
from exchange.cases.keys import KeyService
from exchange.cases.unit import Unit
from exchange.crypto.keys import b64

router = APIRouter(route_class=SignedRoute)


@router.get("/v1/keys", response_model=DirectoryOut, responses=problems.problem_responses(400, 401))
def directory(ctx: Ctx, party: str | None = None) -> Response:
    """The registered public keys (signing and sealing, every version and status) of every party in
    the covenant versions in force that name the caller; of one of them with ``?party=``. A party
    outside the caller's covenants is not listed (and answers like one without keys)."""
    if party is not None:
        require_identifier(party, "party")
    found = ctx.read(lambda unit: KeyService(unit, ctx.service.decisions).directory(party))
    body = DirectoryOut(
        keys=[
            KeyOut(
                party=k.party,
                kid=k.kid,
                algorithm=k.algorithm,
                version=k.version,
                status=k.status,
                public=b64(k.public),
                registered=k.registered,
                retired_at=k.retired_at,
            )
            for k in found
        ]
    )
    return Response(body.model_dump_json().encode(), media_type="application/json")


@router.post(
    "/v1/keys", response_model=PublishedOut, responses=problems.problem_responses(400, 401, 409, 413, 503)
)
def publish(body: list[KeyVersionIn], ctx: Ctx, idempotency_key: IdemKey = None) -> Response:
    """Register the caller's own keys after ``exchange keys rotate``: the whole output of
    ``exchange keys export-public``, for the caller's party only. The new version becomes current and
    the previous one retired on the hub's clock; a retired key never becomes current again. Logged as
    a ``key-registration`` event."""
    data = [v.model_dump() for v in body]

    def work(unit: Unit) -> tuple[int, bytes]:
        added = KeyService(unit, ctx.service.decisions).publish(data)
        return 200, PublishedOut(party=unit.caller.party, added=added).model_dump_json().encode()

    return idempotent(ctx, idempotency_key, json.dumps(data, sort_keys=True).encode(), work)
