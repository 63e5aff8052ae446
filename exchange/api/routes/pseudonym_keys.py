"""Covenant pseudonym keys, sealed: the custodian uploads a copy per party, sees who lacks one, and
each party fetches its own. The use cases are in :mod:`exchange.cases.pseudonym_keys`; the format is
docs/specs/pseudonym-keys.md."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from exchange.api import problems
from exchange.api.context import Ctx, SignedRoute, require_identifier
from exchange.api.key_schemas import (
    CopyOut,
    DistributionIn,
    DistributionOut,
    KeyVersionOut,
    MyCopiesOut,
    PartyKeyStatusOut,
    PendingOut,
    SigningKeyOut,
)
from exchange.cases.pseudonym_keys import CopyUpload, PseudonymKeyService
from exchange.clock import as_utc
from exchange.crypto.keys import b64
from exchange.errors import InvalidInputError
from exchange.storage.pseudonym_keys import KeyVersionInfo

router = APIRouter(route_class=SignedRoute)
#: A key version as the copy format and the database hold it (a signed 32-bit integer, from 1).
Version = Annotated[int, Path(ge=1, le=2**31 - 1, description="The key version.", examples=[2])]
_BASE = "/v1/covenants/{covenant}/pseudonym-keys"


def _versions(versions: tuple[KeyVersionInfo, ...]) -> list[KeyVersionOut]:
    return [KeyVersionOut(version=v.version, accepted_until=v.accepted_until) for v in versions]


def _decoded(sealed: str, party: str) -> bytes:
    try:
        return base64.b64decode(sealed, validate=True)
    except ValueError:
        raise InvalidInputError(f"the copy for '{party}' is not base64") from None


@router.put(
    _BASE + "/{version}",
    response_model=DistributionOut,
    responses=problems.problem_responses(400, 401, 403, 409, 413, 503),
)
def distribute(covenant: str, version: Version, body: DistributionIn, ctx: Ctx) -> Response:
    """Store the custodian's sealed copies of a pseudonym key version (the custodian's coordinator or
    privacy officer only); a new version sets until when the previous one stays accepted."""
    require_identifier(covenant, "covenant")
    copies = [CopyUpload(x.party, x.kid, _decoded(x.sealed, x.party)) for x in body.copies]
    until = as_utc(body.previous_accepted_until) if body.previous_accepted_until is not None else None
    stored = ctx.write(
        lambda unit: PseudonymKeyService(unit, ctx.service.decisions).distribute(
            covenant, version, copies, until
        )
    )
    out = DistributionOut(covenant=covenant, version=version, stored=stored)
    return Response(out.model_dump_json().encode(), media_type="application/json")


@router.get(
    _BASE + "/pending", response_model=PendingOut, responses=problems.problem_responses(400, 401, 403, 503)
)
def pending(covenant: str, ctx: Ctx) -> Response:
    """For the custodian: every party of the covenant with its current sealing key, and the accepted
    versions it lacks a copy of for that key."""
    require_identifier(covenant, "covenant")
    p = ctx.write(lambda unit: PseudonymKeyService(unit, ctx.service.decisions).pending(covenant))
    out = PendingOut(
        covenant=p.covenant,
        custodian=p.custodian,
        versions=_versions(p.versions),
        parties=[
            PartyKeyStatusOut(party=s.party, kid=s.kid, public=b64(s.public), missing=list(s.missing))
            for s in p.parties
        ],
        unregistered=list(p.unregistered),
    )
    return Response(out.model_dump_json().encode(), media_type="application/json")


@router.get(_BASE, response_model=MyCopiesOut, responses=problems.problem_responses(400, 401, 403, 503))
def my_copies(covenant: str, ctx: Ctx) -> Response:
    """For a party of the covenant: its own sealed copies of the versions accepted now, with the
    custodian's signing keys as registered. The fetch is logged."""
    require_identifier(covenant, "covenant")
    m = ctx.write(lambda unit: PseudonymKeyService(unit, ctx.service.decisions).mine(covenant))
    until = {v.version: v.accepted_until for v in m.versions}
    out = MyCopiesOut(
        covenant=m.covenant,
        custodian=m.custodian,
        custodian_keys=[SigningKeyOut(kid=k, public=b64(pub), status=s) for k, pub, s in m.custodian_keys],
        versions=_versions(m.versions),
        copies=[
            CopyOut(
                version=x.version,
                kid=x.kid,
                accepted_until=until.get(x.version),
                sealed=base64.b64encode(x.sealed).decode("ascii"),
            )
            for x in m.copies
        ],
    )
    return Response(out.model_dump_json().encode(), media_type="application/json")
