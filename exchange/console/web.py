"""What every console page shares: templates, security headers, sign-in and role checks, errors as
pages, and the rule that a page showing log or case data logs its own view first.

Which role sees which pages is decided here, in :data:`PAGES`; the ticket route of the API admits
exactly these roles.
"""

from __future__ import annotations

import hmac
import urllib.parse
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from gettext import NullTranslations
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from exchange.audit.events import Action, Outcome, new_trace
from exchange.cases.unit import Unit
from exchange.console import labels
from exchange.console.host import ConsoleHost
from exchange.console.labels import N_
from exchange.console.sessions import COOKIE, ConsoleUser, NotSignedIn, current_user
from exchange.errors import ExchangeError, InvalidInputError, http_status
from exchange.i18n import SHARED_TEMPLATES, translations
from exchange.vocabulary import Caller, PartyId

T = TypeVar("T")

#: The pages of each console role, in menu order: (path, label); the label is a catalogue id.
PAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "privacy-officer": (
        ("/console/log", N_("Log")),
        ("/console/report", N_("Access request")),
        ("/console/verification", N_("Verification")),
        ("/console/anomalies", N_("Flags")),
        ("/console/proposals", N_("Proposals")),
    ),
    "jurist": (("/console/covenants", N_("Covenants")), ("/console/proposals", N_("Proposals"))),
    "coordinator": (
        ("/console/cases", N_("Cases")),
        ("/console/follow-up", N_("Follow-up")),
        ("/console/feedback", N_("Feedback")),
        ("/console/annual", N_("Annual report")),
    ),
    "employee": (
        ("/console/cases", N_("Cases")),
        ("/console/follow-up", N_("Follow-up")),
        ("/console/feedback", N_("Feedback")),
    ),
    "team-lead": (("/console/annual", N_("Annual report")), ("/console/team", N_("Team report"))),
    # The stuurgroep (steering group) reads aggregates only: the team-wide report.
    "stuurgroep": (("/console/team", N_("Team report")),),
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
#: The console's languages: Dutch, the default, from the catalogue; English, the catalogue's ids.
LANGUAGES: dict[str, NullTranslations] = {"nl": translations("nl"), "en": NullTranslations()}
#: The language chosen with ``?lang=``, kept for the browser session (no Max-Age).
LANG_COOKIE = "exchange_console_lang"


@pass_context
def _name(context: Context, key: str | None, kind: str) -> str:
    """A Jinja filter: the name the covenant files give a party, purpose, category or covenant
    version (``kind``), from the page's ``<kind>_names``; the key itself if it has none."""
    if not key:
        return ""
    return str(context.get(f"{kind}_names", {}).get(key, key))


def _article_key(number: str) -> tuple[int, str]:
    """Articles in the order of the covenant: 3, 4a, 10, not as text (10, 3, 4a)."""
    digits = number[: len(number) - len(number.lstrip("0123456789"))]
    return (int(digits) if digits else 1 << 30, number)


def _by_article(articles: dict[str, Any]) -> list[tuple[str, Any]]:
    return sorted(articles.items(), key=lambda item: _article_key(item[0]))


def _version_label(ref: str) -> str:
    """A covenant version as people name it: 'pit/2021' is 'PIT 2021'."""
    covenant, _slash, version = ref.partition("/")
    return f"{covenant.upper()} {version}".strip()


def _environment(t: NullTranslations) -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [PackageLoader("exchange.console", "templates"), FileSystemLoader(SHARED_TEMPLATES)]
        ),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(t, newstyle=True)  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
    env.filters["action"] = labels.labeller(labels.ACTIONS, t.gettext)
    env.filters["outcome"] = labels.labeller(labels.OUTCOMES, t.gettext)
    env.filters["reason"] = labels.labeller(labels.REASONS, t.gettext)
    env.filters["phase"] = labels.labeller(labels.PHASES, t.gettext)
    env.filters["team"] = labels.labeller(labels.TEAM, t.gettext)
    env.filters["anomaly"] = labels.labeller(labels.ANOMALIES, t.gettext)
    env.filters["role"] = labels.labeller(labels.ROLES, t.gettext)
    env.filters["party_role"] = labels.labeller(labels.PARTY_ROLES, t.gettext)
    env.filters["kind"] = labels.labeller(labels.KINDS, t.gettext)
    env.filters["sensitivity"] = labels.labeller(labels.SENSITIVITIES, t.gettext)
    env.filters["form"] = labels.labeller(labels.FORMS, t.gettext)
    env.filters["line"] = labels.labeller(labels.LINES, t.gettext)
    env.filters["action_kind"] = labels.labeller(labels.ACTION_KINDS, t.gettext)
    env.filters["action_status"] = labels.labeller(labels.ACTION_STATUSES, t.gettext)
    env.filters["case_outcome"] = labels.labeller(labels.CASE_OUTCOMES, t.gettext)
    env.filters["verdict"] = labels.labeller(labels.VERDICTS, t.gettext)
    env.filters["text"] = str
    env.filters["nl_day"] = lambda d: d.strftime("%d-%m-%Y")
    env.filters["name"] = _name
    env.filters["by_article"] = _by_article
    env.filters["version_label"] = _version_label
    return env


