"""The disclosure log for parties: its keys, the latest signed checkpoint with cosignatures,
inclusion and consistency proofs, and witnesses' cosignatures. The use cases are in
:mod:`exchange.cases.logproofs`; spec docs/specs/disclosure-log.md ("The log over HTTP").

The routes' meaning is fixed by the spec, not by how the data is stored: the same checkpoint and
proofs can later be served from tiles (c2sp.org/tlog-tiles) without changing what they answer.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from exchange.api import problems

# The log's routes serve hashes, signed checkpoints and a party's own events: any registered party
# in any role may check the log (a witness signs as role 'witness'), so they skip the covenant-role
# check of Ctx. Which events a party may prove is decided per event.
from exchange.api.context import AnyRoleCtx as Ctx
from exchange.api.context import SignedRoute
from exchange.api.schemas_log import (
    CheckpointKeyOut,
    ConsistencyOut,
    CosignatureIn,
    CosignedOut,
    InclusionOut,
    LogKeysOut,
    ReceiptKeyOut,
)
from exchange.audit.checkpoint import SIG_ED25519
from exchange.audit.receipt import key_id as receipt_key_id
from exchange.cases.logproofs import LogProofService

router = APIRouter(route_class=SignedRoute)
NOTE_MEDIA_TYPE = "text/plain; charset=utf-8"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@router.get("/v1/log/keys", response_model=LogKeysOut, responses=problems.problem_responses(400, 401))
def keys(ctx: Ctx) -> LogKeysOut:
    """The log's public keys: the checkpoint key (when configured) and the receipt key."""
    service = ctx.service
    cp = service.checkpoint_key
    checkpoint = None
    if cp is not None:
        vkey = f"{cp.name}+{cp.key_id.hex()}+{_b64(bytes([SIG_ED25519]) + cp.public)}"
        checkpoint = CheckpointKeyOut(name=cp.name, public=_b64(cp.public), verifier=vkey)
    public = service.receipt_signer.public
    receipt = ReceiptKeyOut(public=_b64(public), key_id=receipt_key_id(public).hex())
    return LogKeysOut(origin=service.log.origin, checkpoint=checkpoint, receipt=receipt)


@router.get(
    "/v1/log/checkpoint",
    responses={
        200: {"description": "The signed note (c2sp.org/tlog-checkpoint)", "content": {"text/plain": {}}},
        **problems.problem_responses(400, 401, 404),
    },
)
def checkpoint(ctx: Ctx) -> Response:
    """The newest signed checkpoint as a signed note, followed by every witness's cosignature on it."""
    size, note = ctx.read(lambda unit: LogProofService(unit).checkpoint())
    return Response(
        note.encode("utf-8"), media_type=NOTE_MEDIA_TYPE, headers={"Exchange-Log-Size": str(size)}
    )


@router.get(
    "/v1/log/proofs/inclusion",
    response_model=InclusionOut,
    responses=problems.problem_responses(400, 401, 404),
)
def inclusion(
    ctx: Ctx,
    index: Annotated[int, Query(ge=0, le=2**62, description="The entry's log index.")],
    size: Annotated[
        int | None, Query(ge=1, le=2**62, description="Tree size (default: the newest checkpoint's).")
    ] = None,
) -> InclusionOut:
    """The audit path of one entry the caller's party took part in (actor, counterparty, or a party
    of the entry's case), with the event's bytes. Any other entry answers 404, and is logged."""
    found = ctx.read(lambda unit: LogProofService(unit).inclusion(index, size))
    return InclusionOut(
        index=found.index,
        size=found.size,
        leaf_hash=_b64(found.leaf_hash),
        proof=[_b64(p) for p in found.proof],
        event=found.event.decode("utf-8"),
    )


@router.get(
    "/v1/log/proofs/consistency",
    response_model=ConsistencyOut,
    responses=problems.problem_responses(400, 401, 404),
)
def consistency(
    ctx: Ctx,
    from_size: Annotated[int, Query(alias="from", ge=0, le=2**62, description="The older tree size.")],
    to_size: Annotated[int, Query(alias="to", ge=0, le=2**62, description="The newer tree size.")],
) -> Response:
    """The RFC 9162 proof that the tree of ``to`` entries extends the tree of ``from`` entries."""
    proof = ctx.read(lambda unit: LogProofService(unit).consistency(from_size, to_size))
    body = ConsistencyOut(from_size=from_size, to_size=to_size, proof=[_b64(p) for p in proof])
    return Response(body.model_dump_json(by_alias=True).encode(), media_type="application/json")


@router.post(
    "/v1/log/witness",
    response_model=CosignedOut,
    responses=problems.problem_responses(400, 401, 403, 404, 409, 413, 503),
)
def witness(body: CosignatureIn, ctx: Ctx) -> CosignedOut:
    """A witness's cosignature (c2sp.org/tlog-cosignature) on the stored checkpoint of ``size``,
    made after the witness verified it extends the last checkpoint it cosigned. The hub verifies
    it with the witness's registered key and shows it on ``GET /v1/log/checkpoint``."""
    done = ctx.write(
        lambda unit: LogProofService(unit).cosign(body.name, body.old, body.size, body.cosignature)
    )
    return CosignedOut(witness=done.witness, size=done.size, already=done.already)
