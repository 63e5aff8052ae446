"""Joining a covenant: a new party asks (signed with the key it presents), the covenant's key
custodian decides here, the hub's operator with ``exchange admin approve-join``/``reject-join``.
The use cases are in :mod:`exchange.cases.joins`.

``POST /v1/joins`` is the one route signed with a key the hub does not know: the signature must
verify under the current Ed25519 key in the body (proof of possession). Everything else about the
signature is as for every route (RFC 9421 profile, age, nonce, replay). Such requests cost an
outsider nothing, so they are limited per network address (per process) before the signature is
checked, and per covenant and per hour in the database.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from exchange.api import problems
from exchange.api.auth import NotAuthenticated, PresentedKey, SignedMessage
from exchange.api.context import (
    Ctx,
    RequestContext,
    SignedRoute,
    _depends_on,
    accept,
    claim_of,
    require_identifier,
    service_of,
    settle,
    target_uri,
)
from exchange.api.schemas_keys import ApprovalIn, JoinIn, JoinOut, JoinsOut
from exchange.api.wiring import Service
from exchange.audit.events import new_trace
from exchange.cases.joins import JoinLimits, JoinService
from exchange.crypto.keys import key_id, unb64
from exchange.errors import InvalidInputError, RateLimited
from exchange.storage.joins import Join
from exchange.vocabulary import Caller

_CALLER = "exchange.join-caller"
_NOT_PRESENTED = (
    "the request signature is not valid: a join is signed with the current Ed25519 key of the "
    "'keys' in its body, and the body presents none"
)


class SourceWindow:
    """At most ``limit`` join attempts per source address in any hour, in this process."""

    def __init__(
        self, limit: int, window: float = 3600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, source: str) -> None:
        now = self.clock()
        with self._lock:
            for key in [k for k, q in self._seen.items() if q and q[-1] <= now - self.window]:
                del self._seen[key]  # forget sources quiet for a whole window
            seen = self._seen.setdefault(source, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                wait = int(seen[0] + self.window - now) + 1
                raise RateLimited(
                    f"too many join requests from your address; try again in {wait} seconds",
                    retry_after=wait,
                    code="joins-per-source",
                )
            seen.append(now)


def _sources(request: Request, service: Service) -> SourceWindow:
    window: SourceWindow | None = getattr(request.app.state, "join_sources", None)
    if window is None:
        window = SourceWindow(service.settings.joins_per_source_per_hour)
        request.app.state.join_sources = window
    return window


def presented_key(body: bytes) -> PresentedKey:
    """The party and current Ed25519 key a join's body presents; its key id is computed here, never
    taken from the body."""
    try:
        data = json.loads(body)
        current = [v for v in data["keys"] if isinstance(v, dict) and v.get("status") == "current"]
        party = data["party"]
        public = unb64(current[0]["ed25519"]["public"], "key") if len(current) == 1 else b""
    except (ValueError, KeyError, TypeError, IndexError, RecursionError, InvalidInputError):
        raise NotAuthenticated(_NOT_PRESENTED) from None
    if not isinstance(party, str) or len(public) != 32:
        raise NotAuthenticated(_NOT_PRESENTED)
    return PresentedKey(party, key_id("ed25519", public), public)


async def _authenticate_presented(request: Request) -> Caller:
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]]
    if not {k.lower() for k, _ in headers} >= {"signature", "signature-input"}:
        raise NotAuthenticated("the request is not signed (RFC 9421 Signature and Signature-Input)")
    service = service_of(request)
    client = request.client
    _sources(request, service).admit(client.host if client is not None else "unknown")
    body = await request.body()
    presented = presented_key(body)
    message = SignedMessage(request.method, target_uri(request), headers)
    caller, claim = await run_in_threadpool(service.auth.authenticate, message, body, presented)
    accept(request, caller, claim, body)
    request.scope[_CALLER] = caller
    return caller


async def presented_caller(request: Request) -> Caller:
    """FastAPI dependency: the party of a join, authenticated by the key it presents."""
    caller: Caller | None = request.scope.get(_CALLER)
    if caller is None:  # pragma: no cover - JoinRoute authenticates before the handler runs
        caller = await _authenticate_presented(request)
        claim = claim_of(request)
        if claim is not None:
            await run_in_threadpool(service_of(request).auth.settle, claim)
    return caller


class JoinRoute(SignedRoute):
    """A :class:`SignedRoute` that also authenticates a join by its presented key before FastAPI
    parses the body, so an unsigned join learns nothing about how its body was read."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not _depends_on(self.dependant, presented_caller):
            return handler

        async def signed(request: Request) -> Response:
            await _authenticate_presented(request)
            return await settle(request, await handler(request))

        return signed


router = APIRouter(route_class=JoinRoute)
Presented = Annotated[Caller, Depends(presented_caller)]


def _out(j: Join) -> JoinOut:
    return JoinOut(
        id=j.id,
        party=j.party,
        name=j.name,
        covenant=j.covenant,
        signing_key=j.kid,
        status=j.status,
        requested=j.requested,
        operator=j.operator,
        custodian=j.custodian,
    )


def _limits(service: Service) -> JoinLimits:
    s = service.settings
    return JoinLimits(s.join_pending_per_covenant, s.joins_per_hour)


@router.post(
    "/v1/joins",
    status_code=201,
    response_model=JoinOut,
    responses=problems.problem_responses(400, 401, 403, 404, 409, 429),
)
def request_join(body: JoinIn, caller: Presented, request: Request) -> Response:
    """A new party asks to join a covenant that lists it, signed with the current signing key in
    ``keys`` (proof of possession; the one route signed with a key the hub does not know yet). It
    takes effect only when both the hub's operator and the covenant's key custodian approve."""
    service = service_of(request)
    now = datetime.now(UTC)
    ctx = RequestContext(service, caller, new_trace(), now, "request_join", claim=claim_of(request))
    keys = [v.model_dump() for v in body.keys]
    join = ctx.write(
        lambda unit: JoinService(unit, service.decisions, _limits(service)).request(
            body.name, body.covenant, keys
        )
    )
    return Response(_out(join).model_dump_json().encode(), status_code=201, media_type="application/json")


@router.get("/v1/joins", response_model=JoinsOut, responses=problems.problem_responses(400, 401, 403))
def pending_joins(ctx: Ctx) -> Response:
    """The pending joins of the covenants whose key custodian the caller's party is (its privacy
    officer or coordinator); none for any other party."""
    found = ctx.read(lambda unit: JoinService(unit, ctx.service.decisions).pending_for_custodian())
    return Response(
        JoinsOut(joins=[_out(j) for j in found]).model_dump_json().encode(), media_type="application/json"
    )


@router.post(
    "/v1/joins/{join_id}/approval",
    response_model=JoinOut,
    responses=problems.problem_responses(400, 401, 403, 404, 409, 503),
)
def decide_join(join_id: str, body: ApprovalIn, ctx: Ctx) -> Response:
    """The covenant's key custodian (its privacy officer or coordinator) approves or rejects a join.
    Another party gets 404, as for a join that does not exist. Logged either way."""
    require_identifier(join_id, "join id")
    join = ctx.write(
        lambda unit: JoinService(unit, ctx.service.decisions).decide_as_custodian(join_id, body.approve)
    )
    return Response(_out(join).model_dump_json().encode(), media_type="application/json")
