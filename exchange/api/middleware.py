"""ASGI middleware that answers before a route is reached: the body limit, load shedding and the
latency metric. Their error bodies are the same problem documents as every other error
(:func:`exchange.api.problems.document`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exchange.api import problems
from exchange.api.metrics import Metrics
from exchange.errors import ExchangeError, Overloaded, PayloadTooLarge


async def send_problem(send: Send, exc: ExchangeError, retry_after: int = 0) -> None:
    """Answer ``exc`` as a problem document from a middleware, before FastAPI's handlers."""
    status, body, headers = problems.document(exc)
    raw = [(b"content-type", problems.MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    if retry_after:
        raw.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with 413, by Content-Length or while the body streams in.

    The body is read here, up to the limit, before the application sees it. Raising from inside the
    application's ``receive`` would not do: FastAPI turns any exception raised while it reads a body
    into "There was an error parsing the body" (400), so a chunked body (no Content-Length) over
    the limit would not get its 413. Holding at most ``limit`` bytes per request is what the route
    would hold anyway, and the in-flight limit bounds how many requests do.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await send_problem(send, PayloadTooLarge(f"the body exceeds {self.limit} bytes"))
            return
        received: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":  # the client went away: the app sees it as it is
                break
            seen += len(message.get("body", b""))
            if seen > self.limit:
                await send_problem(send, PayloadTooLarge(f"the body exceeds {self.limit} bytes"))
                return
            if not message.get("more_body", False):
                break
        received.reverse()

        async def replay() -> Message:
            # The body as it came, then the server's own messages (a disconnect) after it.
            return received.pop() if received else await receive()

        await self.app(scope, replay, send)


class InFlightLimit:
    """Shed load: beyond ``limit`` requests in progress, answer 503 with ``Retry-After`` at once,
    before reading the body or touching the database, so an overload neither queues without bound
    nor turns into timeouts and 500s. Probes and metrics always pass."""

    EXEMPT = ("/health", "/ready", "/metrics")

    def __init__(self, app: ASGIApp, limit: int, on_shed: Callable[[], None]) -> None:
        self.app = app
        self.limit = limit
        self.on_shed = on_shed
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self.on_shed()
            await send_problem(
                send, Overloaded("the service is at capacity; retry after a second"), retry_after=1
            )
            return
        self.in_flight += 1  # one event loop per process: no lock needed
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class RequestTimer:
    """Observe each request's latency by route template (never the raw path, which holds ids)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(template, scope["method"], status, started)
