"""Who am I, covenant decisions, liveness, readiness, metrics and console sign-in tickets."""

from __future__ import annotations

import hmac
import json
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError

from exchange.api import problems
from exchange.api.context import AnyRoleCtx, Authed, Ctx, IdemKey, SignedRoute, service_of
from exchange.api.idempotency import idempotent
from exchange.api.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from exchange.api.schemas import DecisionIn, DecisionOut, TicketOut, WhoAmI
from exchange.audit.events import Action, Outcome
from exchange.cases.unit import Unit
from exchange.console.pages import CONSOLE_ROLES
from exchange.console.sessions import issue_ticket
from exchange.errors import (
    ConfigurationError,
    DeniedError,
    ExchangeError,
    InvalidInputError,
    VerificationError,
)
from exchange.policies.decision import DecisionRequest
from exchange.storage.schema import require_current

router = APIRouter(route_class=SignedRoute)


@router.get("/v1/whoami", response_model=WhoAmI, responses=problems.problem_responses(400, 401))
def whoami(c: Authed) -> WhoAmI:
    """The authenticated party, the user it says acts, and the role the user acts in."""
    return WhoAmI(party=c.party, user=c.user, role=c.role, key_id=c.kid)


@router.post(
    "/v1/decisions",
    response_model=DecisionOut,
    responses=problems.problem_responses(400, 401, 409, 413, 503),
)
def decide(body: DecisionIn, ctx: AnyRoleCtx, idempotency_key: IdemKey = None) -> Response:
    """Ask the covenant whether the caller may receive a category from a provider; logged either way.

    A denial is an answer (200 with ``allowed: false``), not an error.
    """
    c = ctx.caller
    moment = body.moment or ctx.now
    if moment.tzinfo is None:
        raise InvalidInputError("'moment' needs a time zone")
    request = DecisionRequest(
        c.party, c.role, body.provider, body.category, body.purpose, body.phase, body.covenant, moment
    )
    decision = ctx.service.decisions.decide(request)

    def work(unit: Unit) -> tuple[int, bytes]:
        index = unit.record(
            Action.DECISION,
            Outcome.ALLOWED if decision.allowed else Outcome.DENIED,
            case=body.case,
            counterparty=body.provider,
            category=body.category,
            purpose=body.purpose,
            phase=body.phase,
            covenant=str(decision.covenant) if decision.covenant else None,
            policy_digest=decision.policy_digest,
            articles=decision.articles,
            legal_grounds=decision.legal_grounds,
            reason=decision.reason,
            reason_code=decision.code,
        )
        data = {k: v for k, v in decision.to_data().items() if k != "request"}
        data["log_index"] = index
        return 200, json.dumps(data).encode()

    return idempotent(ctx, idempotency_key, body.model_dump_json().encode(), work)


@router.get("/health", include_in_schema=True, responses={200: {"description": "The process is alive"}})
def health() -> dict[str, str]:
    """Liveness, unauthenticated: the process answers."""
    return {"status": "ok"}


@router.get("/ready", responses=problems.problem_responses(503))
def ready(request: Request) -> Response:
    """Readiness, unauthenticated: the schema is current, a covenant is loaded, the log is readable."""
    service = service_of(request)
    try:
        require_current(service.engine)
        if not service.decisions.policies:
            raise ConfigurationError("no covenant is loaded: every decision would be a denial")
        with service.readers.begin() as session:
            size = service.log.size(session)
    except ExchangeError as exc:
        raise ConfigurationError(f"not ready: {exc.diagnostics()}") from None
    except Exception:
        raise ConfigurationError("not ready: the database cannot be reached") from None
    body = {"status": "ready", "covenants": len(service.decisions.policies), "log_size": size}
    return Response(json.dumps(body).encode(), media_type="application/json")


@router.get(
    "/metrics",
    responses={
        200: {"description": "Prometheus text format", "content": {METRICS_CONTENT_TYPE: {}}},
        **problems.problem_responses(401, 503),
    },
)
def metrics(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    """Prometheus metrics; with ``EXCHANGE_METRICS_TOKEN`` set, only for ``Authorization: Bearer``."""
    service = service_of(request)
    token = service.settings.metrics_token
    if token is not None:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme != "Bearer" or not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
            raise VerificationError("/metrics needs 'Authorization: Bearer' with the metrics token")
    try:
        body = service.metrics.render()
    except SQLAlchemyError:
        raise ConfigurationError("metrics unavailable: the database cannot be reached") from None
    return Response(body, media_type=METRICS_CONTENT_TYPE)


@router.post(
    "/v1/console/tickets",
    status_code=201,
    response_model=TicketOut,
    responses=problems.problem_responses(401, 403),
)
def console_ticket(ctx: Ctx) -> TicketOut:
    """A one-time sign-in link for the browser console, for the signing party's user and role
    (privacy officers, jurists, the case table and team leads; a role the party may hold, checked
    for every route by the request context). Valid once, for ``EXCHANGE_CONSOLE_LINK_SECONDS`` (two
    minutes by default); the hub stores only its hash."""
    c = ctx.caller
    if c.role not in CONSOLE_ROLES:
        refusal = DeniedError(
            f"the console is for the roles {', '.join(CONSOLE_ROLES)}, not '{c.role}'",
            code="not-console-role",
        )
        ctx.refused(refusal)
        raise refusal
    lifetime = timedelta(seconds=ctx.service.settings.console_link_seconds)
    ticket = ctx.write(lambda unit: issue_ticket(unit.session, c, unit.now, lifetime))
    return TicketOut(url=f"/console/login?ticket={ticket}", expires=ctx.now + lifetime)
