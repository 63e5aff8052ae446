"""The per-request context every route depends on: the verified caller, one trace id and one moment
for the whole request, and the unit of work it binds use cases to.

A route declares ``ctx: Ctx`` and gets a :class:`RequestContext`; ``ctx.write(...)`` runs a unit on
the group-commit writer (the action and its log events commit together), ``ctx.read(...)`` runs one
on a reader session (deferred on SQLite, ``READ ONLY`` on PostgreSQL).

Every router builds its routes as :class:`SignedRoute`: a route that needs the caller verifies the
signature over the target as sent (RFC 9421 section 2.2.2) before FastAPI parses the body, then
refuses input no route can take (not UTF-8, a NUL character) in one place for all routes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, unquote_to_bytes

from fastapi import Depends, Header, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from exchange.api.auth import Claim, SignedMessage
from exchange.api.receipts import SLOT, ReceiptSlot
from exchange.api.refusals import REFUSALS
from exchange.api.wiring import Service
from exchange.audit.events import new_trace
from exchange.audit.receipt import receipt_for
from exchange.cases.rules import role_refusal
from exchange.cases.unit import Unit
from exchange.errors import ExchangeError, InvalidInputError
from exchange.protocol import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY
from exchange.vocabulary import Caller

T = TypeVar("T")


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


#: Where a request's verified caller, and its nonce until recorded, are kept (the ASGI scope is
#: per request).
_CALLER = "exchange.caller"
_CLAIM = "exchange.claim"


async def authenticated_caller(request: Request) -> Caller:
    """FastAPI dependency: the verified party, user and role of a signed request.

    A :class:`SignedRoute` has already authenticated the request before FastAPI read its body; this
    returns that caller. A route of another class is authenticated here, and its nonce is recorded
    at once, since no :class:`SignedRoute` will record it with the request's write or answer.
    """
    caller: Caller | None = request.scope.get(_CALLER)
    if caller is None:
        caller = await _authenticate(request)
        await run_in_threadpool(service_of(request).auth.settle, request.scope[_CLAIM])
    return caller


async def _authenticate(request: Request) -> Caller:
    """Verify the signature, then refuse input no route can take (not UTF-8, a NUL character)."""
    body = await request.body()
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]]
    message = SignedMessage(request.method, target_uri(request), headers)
    # Verification may read a key from the database: blocking work, so it runs in the thread pool.
    caller, claim = await run_in_threadpool(service_of(request).auth.authenticate, message, body)
    return accept(request, caller, claim, body)


def accept(request: Request, caller: Caller, claim: Claim, body: bytes) -> Caller:
    """Keep a verified caller and its unrecorded nonce for the request, once its input is usable."""
    _require_utf8(body)
    _refuse_nul(request.scope, body)
    request.scope[_CALLER] = caller
    request.scope[_CLAIM] = claim
    return caller


def claim_of(request: Request) -> Claim | None:
    """The request's nonce as verified, recorded or not yet."""
    claim: Claim | None = request.scope.get(_CLAIM)
    return claim


async def settle(request: Request, response: Response) -> Response:
    """Record the nonce of a request that wrote nothing, before its answer is released: a replay of
    it is refused, and so is a request whose key this worker now learns was retired (ADR 0022). An
    answer of 400 or more changed nothing and records nothing."""
    claim = claim_of(request)
    if claim is not None and not claim.recorded and response.status_code < 400:
        await run_in_threadpool(service_of(request).auth.settle, claim)
    return response


def target_uri(request: Request) -> str:
    """``@target-uri`` as RFC 9421 section 2.2.2 defines it: scheme, authority, and the path and
    query *as the client sent them*. Starlette's ``request.url`` rebuilds the path from its
    percent-decoded form, so a client that signed ``case%2D1`` would be checked against ``case-1``
    and refused; the ASGI scope keeps the raw bytes (``raw_path``, ``query_string``)."""
    scope = request.scope
    raw = scope.get("raw_path") or quote(scope["path"]).encode("ascii")
    query: bytes = scope.get("query_string", b"")
    target = f"{request.url.scheme}://{request.url.netloc}{raw.decode('latin-1')}"
    return f"{target}?{query.decode('latin-1')}" if query else target


def _require_utf8(body: bytes) -> None:
    """JSON between systems is UTF-8 without a byte-order mark (RFC 8259 section 8.1); Python's
    parser would also take UTF-16 and a BOM, so the text a party signed and the text we log could
    be read differently by another tool."""
    if body.startswith(b"\xef\xbb\xbf"):
        raise InvalidInputError("the body starts with a byte-order mark; send UTF-8 JSON without one")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError("the body is not UTF-8; send UTF-8 JSON (RFC 8259)") from None


def _refuse_nul(scope: Scope, body: bytes) -> None:
    """Refuse U+0000 (NUL) in the path, the query or any string of the JSON body, member names
    included. PostgreSQL text cannot hold it: the write would fail as if the log were down (503,
    and the log-outage metric any party could then raise at will). No field needs it, so it is bad
    input on every database. Checked once here, for every signed route, before a route runs."""
    if "\x00" in scope["path"]:
        raise InvalidInputError(f"the path contains {_NUL}")
    if b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
        raise InvalidInputError(f"the query contains {_NUL}")
    # JSON can only carry a NUL escaped (RFC 8259 section 7); without that escape the body has none,
    # and the common case costs one scan of the bytes instead of a walk of the document.
    if b"\\u0000" not in body:
        return
    try:
        document = json.loads(body)
    except ValueError:  # RecursionError included: the route's own parser answers malformed JSON
        return
    where = _nul_in(document)
    if where is not None:
        raise InvalidInputError(f"{where} contains {_NUL}")


