"""The disclosure log's hash tiles (c2sp.org/tlog-tiles) for parties that mirror and check the log:
``GET /v1/log/tile/<L>/<N>[.p/<W>]``. The use case is :mod:`exchange.cases.logtiles`; spec
docs/specs/disclosure-log.md ("Tiles").

Hash tiles only: the entry bundles of tlog-tiles (``tile/entries/...``) are not served, because events
stay at the hub (a party fetches the events it took part in with their inclusion proofs).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import Response

from exchange.api import problems

# Tiles are hashes of the tree only, the same for every party and role: any registered party in
# any role may mirror them (as the checkpoint and consistency proofs), so the covenant-role check
# of Ctx does not apply.
from exchange.api.context import AnyRoleCtx as Ctx
from exchange.api.context import SignedRoute
from exchange.cases.logtiles import LogTileService
from exchange.errors import NotFoundError

router = APIRouter(route_class=SignedRoute)
TILE_MEDIA_TYPE = "application/octet-stream"
#: A full tile never changes; the answer is for one signed caller, so caches may keep it only
#: privately. A partial tile is the right edge of a growing tree: not kept.
FULL_TILE_CACHE = "private, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "no-store"


@router.get(
    "/v1/log/tile/{path:path}",
    responses={
        200: {
            "description": "The tile's hashes, 32 bytes each, concatenated (c2sp.org/tlog-tiles)",
            "content": {TILE_MEDIA_TYPE: {}},
        },
        **problems.problem_responses(400, 401, 404),
    },
)
def tile(
    ctx: Ctx,
    path: Annotated[
        str,
        PathParam(
            description="The tile after 'tile/': '<L>/<N>[.p/<W>]', N in three-digit path elements.",
            examples=["0/x001/234", "1/000.p/17"],
        ),
    ],
) -> Response:
    """Tile ``N`` of tile level ``L``: the tree's hashes at tree level ``8·L`` (leaf hashes at level
    0), 256 for a full tile and ``W`` for a partial one. 404 for a tile the tree does not hold yet."""
    found, data = ctx.read(lambda unit: LogTileService(unit).tile("tile/" + path))
    if data is None:
        # Not a refusal, and not logged as one: every party may have every tile the tree holds.
        # A C2SP client asks only for tiles a verified checkpoint needs, and this one is not there yet.
        raise NotFoundError(f"the log's tree does not hold {found.path()} yet", code="not-found")
    cache = PARTIAL_TILE_CACHE if found.partial else FULL_TILE_CACHE
    return Response(data, media_type=TILE_MEDIA_TYPE, headers={"Cache-Control": cache})
