"""The exchange service (``exchange serve``): FastAPI under ``/v1``, every party request signed.

Routes authenticate with :mod:`exchange.api.auth`, decide with the covenant engine, and record every
answer in the disclosure log in the same unit of work (group commit), before the response is sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import orjson
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exchange import __version__
from exchange.api import problems
from exchange.api.auth import RequestAuthenticator, SignedMessage
from exchange.api.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from exchange.api.metrics import Metrics
from exchange.api.schemas import (
    ActionIn,
    ActionOut,
    ActionUpdateIn,
    CaseIn,
    CaseOut,
    DecisionIn,
    DecisionOut,
    EnrichmentIn,
    FeedbackIn,
    FeedbackOut,
    HitOut,
    IndexIn,
    IndexOut,
    ItemIn,
    ItemsOut,
    PartyIn,
    RecipientOut,
    ReviewIn,
    ReviewOut,
    TicketOut,
    TransitionIn,
    WhoAmI,
)
from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.cases.dossier import DossierService
from exchange.cases.followup import ActionView, FollowUpService
from exchange.cases.service import CaseService, HitAnswer
from exchange.config import Settings, refuse_weak_secrets
from exchange.console.pages import CONSOLE_ROLES
from exchange.console.pages import install as install_console
from exchange.console.sessions import TICKET_LIFETIME, issue_ticket
from exchange.crypto.keys import b64
from exchange.errors import (
    ConfigurationError,
    ConflictError,
    DeniedError,
    ExchangeError,
    InvalidInputError,
    VerificationError,
)
from exchange.policies.compiler import compile_covenant
from exchange.policies.decision import DecisionRequest
from exchange.policies.engine import DecisionEngine
from exchange.policies.files import LoadedVersion, load_tree
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, reader_factory, session_factory
from exchange.storage.models import CaseRow, IdempotentResponse
from exchange.storage.schema import require_current
from exchange.storage.unit_of_work import GroupCommitter
from exchange.vocabulary import Caller

MAX_BODY = 2 * 1024 * 1024  # a dossier item's envelope fits; anything larger is refused early
IDEMPOTENCY_KEY = r"^[A-Za-z0-9._:-]{8,200}$"
_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _send_problem(send, 413, "Payload too large", f"the body exceeds {self.limit} bytes")
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise problems.PayloadTooLarge(f"the body exceeds {self.limit} bytes")
            return message

        await self.app(scope, limited, send)


async def _send_problem(
    send: Send, status: int, title: str, detail: str, kind: str = "payload-too-large", retry_after: int = 0
) -> None:
    """A problem document from a middleware, before FastAPI's handlers are reached."""
    body = json.dumps(
        {"type": problems.TYPE_BASE + kind, "title": title, "status": status, "detail": detail}
    ).encode()
    headers = [
        (b"content-type", problems.MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if retry_after:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def authenticated_caller(request: Request) -> Caller:
    """FastAPI dependency: the verified party, user and role of a signed request."""
    body = await request.body()
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]]
    message = SignedMessage(request.method, str(request.url), headers)
    service: Service = request.app.state.service
    # Verification reads the key and commits the nonce: blocking work, so it runs in the thread
    # pool. On the event loop it would stall every other request while the nonce waits for its
    # group commit.
    caller = await run_in_threadpool(service.auth.authenticate, message, body)
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


# Module level on purpose: FastAPI resolves these annotations by name in this module's globals.
Authed = Annotated[Caller, Depends(authenticated_caller)]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY)]


