"""The in-flight limit answers 503 with Retry-After at once when full, and never sheds probes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

from exchange.api.middleware import InFlightLimit


def test_sheds_beyond_the_limit_but_not_probes() -> None:
    release = asyncio.Event()
    shed: list[int] = []

    async def slow_app(scope: Any, receive: Any, send: Any) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limit = InFlightLimit(slow_app, limit=2, on_shed=lambda: shed.append(1))

    async def call(path: str) -> list[MutableMapping[str, Any]]:
        sent: list[MutableMapping[str, Any]] = []

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        await limit({"type": "http", "path": path, "method": "POST", "headers": []}, receive, send)
        return sent

    async def scenario() -> None:
        first = [asyncio.create_task(call("/v1/decisions")) for _ in range(2)]
        await asyncio.sleep(0.01)
        assert limit.in_flight == 2
        refused = await call("/v1/decisions")  # answered at once, while two are in flight
        start = refused[0]
        assert start["status"] == 503 and (b"retry-after", b"1") in start["headers"]
        assert (b"content-type", b"application/problem+json") in start["headers"]
        assert json.loads(refused[1]["body"])["type"].endswith("overloaded")
        probe = asyncio.create_task(call("/ready"))  # probes pass even when full
        await asyncio.sleep(0.01)
        release.set()
        for done in [*first, probe]:
            assert (await done)[0]["status"] == 200
        assert limit.in_flight == 0 and shed == [1]

    asyncio.run(scenario())
