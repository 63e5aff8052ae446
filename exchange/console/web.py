"""What every console page shares: templates, security headers, sign-in and role checks, errors as
pages, and the rule that a page showing log or case data logs its own view first.

Which role sees which pages is decided here, in :data:`PAGES`; the ticket route of the API admits
exactly these roles.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from exchange.audit.events import Action, Outcome, new_trace
from exchange.cases.unit import Unit
from exchange.console import labels
from exchange.console.host import ConsoleHost
from exchange.console.sessions import COOKIE, ConsoleUser, NotSignedIn, current_user
from exchange.errors import ExchangeError, InvalidInputError, http_status
from exchange.i18n import SHARED_TEMPLATES, translations
from exchange.vocabulary import Caller

T = TypeVar("T")

#: The pages of each console role, in menu order: (path, label).
PAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "privacy-officer": (
        ("/console/log", "Logboek"),
        ("/console/report", "Inzageverzoek"),
        ("/console/verification", "Verificatie"),
        ("/console/anomalies", "Signalen"),
        ("/console/proposals", "Voorstellen"),
    ),
    "jurist": (("/console/covenants", "Convenanten"), ("/console/proposals", "Voorstellen")),
    "coordinator": (
        ("/console/cases", "Casussen"),
        ("/console/follow-up", "Opvolging"),
        ("/console/feedback", "Terugkoppeling"),
        ("/console/annual", "Jaarverslag"),
    ),
    "employee": (
        ("/console/cases", "Casussen"),
        ("/console/follow-up", "Opvolging"),
        ("/console/feedback", "Terugkoppeling"),
    ),
    "team-lead": (("/console/annual", "Jaarverslag"), ("/console/team", "Teamrapportage")),
    # The stuurgroep (steering group) reads aggregates only: the team-wide report.
    "stuurgroep": (("/console/team", "Teamrapportage"),),
}
CONSOLE_ROLES = tuple(PAGES)

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
TEMPLATES = Environment(
    loader=ChoiceLoader([PackageLoader("exchange.console", "templates"), FileSystemLoader(SHARED_TEMPLATES)]),
    autoescape=select_autoescape(default=True),
    extensions=["jinja2.ext.i18n"],
)
_NL = translations("nl")
TEMPLATES.install_gettext_translations(_NL, newstyle=True)  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
TEMPLATES.filters["action"] = labels.labeller(labels.ACTIONS, _NL.gettext)
TEMPLATES.filters["outcome"] = labels.labeller(labels.OUTCOMES, _NL.gettext)
TEMPLATES.filters["reason"] = labels.labeller(labels.REASONS, _NL.gettext)
TEMPLATES.filters["phase"] = labels.labeller(labels.PHASES, _NL.gettext)
TEMPLATES.filters["team"] = labels.labeller(labels.TEAM, _NL.gettext)
TEMPLATES.filters["anomaly"] = labels.labeller(labels.ANOMALIES, _NL.gettext)
TEMPLATES.filters["nl_day"] = lambda d: d.strftime("%d-%m-%Y")


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    who = context.get("who")
    context.setdefault("nav", PAGES.get(who.role, ()) if isinstance(who, ConsoleUser) else ())
    return HTMLResponse(TEMPLATES.get_template(name).render(**context), status_code=status, headers=HEADERS)


def message(title: str, text: str, status: int, who: ConsoleUser | None = None) -> HTMLResponse:
    return render("message.html", status, title=title, message=text, who=who)


def day(value: str | None, what: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), UTC)
    except ValueError:
        raise InvalidInputError(f"'{what}' is not a date (YYYY-MM-DD)") from None


#: The console's page title for each HTTP status an error maps to (:func:`exchange.errors.http_status`).
ERROR_TITLES = {
    400: "Ongeldige invoer",
    401: "Niet aangemeld",
    403: "Geen toegang",
    404: "Niet gevonden",
    409: "Niet mogelijk in deze toestand",
    413: "Te groot",
    503: "Tijdelijk niet beschikbaar",
}


class Console:
    """The service as the pages see it."""

    def __init__(self, app: FastAPI, service: ConsoleHost) -> None:
        self.app = app
        self.service = service

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def signed_in(self, request: Request) -> ConsoleUser:
        with self.service.readers.begin() as session:
            return current_user(session, request.cookies.get(COOKIE), self.now())

    def viewed(
        self,
        who: ConsoleUser,
        view: str,
        query: Callable[[Session], T],
        count: Callable[[T], int],
        action: Action = Action.LOG_VIEW,
        case: str | None = None,
    ) -> T:
        """Run the query and log the view in one unit of work: no view without its log entry."""

        caller = Caller(who.party, who.user, who.role, kid="console-session")
        trace, now = new_trace("console"), self.now()

        def unit(session: Session) -> T:
            result = query(session)
            work = Unit(session, caller, trace, now, self.service.log, channel="console")
            work.record(action, Outcome.DONE, case=case, details={"view": view, "rows": count(result)})
            return result

        return self.service.writer.run(unit)

    def act(self, who: ConsoleUser, work: Callable[[Unit], T]) -> T:
        """Run ``work`` as the signed-in user in one unit of work on the writer: its events and what
        it changed are durable together, or neither is."""
        caller = Caller(who.party, who.user, who.role, kid="console-session")
        trace, now = new_trace("console"), self.now()
        return self.service.writer.run(
            lambda session: work(Unit(session, caller, trace, now, self.service.log, channel="console"))
        )

    def page(
        self, path: str, handler: Callable[[Request, ConsoleUser], Response], menu: str | None = None
    ) -> None:
        """A GET page for the roles whose menu lists ``menu`` (default: the path itself, or a listed
        path it sits below).

        Sign-in first, then the role; errors become pages, not JSON. An unknown case and another
        party's case answer alike (404), as in the API.
        """
        roles = _roles(path, menu)

        def wrapped(request: Request) -> Response:
            try:
                who = self.signed_in(request)
            except NotSignedIn as exc:
                return message("Niet aangemeld", f"{exc.diagnostics()}.", 401)
            if who.role not in roles:
                return message("Geen toegang", f"Deze pagina is niet voor de rol '{who.role}'.", 403, who)
            try:
                return handler(request, who)
            except ExchangeError as exc:
                status, _ = http_status(exc)
                return message(ERROR_TITLES.get(status, "Fout"), exc.diagnostics(), status, who)

        wrapped.__name__ = getattr(handler, "__name__", "page")
        self.app.add_api_route(path, wrapped, methods=["GET"], include_in_schema=False)

    def form(
        self, path: str, handler: Callable[[Request, ConsoleUser, FormData], Response], menu: str
    ) -> None:
        """A POST form for the roles whose menu lists ``menu``: signed in, the role, then the form's
        CSRF token (the session's), before ``handler`` runs; errors become pages."""
        roles = _roles(path, menu)

        async def posted(request: Request) -> Response:
            try:
                who = await run_in_threadpool(self.signed_in, request)
            except NotSignedIn as exc:
                return message("Niet aangemeld", f"{exc.diagnostics()}.", 401)
            if who.role not in roles:
                return message("Geen toegang", f"Deze pagina is niet voor de rol '{who.role}'.", 403, who)
            form = await request.form(max_files=0, max_fields=10)
            token = form.get("csrf")
            if not isinstance(token, str) or not hmac.compare_digest(token.encode(), who.csrf.encode()):
                return message("Geweigerd", "Het formulier kwam niet van deze pagina (CSRF).", 403, who)
            try:
                return await run_in_threadpool(handler, request, who, form)
            except ExchangeError as exc:
                status, _ = http_status(exc)
                return message(ERROR_TITLES.get(status, "Fout"), exc.diagnostics(), status, who)

        posted.__name__ = getattr(handler, "__name__", "form")
        self.app.add_api_route(path, posted, methods=["POST"], include_in_schema=False)


def _roles(path: str, menu: str | None) -> frozenset[str]:
    """The roles whose menu lists ``menu`` (default: the path), or a listed path it sits below."""
    target = menu or path
    return frozenset(
        role
        for role, pages in PAGES.items()
        if path == "/console" or any(target == p or target.startswith(p + "/") for p, _ in pages)
    )
