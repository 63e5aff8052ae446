"""The privacy officer's pages: the disclosure log of the officer's own party, the access-request
report for one subject, the log's verification status and its witnesses, and anomaly flags.

Sign-in is a one-time ticket from a signed API request (``exchange client console``). Every page
that shows log data writes its own log-view event first, in the same unit of work as the query: if
the view cannot be logged, nothing is shown. Pages carry a strict Content-Security-Policy, no
script, and are never cached.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.console.sessions import (
    COOKIE,
    SESSION_LIFETIME,
    ConsoleUser,
    NotSignedIn,
    current_user,
    end_session,
    redeem_ticket,
)
from exchange.crypto.pseudonym import parse_pseudonym
from exchange.errors import ExchangeError, InvalidInputError
from exchange.storage import audit_queries as q

if TYPE_CHECKING:
    from exchange.api.app import Service

T = TypeVar("T")
LOG_ROLES = ("privacy-officer",)
LIMIT = 500
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
OUTCOMES = ("allowed", "denied", "hit", "no-hit", "done", "failed")
ACTIONS = tuple(str(a) for a in Action)
_TEMPLATES = Environment(
    loader=PackageLoader("exchange.console", "templates"), autoescape=select_autoescape(default=True)
)
_CSS = (_TEMPLATES.loader.get_source(_TEMPLATES, "console.css")[0]).encode()  # type: ignore[union-attr]


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_TEMPLATES.get_template(name).render(**context), status_code=status, headers=HEADERS)


def _message(title: str, message: str, status: int, who: ConsoleUser | None = None) -> HTMLResponse:
    return _page("message.html", status, title=title, message=message, who=who)


def _day(value: str | None, what: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), UTC)
    except ValueError:
        raise InvalidInputError(f"'{what}' is not a date (YYYY-MM-DD)") from None


def install(app: FastAPI, service: Service) -> None:
    """Add the console's routes to the service (outside the OpenAPI document: they are pages)."""

    def now() -> datetime:
        return datetime.now(UTC)

    def signed_in(request: Request) -> ConsoleUser:
        with service.sessions.begin() as session:
            return current_user(session, request.cookies.get(COOKIE), now())

    def viewed(who: ConsoleUser, view: str, query: Callable[[Session], T], count: Callable[[T], int]) -> T:
        """Run the query and log the view in one unit of work: no view without its log entry."""

        def unit(session: Session) -> T:
            result = query(session)
            event = Event(
                now(),
                f"console-{uuid.uuid4().hex}",
                Action.LOG_VIEW,
                Actor(who.party, who.user, who.role),
                Outcome.DONE,
                channel="console",
                details={"view": view, "rows": count(result)},
            )
            service.log.append(session, event)
            return result

        return service.writer.run(unit)

    def page(handler: Callable[[Request, ConsoleUser], Response]) -> Callable[[Request], Response]:
        """Sign-in, role and error handling around a page; errors become pages, not JSON."""

        def wrapped(request: Request) -> Response:
            try:
                who = signed_in(request)
            except NotSignedIn as exc:
                return _message("Niet aangemeld", f"{exc.diagnostics()}.", 401)
            if who.role not in LOG_ROLES:
                return _message("Geen toegang", "Deze pagina's zijn voor de privacy officer.", 403, who)
            try:
                return handler(request, who)
            except InvalidInputError as exc:
                return _message("Ongeldige invoer", exc.diagnostics(), 400, who)
            except ExchangeError as exc:
                return _message("Tijdelijk niet beschikbaar", exc.diagnostics(), 503, who)

        wrapped.__name__ = handler.__name__
        return wrapped

    @app.get("/console/login", include_in_schema=False)
    def login(ticket: str = "") -> Response:
        try:
            with service.sessions.begin() as session:
                token, _who = redeem_ticket(session, ticket, now())
        except NotSignedIn as exc:
            return _message("Aanmelden mislukt", exc.diagnostics(), 401)
        response = RedirectResponse("/console", status_code=303, headers=HEADERS)
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path="/console",
            secure=True,
            httponly=True,
            samesite="strict",
        )
        return response

    @app.post("/console/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form("")) -> Response:
        try:
            who = signed_in(request)
        except NotSignedIn:
            return _message("Afgemeld", "U bent niet (meer) aangemeld.", 200)
        if not csrf or csrf != who.csrf:
            return _message("Geweigerd", "Het formulier kwam niet van deze pagina (CSRF).", 403, who)
        with service.sessions.begin() as session:
            end_session(session, request.cookies.get(COOKIE, ""))
        response = _message("Afgemeld", "U bent afgemeld.", 200)
        response.delete_cookie(COOKIE, path="/console", secure=True, httponly=True, samesite="strict")
        return response

    @app.get("/console/static/console.css", include_in_schema=False)
    def css() -> Response:
        return Response(_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    def overview(request: Request, who: ConsoleUser) -> Response:
        with service.sessions.begin() as session:
            size = service.log.size(session)
            checkpoint = service.log.latest_checkpoint(session)
            cp = {"size": checkpoint.size, "created": str(checkpoint.created)[:19]} if checkpoint else None
        return _page("overview.html", title="Overzicht", who=who, size=size, checkpoint=cp)

    def log_page(request: Request, who: ConsoleUser, csv: bool = False) -> Response:
        params = request.query_params
        subject = params.get("subject") or None
        if subject:
            parse_pseudonym(subject)
        f = q.LogFilter(
            subject=subject,
            party=who.party,  # the officer sees what the own party did or received
            purpose=params.get("purpose") or None,
            article=params.get("article") or None,
            case=params.get("case") or None,
            outcome=params.get("outcome") or None,
            action=params.get("action") or None,
            since=_day(params.get("since"), "since"),
            until=_day(params.get("until"), "until"),
            limit=100_000 if csv else LIMIT,
        )
        rows = viewed(who, "export" if csv else "search", lambda s: q.search(s, f), len)
        if csv:
            headers = {**HEADERS, "Content-Disposition": 'attachment; filename="logboek.csv"'}
            return Response(q.to_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v})
        return _page(
            "log.html",
            title="Logboek",
            who=who,
            rows=rows,
            q=params,
            query=query,
            limit=LIMIT,
            outcomes=OUTCOMES,
            actions=ACTIONS,
        )

    def report(request: Request, who: ConsoleUser) -> Response:
        subject = request.query_params.get("subject") or None
        rows: list[dict[str, Any]] = []
        if subject:
            subject = str(parse_pseudonym(subject))

            def query(session: Session) -> list[dict[str, Any]]:
                return [
                    r
                    for r in q.access_report(session, subject or "")
                    if who.party in (r["actor_party"], r["counterparty"])
                ]

            rows = viewed(who, "access-report", query, len)
        printed = now().strftime("%Y-%m-%d %H:%M UTC")
        return _page(
            "report.html", title="Inzageverzoek", who=who, subject=subject, rows=rows, printed=printed
        )

    def verification(request: Request, who: ConsoleUser) -> Response:
        def query(session: Session) -> dict[str, Any]:
            size = service.log.size(session)
            checkpoint = service.log.latest_checkpoint(session)
            matches = checkpoint is not None and service.log.root(session, checkpoint.size) == checkpoint.root
            witnesses = [{"name": n, "party": p, "size": s} for n, p, s in service.log.witnessed(session)]
            cp = (
                {"size": checkpoint.size, "created": str(checkpoint.created)[:19], "note": checkpoint.note}
                if checkpoint
                else None
            )
            return {"size": size, "checkpoint": cp, "matches": matches, "witnesses": witnesses}

        facts = viewed(who, "verification", query, lambda f: int(f["size"]))
        return _page("verification.html", title="Verificatie", who=who, **facts)

    def anomalies(request: Request, who: ConsoleUser) -> Response:
        found = viewed(
            who,
            "anomalies",
            lambda s: [a for a in q.anomalies(s, None) if a.party == who.party],
            len,
        )
        return _page("anomalies.html", title="Signalen", who=who, found=found)

    for path, handler in (
        ("/console", overview),
        ("/console/log", log_page),
        ("/console/log.csv", lambda r, w: log_page(r, w, csv=True)),
        ("/console/report", report),
        ("/console/verification", verification),
        ("/console/anomalies", anomalies),
    ):
        app.add_api_route(path, page(handler), methods=["GET"], include_in_schema=False)