_NUL = "U+0000 (NUL), which no field can hold; remove it"


def _nul_in(document: object) -> str | None:
    """Where the first string holding NUL is in a JSON document ('reason', 'subjects[0]'), if any.
    Iterative, so a deeply nested document cannot exhaust the stack."""
    stack: list[tuple[str, object]] = [("", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return f"'{where}'" if where else "the body"
        if isinstance(value, list):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(value))))
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                name = f"{where}.{key}" if where else str(key)
                if "\x00" in key:
                    return "the member name '" + name.replace("\x00", "\\u0000") + "'"
                stack.append((name, item))
    return None


class SignedRoute(APIRoute):
    """A route of the party API. FastAPI reads and parses a route's JSON body before it runs any
    dependency, so malformed JSON would be answered (400) before the signature is checked, telling an
    unsigned client how its body was read. A route that depends on :func:`authenticated_caller`
    therefore authenticates first, then lets FastAPI parse and validate. Unsigned routes (probes,
    metrics) are left as they are."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not _depends_on(self.dependant, authenticated_caller):
            return handler

        async def signed(request: Request) -> Response:
            await _authenticate(request)
            return await settle(request, await handler(request))

        return signed


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


@dataclass(frozen=True, slots=True)
class RequestContext:
    """One signed request: who, under which trace, at which moment, on which service."""

    service: Service
    caller: Caller
    trace: str
    now: datetime
    #: The route's name and the case it is about, for the record of a refusal.
    operation: str = "unknown"
    case: str | None = None
    #: Where the receipt of the events this request logged goes (signed as the response starts).
    receipt: ReceiptSlot | None = None
    #: The request's nonce: its first write records it in the same transaction (ADR 0022).
    claim: Claim | None = None

    def unit(self, session: Session) -> Unit:
        """Bind a unit of work to ``session`` for this request."""
        return Unit(session, self.caller, self.trace, self.now, self.service.log)

    def write(self, work: Callable[[Unit], T]) -> T:
        """Run ``work`` on the group-commit writer and return its result once it is durable. A
        refusal is recorded in the log on its own (:mod:`exchange.api.refusals`) and raised.

        The events the unit appended get the response's receipt. A request writes once; the
        group committer may run a unit again (a batch rerun), so the last run's events count."""
        leaves: list[tuple[int, bytes]] = []
        claim = self.claim if self.claim is not None and not self.claim.recorded else None

        def run(session: Session) -> T:
            if claim is not None:  # the nonce, with the action: a replay changes nothing
                self.service.auth.record(claim, session)
            unit = self.unit(session)
            result = work(unit)
            leaves[:] = unit.leaves
            return result

        try:
            result = self.service.writer.run(run)
        except REFUSALS as exc:
            self.refused(exc)
            raise
        if claim is not None:
            claim.recorded = True
        if leaves and self.receipt is not None:
            self.receipt.message = self.receipt_message(leaves)
        return result

    def receipt_message(self, leaves: list[tuple[int, bytes]]) -> bytes:
        """The signed bytes of the receipt for ``leaves``, stamped with the request's moment."""
        return receipt_for(self.service.log.origin, leaves, self.now).message()

    def read(self, work: Callable[[Unit], T]) -> T:
        """Run ``work`` in a read-only transaction; a refusal is recorded as for :meth:`write`."""
        try:
            with self.service.readers.begin() as session:
                return work(self.unit(session))
        except REFUSALS as exc:
            self.refused(exc)
            raise

    def refused(self, exc: ExchangeError) -> None:
        """Record that this request was refused (for checks made outside a unit of work), with the
        request's nonce if no write recorded it yet. A replay is not recorded as a refusal: it is
        refused as a replay (:class:`~exchange.api.auth.NotAuthenticated`)."""
        self.service.refusals.record(self.caller, exc, self.now, self.operation, self.case, self.claim)


Authed = Annotated[Caller, Depends(authenticated_caller)]


def any_role_context(request: Request, caller: Authed) -> RequestContext:
    """FastAPI dependency: the request's context, whatever role the caller asserts. Only for routes
    whose answer itself says what the role may not do (a covenant decision denies ``role-not-held``)."""
    operation = getattr(request.scope.get("route"), "name", None) or "unknown"
    case = request.path_params.get("case_id")
    slot = request.scope.get(SLOT)
    service = service_of(request)
    service.policies.refresh()
    now = datetime.now(UTC)
    return RequestContext(service, caller, new_trace(), now, operation, case, slot, claim_of(request))


def request_context(request: Request, caller: Authed) -> RequestContext:
    """FastAPI dependency: the request's context, made once per request. A caller acting in a role
    that no covenant in force lets its party hold is refused here, for every route, and the refusal
    is logged: a party outside every covenant, or a police employee asserting 'coordinator', reads
    nothing and writes nothing."""
    ctx = any_role_context(request, caller)
    refusal = role_refusal(ctx.service.decisions, caller.party, caller.role, ctx.now)
    if refusal is not None:
        ctx.refused(refusal)
        raise refusal
    return ctx


# Module level on purpose: FastAPI resolves these annotations by name in the routers' globals.
Ctx = Annotated[RequestContext, Depends(request_context)]
AnyRoleCtx = Annotated[RequestContext, Depends(any_role_context)]
IdemKey = Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER, pattern=IDEMPOTENCY_KEY)]

_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")


def require_identifier(value: str, what: str) -> str:
    """A path or query parameter that names something (a category, a party) must be an identifier."""
    if not _IDENT.match(value):
        raise InvalidInputError(f"the {what} must be an identifier")
    return value