ENVIRONMENTS = {code: _environment(t) for code, t in LANGUAGES.items()}
TEMPLATES = ENVIRONMENTS["nl"]


@dataclass(frozen=True, slots=True)
class Language:
    """The language of the page being made, and the link that shows the same page in the other."""

    code: str = "nl"
    switch: str = "/console?lang=en"
    chosen: bool = False  # asked for with ?lang= on this request: remember it in the cookie


_LANGUAGE: ContextVar[Language] = ContextVar("console_language")
_DUTCH = Language()


def choose_language(request: Request, get: bool = True) -> Language:
    """The page's language: ``?lang=`` if given (and then remembered), else the cookie, else Dutch.
    The switch link keeps the page and its query; after a form (``get=False``) it leads to the
    overview."""
    asked = request.query_params.get("lang")
    remembered = request.cookies.get(LANG_COOKIE, "nl")
    code = asked if asked in LANGUAGES else remembered if remembered in LANGUAGES else "nl"
    other = "en" if code == "nl" else "nl"
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "ticket")]
    path = request.url.path if get and request.url.path != "/console/login" else "/console"
    switch = path + "?" + urllib.parse.urlencode([*query, ("lang", other)])
    chosen = Language(code, switch, asked is not None)
    _LANGUAGE.set(chosen)
    if asked is not None and asked not in LANGUAGES:
        raise InvalidInputError(f"unknown language '{asked[:10]}': choose nl or en")
    return chosen


def remember(language: Language, response: Response) -> Response:
    """Keep a language asked for with ``?lang=`` for the rest of the browser session."""
    if language.chosen:
        response.set_cookie(
            LANG_COOKIE, language.code, path="/console", secure=True, httponly=True, samesite="strict"
        )
    return response


def _(message: str) -> str:
    """The catalogue's text for ``message`` in the page's language."""
    return LANGUAGES[_LANGUAGE.get(_DUTCH).code].gettext(message)


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    who = context.get("who")
    context.setdefault("nav", PAGES.get(who.role, ()) if isinstance(who, ConsoleUser) else ())
    language = _LANGUAGE.get(_DUTCH)
    template = ENVIRONMENTS[language.code].get_template(name)
    context.update(lang=language.code, switch=language.switch)
    return HTMLResponse(template.render(**context), status_code=status, headers=HEADERS)


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
    400: N_("Invalid input"),
    401: N_("Not signed in"),
    403: N_("No access"),
    404: N_("Not found"),
    409: N_("Not possible in this state"),
    413: N_("Too large"),
    503: N_("Temporarily unavailable"),
}


def error_page(exc: ExchangeError, who: ConsoleUser | None) -> HTMLResponse:
    status, _problem = http_status(exc)
    return message(_(ERROR_TITLES.get(status, N_("Error"))), _(exc.diagnostics()), status, who)


def refused(who: ConsoleUser | None) -> HTMLResponse:
    return message(_("Refused"), _("The form did not come from this page (CSRF)."), 403, who)


def not_signed_in(exc: NotSignedIn) -> HTMLResponse:
    return message(_("Not signed in"), _(exc.diagnostics()) + ".", 401)


def no_access(who: ConsoleUser) -> HTMLResponse:
    text = _("This page is not for the role '%(role)s'.") % {"role": who.role}
    return message(_("No access"), text, 403, who)


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
            who = current_user(session, request.cookies.get(COOKIE), self.now())
        return replace(who, party_name=self.party_name(who.party))

    def party_name(self, party: str) -> str:
        """The name the covenant files give a party (a later version's name wins), else its id."""
        name = party
        for v in self.service.versions:
            p = v.covenant.parties.get(PartyId(party))
            if p is not None:
                name = p.name
        return name

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
                language = choose_language(request)
            except InvalidInputError as exc:
                return error_page(exc, None)
            try:
                who = self.signed_in(request)
            except NotSignedIn as exc:
                return remember(language, not_signed_in(exc))
            if who.role not in roles:
                return remember(language, no_access(who))
            try:
                return remember(language, handler(request, who))
            except ExchangeError as exc:
                return remember(language, error_page(exc, who))

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
                choose_language(request, get=False)
            except InvalidInputError as exc:
                return error_page(exc, None)
            try:
                who = await run_in_threadpool(self.signed_in, request)
            except NotSignedIn as exc:
                return not_signed_in(exc)
            if who.role not in roles:
                return no_access(who)
            form = await request.form(max_files=0, max_fields=10)
            token = form.get("csrf")
            if not isinstance(token, str) or not hmac.compare_digest(token.encode(), who.csrf.encode()):
                return refused(who)
            try:
                return await run_in_threadpool(handler, request, who, form)
            except ExchangeError as exc:
                return error_page(exc, who)

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