class Service:
    """What the routes share: settings, database, decision engine, log, writer, authenticator."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.engine_url())
        require_current(self.engine)
        self.sessions = session_factory(self.engine)
        self.readers = reader_factory(self.engine)
        #: The covenant versions as read from their files (the jurist's pages show them).
        self.versions = _covenants(settings.convenant_dir)
        self.decisions = DecisionEngine(compile_covenant(v.covenant) for v in self.versions)
        self.log = AuditLog(settings.log_origin)
        self.writer = GroupCommitter(self.sessions)
        self.auth = RequestAuthenticator(self.sessions, run=self.writer.run, readers=self.readers)
        self.cases = CaseService(self.decisions, self.log)
        self.dossiers = DossierService(self.cases)
        self.followup = FollowUpService(self.cases)
        self.cases.on_close.append(self.followup.set_retention)
        self.metrics = Metrics(self.sessions, self.log)

    def close(self) -> None:
        self.writer.close()


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
            await _send_problem(
                send,
                503,
                "Overloaded",
                "the service is at capacity; retry after a second",
                "overloaded",
                retry_after=1,
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


def _covenants(root: Path) -> list[LoadedVersion]:
    """The covenant tree. An empty tree starts a service that denies everything and is not ready
    (so an orchestrator sees it); a broken file stops the start, naming the file and line."""
    if not root.is_dir() or not any(root.rglob("covenant.yaml")):
        logging.getLogger(__name__).warning("no covenant loaded: every decision is a denial; /ready fails")
        return []
    return load_tree(root)


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
    metrics_token = settings.metrics_token.get_secret_value().encode() if settings.metrics_token else None

    @app.get("/v1/whoami", response_model=WhoAmI, responses=problems.problem_responses(400, 401))
    def whoami(c: Authed) -> WhoAmI:
        """The authenticated party, the user it says acts, and the role the user acts in."""
        return WhoAmI(party=c.party, user=c.user, role=c.role, key_id=c.kid)

    @app.post(
        "/v1/decisions",
        response_model=DecisionOut,
        responses=problems.problem_responses(400, 401, 409, 413, 503),
    )
    def decide(body: DecisionIn, c: Authed, idempotency_key: IdemKey = None) -> Response:
        """Ask the covenant whether the caller may receive a category from a provider; logged either way.

        A denial is an answer (200 with ``allowed: false``), not an error.
        """
        moment = body.moment or datetime.now(UTC)
        if moment.tzinfo is None:
            raise InvalidInputError("'moment' needs a time zone")
        request = DecisionRequest(
            c.party, c.role, body.provider, body.category, body.purpose, body.phase, body.covenant, moment
        )
        decision = service.decisions.decide(request)
        trace = f"tr-{uuid.uuid4().hex}"

        def unit(session: Session) -> tuple[int, bytes]:
            event = Event(
                datetime.now(UTC),
                trace,
                Action.DECISION,
                Actor(c.party, c.user, c.role),
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
            appended = service.log.append(session, event)
            data = {k: v for k, v in decision.to_data().items() if k != "request"}
            data["log_index"] = appended.index
            return 200, json.dumps(data).encode()

        return _idempotent(service, c, idempotency_key, body.model_dump_json().encode(), unit)

    @app.get("/health", include_in_schema=True, responses={200: {"description": "The process is alive"}})
    def health() -> dict[str, str]:
        """Liveness, unauthenticated: the process answers."""
        return {"status": "ok"}

    @app.get("/ready", responses=problems.problem_responses(503))
    def ready() -> Response:
        """Readiness, unauthenticated: the schema is current, a covenant is loaded, the log is readable."""
        try:
            require_current(service.engine)
            if not service.decisions.policies:
                raise ConfigurationError("no covenant is loaded: every decision would be a denial")
            with service.sessions.begin() as session:
                size = service.log.size(session)
        except ExchangeError as exc:
            raise ConfigurationError(f"not ready: {exc.diagnostics()}") from None
        except Exception:
            raise ConfigurationError("not ready: the database cannot be reached") from None
        body = {"status": "ready", "covenants": len(service.decisions.policies), "log_size": size}
        return Response(json.dumps(body).encode(), media_type="application/json")

    @app.get(
        "/metrics",
        responses={
            200: {"description": "Prometheus text format", "content": {METRICS_CONTENT_TYPE: {}}},
            **problems.problem_responses(401, 503),
        },
    )
    def metrics(authorization: Annotated[str | None, Header()] = None) -> Response:
        """Prometheus metrics; with ``EXCHANGE_METRICS_TOKEN`` set, only for ``Authorization: Bearer``."""
        if metrics_token is not None:
            scheme, _, given = (authorization or "").partition(" ")
            if scheme != "Bearer" or not hmac.compare_digest(given.encode(), metrics_token):
                raise VerificationError("/metrics needs 'Authorization: Bearer' with the metrics token")
        try:
            body = service.metrics.render()
        except SQLAlchemyError:
            raise ConfigurationError("metrics unavailable: the database cannot be reached") from None
        return Response(body, media_type=METRICS_CONTENT_TYPE)

    @app.post(
        "/v1/console/tickets",
        status_code=201,
        response_model=TicketOut,
        responses=problems.problem_responses(401, 403),
    )
    def console_ticket(c: Authed) -> TicketOut:
        """A one-time sign-in link for the browser console, for the signing party's user and role
        (privacy officers, jurists, the case table and team leads). Valid for two minutes, once;
        the hub stores only its hash."""
        if c.role not in CONSOLE_ROLES:
            raise DeniedError(f"the console is for the roles {', '.join(CONSOLE_ROLES)}, not '{c.role}'")
        moment = datetime.now(UTC)
        ticket = service.writer.run(lambda session: issue_ticket(session, c, moment))
        return TicketOut(url=f"/console/login?ticket={ticket}", expires=moment + TICKET_LIFETIME)

    install_console(app, service)

    def case_out(session: Session, case: CaseRow) -> bytes:
        out = CaseOut(
            id=case.id,
            covenant=case.covenant,
            purpose=case.purpose,
            phase=case.phase,
            coordinator=case.coordinator,
            parties=service.cases.parties(session, case.id),
            subjects=service.cases.subjects(session, case.id),
            selection_reason=case.selection_reason,
            reviews=[
                ReviewOut(party=r.reviewer_party, reviewer=r.reviewer, verdict=r.verdict, note=r.note)
                for r in service.cases.reviews(session, case.id)
            ],
            closed=case.closed is not None,
        )
        return out.model_dump_json().encode()

    @app.post(
        "/v1/cases",
        status_code=201,
        response_model=CaseOut,
        responses=problems.problem_responses(400, 401, 403, 409, 413, 503),
    )
    def create_case(body: CaseIn, c: Authed, idempotency_key: IdemKey = None) -> Response:
        """Open a case from a signal: covenant, purpose and the subjects as pseudonyms (coordinator only)."""
        trace = f"tr-{uuid.uuid4().hex}"

        def unit(session: Session) -> tuple[int, bytes]:
            case = service.cases.create(
                session, c, body.covenant, body.purpose, body.subjects, trace, datetime.now(UTC)
            )
            return 201, case_out(session, case)

        return _idempotent(service, c, idempotency_key, body.model_dump_json().encode(), unit)

    @app.get(
        "/v1/cases/{case_id}", response_model=CaseOut, responses=problems.problem_responses(400, 401, 404)
    )
    def get_case(case_id: str, c: Authed) -> Response:
        """A case's metadata, for its participating parties (anyone else: 404)."""
        with service.sessions.begin() as session:
            body = case_out(session, service.cases.visible(session, c, case_id))
        return Response(body, media_type="application/json")

    @app.post(
        "/v1/cases/{case_id}/parties",
        response_model=CaseOut,
        responses=problems.problem_responses(400, 401, 403, 404, 409, 413, 503),
    )
    def add_party(case_id: str, body: PartyIn, c: Authed, idempotency_key: IdemKey = None) -> Response:
        """Let a party of the covenant take part in the case (coordinator only)."""
        trace = f"tr-{uuid.uuid4().hex}"

        def unit(session: Session) -> tuple[int, bytes]:
            service.cases.add_party(session, c, case_id, body.party, trace)
            return 200, case_out(session, service.cases.visible(session, c, case_id))

        return _idempotent(service, c, idempotency_key, f"{case_id}|{body.model_dump_json()}".encode(), unit)

    @app.post(
        "/v1/cases/{case_id}/transitions",
        response_model=CaseOut,
        responses=problems.problem_responses(400, 401, 403, 404, 409, 413, 503),
    )
    def transition(case_id: str, body: TransitionIn, c: Authed, idempotency_key: IdemKey = None) -> Response:
        """Move the case to its next phase, or close it; selection needs a reason (coordinator only)."""
        trace = f"tr-{uuid.uuid4().hex}"

        def unit(session: Session) -> tuple[int, bytes]:
            case = service.cases.transition(
                session, c, case_id, body.to, body.reason, trace, datetime.now(UTC)
            )
            return 200, case_out(session, case)

        return _idempotent(service, c, idempotency_key, f"{case_id}|{body.model_dump_json()}".encode(), unit)

    @app.post(
        "/v1/cases/{case_id}/review",
        response_model=CaseOut,
        responses=problems.problem_responses(400, 401, 403, 404, 409, 413, 503),
    )
    def review(case_id: str, body: ReviewIn, c: Authed, idempotency_key: IdemKey = None) -> Response:
        """A jurist's review of the selection decision (role 'jurist' of a participating party)."""
        trace = f"tr-{uuid.uuid4().hex}"

        def unit(session: Session) -> tuple[int, bytes]:
            service.cases.review_selection(
                session, c, case_id, body.verdict, body.note, trace, datetime.now(UTC)
            )
            return 200, case_out(session, service.cases.visible(session, c, case_id))

        return _idempotent(service, c, idempotency_key, f"{case_id}|{body.model_dump_json()}".encode(), unit)

    @app.post(
        "/v1/index/{category}",
        response_model=IndexOut,
        responses=problems.problem_responses(400, 401, 409, 413, 503),
    )
    def update_index(category: str, body: IndexIn, c: Authed, idempotency_key: IdemKey = None) -> Response:
        """Add or remove pseudonyms in this party's own hit/no-hit index for a category."""
        if not _IDENT.match(category):
            raise InvalidInputError("the category must be an identifier")
        trace = f"tr-{uuid.uuid4().hex}"

        def unit(session: Session) -> tuple[int, bytes]:
            added, removed = service.cases.update_index(session, c, category, body.add, body.remove, trace)
            return 200, IndexOut(added=added, removed=removed).model_dump_json().encode()

        return _idempotent(service, c, idempotency_key, f"{category}|{body.model_dump_json()}".encode(), unit)

    @app.post(
        "/v1/cases/{case_id}/hits",
        response_model=list[HitOut],
        responses=problems.problem_responses(400, 401, 404, 409, 503),
    )
    def hits(case_id: str, c: Authed) -> Response:
        """Hit or no-hit for the case's subjects, for exactly the (party, category) pairs the covenant
        lets the caller ask about in the case's purpose and phase. Each answer is logged first."""
        trace = f"tr-{uuid.uuid4().hex}"

        def unit(session: Session) -> list[HitAnswer]:
            return service.cases.hits(session, c, case_id, trace, datetime.now(UTC))

        answers = service.writer.run(unit)
        # The fields of HitOut (the documented response model), built directly: a KIT query has
        # dozens of answers, and a model per answer costs more than the answer's lookup.
        body = [
            {
                "subject": a.subject,
                "provider": a.provider,
                "category": a.category,
                "hit": a.hit,
                "form": a.form,
                "articles": list(a.articles),
                "log_index": a.log_index,
            }
            for a in answers
        ]
        return Response(orjson.dumps(body), media_type="application/json")

    @app.post(
        "/v1/cases/{case_id}/enrichment-requests",
        responses=problems.problem_responses(400, 401, 404, 409, 413, 503),
    )
    def request_enrichment(
        case_id: str, body: EnrichmentIn, c: Authed, idempotency_key: IdemKey = None
    ) -> Response:
        """Ask a provider for categories on the case's subjects; each category is decided and logged."""
        trace = f"tr-{uuid.uuid4().hex}"

        def unit(session: Session) -> tuple[int, bytes]:
            out = service.dossiers.request(
                session, c, case_id, body.provider, body.categories, trace, datetime.now(UTC)
            )
            return 200, json.dumps(out).encode()

        return _idempotent(service, c, idempotency_key, f"{case_id}|{body.model_dump_json()}".encode(), unit)

    @app.get("/v1/enrichment-requests", responses=problems.problem_responses(400, 401))
    def pending_requests(c: Authed) -> Response:
        """Open enrichment requests addressed to the caller, with the cases' subject pseudonyms."""
        with service.sessions.begin() as session:
            body = json.dumps(service.dossiers.pending(session, c)).encode()
        return Response(body, media_type="application/json")

    @app.get(
        "/v1/cases/{case_id}/recipients",
        response_model=list[RecipientOut],
        responses=problems.problem_responses(400, 401, 404, 409),
    )
    def recipients(case_id: str, category: str, c: Authed) -> Response:
        """Who may receive ``category`` from the caller in this case now, and the key to seal to."""
        if not _IDENT.match(category):
            raise InvalidInputError("the category must be an identifier")
        with service.sessions.begin() as session:
            found = service.dossiers.recipients(session, c, case_id, category, datetime.now(UTC))
        body = [
            RecipientOut(
                party=r.party, kid=r.kid, public=b64(r.public), articles=list(r.articles)
            ).model_dump()
            for r in found
        ]
        return Response(json.dumps(body).encode(), media_type="application/json")

    @app.post(
        "/v1/cases/{case_id}/items",
        status_code=201,
        responses=problems.problem_responses(400, 401, 403, 404, 409, 413, 503),
    )
    def store_item(case_id: str, body: ItemIn, c: Authed, idempotency_key: IdemKey = None) -> Response:
        """Store a sealed item after the hub re-decides every recipient; one disclosure event each."""
        try:
            envelope = base64.b64decode(body.envelope, validate=True)
        except ValueError:  # binascii.Error, and non-ASCII text
            raise InvalidInputError("'envelope' is not base64") from None
        trace = f"tr-{uuid.uuid4().hex}"

        def unit(session: Session) -> tuple[int, bytes]:
            out = service.dossiers.store(session, c, case_id, envelope, trace, datetime.now(UTC))
            return 201, json.dumps(out).encode()

        return _idempotent(service, c, idempotency_key, f"{case_id}|{body.envelope}".encode(), unit)

    @app.get(
        "/v1/cases/{case_id}/items",
        response_model=ItemsOut,
        responses=problems.problem_responses(400, 401, 404, 503),
    )
    def my_items(case_id: str, c: Authed) -> Response:
        """The caller's dossier view: items sealed for it, each read logged before it is returned."""
        trace = f"tr-{uuid.uuid4().hex}"
        items = service.writer.run(lambda session: service.dossiers.view(session, c, case_id, trace))
        body = ItemsOut(items=[base64.b64encode(x).decode() for x in items])
        return Response(body.model_dump_json().encode(), media_type="application/json")

    def action_out(a: ActionView) -> bytes:
        return ActionOut.model_validate(a, from_attributes=True).model_dump_json().encode()

    @app.post(
        "/v1/cases/{case_id}/actions",
        status_code=201,
        response_model=ActionOut,
        responses=problems.problem_responses(400, 401, 403, 404, 409, 413, 503),
    )
    def add_action(case_id: str, body: ActionIn, c: Authed, idempotency_key: IdemKey = None) -> Response:
        """Assign a follow-up action point to a participating party, with a deadline (coordinator)."""
        trace = f"tr-{uuid.uuid4().hex}"

        def unit(session: Session) -> tuple[int, bytes]:
            a = service.followup.add_action(
                session, c, case_id, body.kind, body.owner, body.deadline, trace, datetime.now(UTC)
            )
            return 201, action_out(a)

        return _idempotent(service, c, idempotency_key, f"{case_id}|{body.model_dump_json()}".encode(), unit)

    @app.post(
        "/v1/cases/{case_id}/actions/{action_id}",
        response_model=ActionOut,
        responses=problems.problem_responses(400, 401, 403, 404, 409, 413, 503),
    )
    def update_action(
        case_id: str, action_id: str, body: ActionUpdateIn, c: Authed, idempotency_key: IdemKey = None
    ) -> Response:
        """Set an action point's status (owner or coordinator); once overdue, a reason is required."""
        trace = f"tr-{uuid.uuid4().hex}"

        def unit(session: Session) -> tuple[int, bytes]:
            a = service.followup.update_action(
                session, c, case_id, action_id, body.status, body.reason, trace, datetime.now(UTC)
            )
            return 200, action_out(a)

        return _idempotent(
            service, c, idempotency_key, f"{case_id}|{action_id}|{body.model_dump_json()}".encode(), unit
        )

    @app.get(
        "/v1/cases/{case_id}/actions",
        response_model=list[ActionOut],
        responses=problems.problem_responses(400, 401, 404),
    )
    def list_actions(case_id: str, c: Authed) -> Response:
        """The case's action points, with overdue ones marked."""
        with service.sessions.begin() as session:
            found = service.followup.actions(session, c, case_id, datetime.now(UTC))
        return Response(b"[" + b",".join(action_out(a) for a in found) + b"]", media_type="application/json")

    @app.post(
        "/v1/cases/{case_id}/feedback",
        response_model=FeedbackOut,
        responses=problems.problem_responses(400, 401, 403, 404, 409, 413, 503),
    )
    def give_feedback(case_id: str, body: FeedbackIn, c: Authed, idempotency_key: IdemKey = None) -> Response:
        """Record the case's abstracted outcome; every party that contributed an item is told."""
        trace = f"tr-{uuid.uuid4().hex}"

        def unit(session: Session) -> tuple[int, bytes]:
            told = service.followup.feedback(session, c, case_id, body.outcome, trace, datetime.now(UTC))
            return 200, FeedbackOut(outcome=body.outcome, told=told).model_dump_json().encode()

        return _idempotent(service, c, idempotency_key, f"{case_id}|{body.model_dump_json()}".encode(), unit)

    @app.get(
        "/v1/cases/{case_id}/feedback",
        response_model=FeedbackOut,
        responses=problems.problem_responses(400, 401, 404),
    )
    def read_feedback(case_id: str, c: Authed) -> Response:
        """The case's abstracted outcome, for every participating party."""
        with service.sessions.begin() as session:
            outcome = service.followup.outcome(session, c, case_id)
        return Response(
            FeedbackOut(outcome=outcome).model_dump_json().encode(), media_type="application/json"
        )

    return app


def _idempotent(
    service: Service,
    c: Caller,
    key: str | None,
    request_bytes: bytes,
    unit: Callable[[Session], tuple[int, bytes]],
) -> Response:
    """Run ``unit`` once per (party, Idempotency-Key): a retry gets the stored response; the same
    key with a different request is a conflict. Stored in the same unit of work as the action."""
    digest = hashlib.sha256(request_bytes).digest()

    def run(session: Session) -> tuple[int, bytes]:
        if key is not None:
            seen = session.get(IdempotentResponse, (c.party, key))
            if seen is not None:
                if seen.request_hash != digest:
                    raise ConflictError("this Idempotency-Key was used for a different request")
                return seen.status, seen.body
        status, body = unit(session)
        if key is not None:
            session.add(
                IdempotentResponse(
                    party=c.party,
                    key=key,
                    request_hash=digest,
                    status=status,
                    body=body,
                    created=datetime.now(UTC),
                )
            )
        return status, body

    status, body = service.writer.run(run)
    return Response(body, status_code=status, media_type="application/json")
