"""The browser console: pages in the service for the privacy officer, the jurist, the case table and
the team lead, server-rendered, with no script.

Sign-in is a one-time ticket from a signed API request (``exchange client console``); which role
sees which pages is set in :mod:`exchange.console.web`. Every page that shows log or case data
writes its own view event first, in the same unit of work as the query: if the view cannot be
logged, nothing is shown. Dossier content is never decrypted here; pages show metadata and point
to the party's client. Pages carry a strict Content-Security-Policy and are never cached.
"""

from __future__ import annotations

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from exchange.console import annual, casetable, jurist, privacy, proposals, team
from exchange.console.host import ConsoleHost
from exchange.console.sessions import (
    COOKIE,
    SESSION_LIFETIME,
    ConsoleUser,
    NotSignedIn,
    end_session,
    redeem_ticket,
)
from exchange.console.web import (
    CONSOLE_ROLES,
    HEADERS,
    TEMPLATES,
    Console,
    _,
    choose_language,
    error_page,
    message,
    refused,
    remember,
    render,
)
from exchange.errors import InvalidInputError
from exchange.i18n import SHARED_STATIC

__all__ = ["CONSOLE_ROLES", "install"]

_ICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    b'<rect width="16" height="16" rx="3" fill="#154273"/><path d="M4 5h8M4 8h8M4 11h5" stroke="#fff"/></svg>'
)
_CSS = (TEMPLATES.loader.get_source(TEMPLATES, "console.css")[0]).encode()  # type: ignore[union-attr]  # TEMPLATES is built with a PackageLoader (console.web)


def install(app: FastAPI, service: ConsoleHost) -> None:
    """Add the console's routes to the service (outside the OpenAPI document: they are pages)."""
    console = Console(app, service)

    # The NL Design System files the party node uses too: one copy, in exchange/static/vendor.
    vendor = StaticFiles(directory=SHARED_STATIC / "vendor")
    app.mount("/console/static/vendor", vendor, name="console-vendor")

    @app.get("/console/login", include_in_schema=False)
    def login(request: Request, ticket: str = "") -> Response:
        try:
            language = choose_language(request)
        except InvalidInputError as exc:
            return error_page(exc, None)
        try:
            with service.sessions.begin() as session:
                token, _who = redeem_ticket(session, ticket, console.now())
        except NotSignedIn as exc:
            return remember(language, message(_("Signing in failed"), _(exc.diagnostics()), 401))
        response = remember(language, RedirectResponse("/console", status_code=303, headers=HEADERS))
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
            choose_language(request, get=False)
        except InvalidInputError as exc:
            return error_page(exc, None)
        try:
            who = console.signed_in(request)
        except NotSignedIn:
            return message(_("Signed out"), _("You are not (or no longer) signed in."), 200)
        if not csrf or csrf != who.csrf:
            return refused(who)
        with service.sessions.begin() as session:
            end_session(session, request.cookies.get(COOKIE, ""))
        response = message(_("Signed out"), _("You have been signed out."), 200)
        response.delete_cookie(COOKIE, path="/console", secure=True, httponly=True, samesite="strict")
        return response

    @app.get("/console/toegankelijkheid", include_in_schema=False)
    def accessibility(request: Request) -> Response:
        """The accessibility statement: public, like the sign-in page."""
        try:
            language = choose_language(request)
        except InvalidInputError as exc:
            return error_page(exc, None)
        try:
            who: ConsoleUser | None = console.signed_in(request)
        except NotSignedIn:
            who = None
        return remember(language, render("accessibility.html", title=_("Accessibility statement"), who=who))

    @app.get("/console/static/console.css", include_in_schema=False)
    def css() -> Response:
        return Response(_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @app.get("/console/static/icon.svg", include_in_schema=False)
    def icon() -> Response:
        return Response(_ICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})

    def overview(request: Request, who: ConsoleUser) -> Response:
        with service.readers.begin() as session:
            size = service.log.size(session)
            checkpoint = service.log.latest_checkpoint(session)
            cp = {"size": checkpoint.size, "created": str(checkpoint.created)[:19]} if checkpoint else None
        return render("overview.html", title=_("Overview"), who=who, size=size, checkpoint=cp)

    console.page("/console", overview)
    privacy.install(console)
    jurist.install(console)
    casetable.install(console)
    annual.install(console)
    team.install(console)
    proposals.install(console)
