"""The per-request context every route depends on: the verified caller, one trace id and one moment
for the whole request, and the unit of work it binds use cases to.

A route declares ``ctx: Ctx`` and gets a :class:`RequestContext`; ``ctx.write(...)`` runs a unit on
the group-commit writer (the action and its log events commit together), ``ctx.read(...)`` runs one
on a reader session (deferred on SQLite, ``READ ONLY`` on PostgreSQL).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from exchange.api.auth import SignedMessage
from exchange.api.refusals import REFUSALS
from exchange.api.wiring import Service
from exchange.audit.events import new_trace
from exchange.cases.unit import Unit
from exchange.errors import ExchangeError, InvalidInputError
from exchange.protocol import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY
from exchange.vocabulary import Caller

T = TypeVar("T")


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def authenticated_caller(request: Request) -> Caller:
    """FastAPI dependency: the verified party, user and role of a signed request."""
    body = await request.body()
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]]
    message = SignedMessage(request.method, str(request.url), headers)
    # Verification reads the key and commits the nonce: blocking work, so it runs in the thread
    # pool. On the event loop it would stall every other request while the nonce waits for its
    # group commit.
    caller = await run_in_threadpool(service_of(request).auth.authenticate, message, body)
    _require_utf8(body)
    return caller


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

    def unit(self, session: Session) -> Unit:
        """Bind a unit of work to ``session`` for this request."""
        return Unit(session, self.caller, self.trace, self.now, self.service.log)

    def write(self, work: Callable[[Unit], T]) -> T:
        """Run ``work`` on the group-commit writer and return its result once it is durable. A
        refusal is recorded in the log on its own (:mod:`exchange.api.refusals`) and raised."""
        try:
            return self.service.writer.run(lambda session: work(self.unit(session)))
        except REFUSALS as exc:
            self.refused(exc)
            raise

    def read(self, work: Callable[[Unit], T]) -> T:
        """Run ``work`` in a read-only transaction; a refusal is recorded as for :meth:`write`."""
        try:
            with self.service.readers.begin() as session:
                return work(self.unit(session))
        except REFUSALS as exc:
            self.refused(exc)
            raise

    def refused(self, exc: ExchangeError) -> None:
        """Record that this request was refused (for checks made outside a unit of work)."""
        self.service.refusals.record(self.caller, exc, self.now, self.operation, self.case)


Authed = Annotated[Caller, Depends(authenticated_caller)]


def request_context(request: Request, caller: Authed) -> RequestContext:
    """FastAPI dependency: the request's context, made once per request."""
    operation = getattr(request.scope.get("route"), "name", None) or "unknown"
    case = request.path_params.get("case_id")
    return RequestContext(service_of(request), caller, new_trace(), datetime.now(UTC), operation, case)


# Module level on purpose: FastAPI resolves these annotations by name in the routers' globals.
Ctx = Annotated[RequestContext, Depends(request_context)]
IdemKey = Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER, pattern=IDEMPOTENCY_KEY)]

_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")


def require_identifier(value: str, what: str) -> str:
    """A path or query parameter that names something (a category, a party) must be an identifier."""
    if not _IDENT.match(value):
        raise InvalidInputError(f"the {what} must be an identifier")
    return value
