"""The one place that turns errors into HTTP: RFC 9457 ``application/problem+json``.

Unknown and forbidden resources answer alike (404), so a caller cannot probe what exists. Internal
errors say nothing about their cause; the cause goes to the application log without request data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from exchange.errors import ExchangeError, Overloaded, PayloadTooLarge, RateLimited, StorageError, http_status

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://exchange.invalid/problems/"

__all__ = ["MEDIA_TYPE", "TYPE_BASE", "Overloaded", "PayloadTooLarge", "document", "install", "problem"]


def problem(status: int, title: str, detail: str, kind: str, code: str | None = None) -> JSONResponse:
    """An RFC 9457 problem document. ``code`` (an extension member) says why, in the words the log
    uses for a refusal (``role-not-held``, ``not-coordinator``); it is the kind when nothing finer
    applies. Types and codes are listed in docs/api.md."""
    body = {
        "type": TYPE_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code or kind,
    }
    headers = {"WWW-Authenticate": 'Signature realm="exchange"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def document(exc: ExchangeError) -> tuple[int, bytes, dict[str, str]]:
    """``exc`` as a problem document: status, body and headers (for answers made outside FastAPI's
    exception handlers, such as a middleware's)."""
    status, title = http_status(exc)
    response = problem(status, title, exc.diagnostics(), exc.kind, exc.code)
    headers = {k: v for k, v in response.headers.items() if k.lower() == "www-authenticate"}
    return status, bytes(response.body), headers


def install(app: FastAPI, on_storage_error: Callable[[], None] | None = None) -> None:
    """Register the handlers; ``on_storage_error`` is told of each request refused because the log or
    the database could not record it (a metric)."""

    @app.exception_handler(ExchangeError)
    async def _exchange(_: Request, exc: ExchangeError) -> JSONResponse:
        status, title = http_status(exc)
        if status >= 500:
            log.error("request failed: %s", type(exc).__name__)
        if isinstance(exc, StorageError) and on_storage_error is not None:
            on_storage_error()
        response = problem(status, title, exc.diagnostics(), exc.kind, exc.code)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)  # RFC 9110 section 10.2.3
        return response

    @app.exception_handler(SQLAlchemyError)
    async def _database(_: Request, exc: SQLAlchemyError) -> JSONResponse:
        # Outside a unit of work (a key lookup, a read): the database is unreachable or failing.
        log.error("database unavailable: %s", type(exc).__name__)
        if on_storage_error is not None:
            on_storage_error()
        return problem(
            503, "Temporarily unable to record", "the database is unavailable; nothing was done", "storage"
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        def where(e: Any) -> str:
            return ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"

        details = "; ".join(f"{where(e)}: {e.get('msg', 'invalid')}" for e in exc.errors()[:10])
        return problem(400, "Bad request", details or "the request body is not valid", "invalid-input")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
        return problem(exc.status_code, str(exc.detail), str(exc.detail), kind)

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error: %s", type(exc).__name__)
        return problem(500, "Internal error", "the request could not be completed", "internal")


PROBLEM_SCHEMA: dict[str, Any] = {
    "content": {
        MEDIA_TYPE: {
            "schema": {
                "type": "object",
                "properties": {
                    "type": {
                        "type": "string",
                        "description": "The problem type; every type is listed in docs/api.md",
                        "examples": [TYPE_BASE + "denied"],
                    },
                    "title": {
                        "type": "string",
                        "description": "The type's short title",
                        "examples": ["Not allowed"],
                    },
                    "status": {"type": "integer", "description": "The HTTP status", "examples": [403]},
                    "detail": {
                        "type": "string",
                        "description": "What was wrong and what to do, for a person",
                        "examples": ["only the case's coordinator may do this"],
                    },
                    "code": {
                        "type": "string",
                        "description": "Why, for software: the reason code a refusal is logged with",
                        "examples": ["not-coordinator"],
                    },
                },
                "required": ["type", "title", "status", "detail", "code"],
            }
        }
    }
}


#: What any route can answer whatever it does: a malformed request or header, a body over the
#: limit (checked before routing), and 503 when the log or database cannot record (every signed
#: request records its nonce) or the process sheds load.
ALWAYS = (400, 413, 503)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses a route can return (with :data:`ALWAYS`)."""
    words = {
        400: "Malformed request",
        401: "Missing, invalid, expired or replayed signature",
        403: "Not allowed",
        404: "Unknown (or not yours)",
        409: "Conflicting retry",
        413: "Body too large",
        429: "Too many requests of this kind (Retry-After)",
        503: "The log or store cannot record, or the service is at capacity (Retry-After); nothing was done",
    }
    return {s: {"description": words[s], **PROBLEM_SCHEMA} for s in sorted({*statuses, *ALWAYS})}
