"""The exchange service (``exchange serve``): FastAPI under ``/v1``, every party request signed.

This module only assembles: the shared parts (:mod:`exchange.api.wiring`), the error mapping
(:mod:`exchange.api.problems`), the middleware (:mod:`exchange.api.middleware`), one router per
resource (:mod:`exchange.api.routes`) and the console's pages. Routes authenticate and get their
request context from :mod:`exchange.api.context`, decide with the covenant engine, and record every
answer in the disclosure log in the same unit of work (group commit), before the response is sent.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from exchange import __version__
from exchange.api import openapi, problems
from exchange.api.middleware import BodyLimit, InFlightLimit, RequestTimer
from exchange.api.receipts import ReceiptHeader
from exchange.api.routes import (
    access,
    cases,
    dossier,
    enrichment,
    findings,
    followup,
    hits,
    joins,
    keys,
    log,
    log_tiles,
    node,
    operations,
    oversight,
    pseudonym_keys,
    revisions,
    texts,
)
from exchange.api.wiring import Service
from exchange.config import Settings, refuse_weak_secrets
from exchange.console.pages import install as install_console

MAX_BODY = 2 * 1024 * 1024  # a dossier item's envelope fits; anything larger is refused early

__all__ = ["MAX_BODY", "Service", "create_app"]


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The service. Outside dev mode it refuses to start with a missing or placeholder secret."""
    refuse_weak_secrets(settings)
    service = Service(settings, engine)
    app = FastAPI(
        title="exchange",
        version=__version__,
        summary="Lawful, provable information exchange for intervention teams",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.router.add_event_handler("shutdown", service.close)
    problems.install(app, on_storage_error=service.metrics.log_unavailable.inc)
    app.add_middleware(BodyLimit, limit=MAX_BODY)
    app.add_middleware(InFlightLimit, limit=settings.max_in_flight, on_shed=service.metrics.shed.inc)
    app.add_middleware(RequestTimer, metrics=service.metrics)
    app.add_middleware(ReceiptHeader, signer=service.receipt_signer)
    routers = (
        node,
        pseudonym_keys,
        joins,
        keys,
        findings,
        operations,
        cases,
        hits,
        dossier,
        enrichment,
        texts,
        followup,
        oversight,
        log,
        log_tiles,
        access,
        revisions,
    )
    for router in routers:
        app.include_router(router.router)
    install_console(app, service)
    openapi.install(app)
    return app
