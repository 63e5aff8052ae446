"""The node's web workspace: sign-in, the start page, sign-out. Server-rendered, no script at all.

Every response carries a strict Content-Security-Policy (only the node's own style sheets; no script,
no inline style), refuses to be framed, and sends no referrer; pages are never cached. Sessions live
in a ``Secure; HttpOnly; SameSite=Strict`` cookie. Every POST carries a CSRF token checked here: the
session's synchroniser token, or before there is a session (the sign-in form), a token that must
match a pre-session cookie (double submit). Texts come from the Dutch catalogue (:mod:`.i18n`).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import text
from sqlalchemy.orm import Session

from exchange.i18n import SHARED_STATIC, SHARED_TEMPLATES, translations
from exchange.node import (
    access_web,
    approvals_web,
    cases,
    forwards_web,
    index_web,
    oidc_web,
    oversight,
    requests_web,
    signals,
    start_web,
)
from exchange.node.context import Pages, local_time
from exchange.node.covenants import CovenantBook
from exchange.node.followup_web import FollowUpSection
from exchange.node.runtime import NodeRuntime
from exchange.node.signin import (
    SignedIn,
    SignInFailed,
    csrf_matches,
    current,
    drop_session,
    sign_in,
    sign_out,
)

HERE = Path(__file__).parent
COOKIE = "exchange_node"
PRE_COOKIE = "exchange_node_signin"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([HERE / "templates", SHARED_TEMPLATES]),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(), newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    env.filters["local"] = local_time
    env.globals["oversight_roles"] = oversight.roles_for
    return env


def create_app(rt: NodeRuntime) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    env = environment()
    secure = rt.settings.cookie_secure
    console = rt.settings.console_origin()
    headers = dict(HEADERS)
    if console is not None:
        # The oversight button's POST is answered with a redirect to the console: allow it.
        headers["Content-Security-Policy"] = HEADERS["Content-Security-Policy"].replace(
            "form-action 'self'", f"form-action 'self' {console}"
        )
    max_idle = rt.settings.idle_timeout_minutes * 60
    menu = start_web.MenuCounts()

    @app.middleware("http")
    async def _headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(headers)
        if rt.oidc is not None:
            # The sign-out form is sent on to the provider's end_session endpoint (a redirect that
            # Chromium checks against form-action too).
            origins = " ".join(rt.oidc.client.origins())
            response.headers["Content-Security-Policy"] = headers["Content-Security-Policy"].replace(
                "form-action 'self'", f"form-action 'self' {origins}"
            )
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    # The NL Design System files are shared with the hub's console (exchange/static/vendor).
    app.mount("/static/vendor", StaticFiles(directory=SHARED_STATIC / "vendor"), name="vendor")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
        values.setdefault("party", rt.party)
        values.setdefault("who", None)
        values.setdefault("menu_counts", menu.of(values["who"]))
        values.setdefault("policy_failures", rt.policy.max_failures)
        values.setdefault("policy_minutes", int(rt.policy.lockout.total_seconds()) // 60)
        values.setdefault("oidc_name", rt.oidc.display_name if rt.oidc is not None else "")
        values.setdefault("local_restricted", rt.policy.local_only is not None)
        return HTMLResponse(env.get_template(template).render(**values), status_code=status)

    def refused(who: SignedIn | None = None) -> HTMLResponse:
        return page("message.html", 403, kind="csrf", who=who)

    def who_is(session: Session, request: Request) -> SignedIn | None:
        return current(session, request.cookies.get(COOKIE), rt.clock(), rt.policy)

    def cookie(response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            name, value, max_age=max_age, path="/", secure=secure, httponly=True, samesite="strict"
        )

    def forget(response: Response, name: str) -> None:
        response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="strict")

    @app.get("/health")
    def health() -> Response:
        """For the container's health check: the store answers. Says nothing else."""
        with rt.sessions.begin() as s:
            s.execute(text("SELECT 1"))
        return Response("ok\n", media_type="text/plain")

    @app.get("/")
    def root(request: Request) -> Response:
        with rt.sessions.begin() as s:
            who = who_is(s, request)
        return RedirectResponse("/start" if who else "/aanmelden", 303)

    @app.get("/aanmelden")
    def signin_form(request: Request, afgemeld: int = 0) -> Response:
        token = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(32)
        response = page("signin.html", csrf=token, signed_out=bool(afgemeld), failed=False, name="")
        cookie(response, PRE_COOKIE, token, 3600)
        return response

    @app.post("/aanmelden")
    def signin_post(
        request: Request,
        name: str = Form("", max_length=200),
        password: str = Form("", max_length=1024),
        csrf: str = Form("", max_length=100),
    ) -> Response:
        expected = request.cookies.get(PRE_COOKIE)
        if expected is None or not csrf_matches(expected, csrf):
            return refused()
        failed = False
        with rt.sessions.begin() as s:
            try:
                token, _ = sign_in(s, name.strip(), password, rt.clock(), rt.policy)
            except SignInFailed:
                failed = True
            else:
                # A sign-in replaces whatever session this browser held: no token outlives it.
                drop_session(s, request.cookies.get(COOKIE))
        if failed:
            return page("signin.html", csrf=expected, signed_out=False, failed=True, name=name.strip())
        response = RedirectResponse("/start", 303)
        # A session cookie (no Max-Age): closing the browser ends it; the server ends it when idle.
        cookie(response, COOKIE, token, None)
        forget(response, PRE_COOKIE)
        return response

    @app.post("/afmelden")
    def signout(request: Request, csrf: str = Form("", max_length=100)) -> Response:
        with rt.sessions.begin() as s:
            who = who_is(s, request)
            if who is None:
                return RedirectResponse("/aanmelden", 303)
            if not csrf_matches(who.csrf, csrf):
                return refused(who)
            sign_out(s, request.cookies.get(COOKIE), rt.clock())
        end = (
            rt.oidc.client.end_session_url(rt.oidc.post_logout_redirect_uri)
            if rt.oidc is not None and who.account.external
            else None
        )
        # Signed in through the provider: end its session too, where it offers an end_session endpoint.
        response = RedirectResponse(end or "/aanmelden?afgemeld=1", 303)
        forget(response, COOKIE)
        return response

    # The provider's pages (index, enrichment requests, answers) in their own modules.
    pages = Pages(rt, page, who_is, refused)
    index_web.install(app, pages)
    requests_web.install(app, pages)
    # Sign-in through the organisation's OpenID provider (ADR 0020).
    oidc_web.install(app, pages)
    book = CovenantBook(rt.settings.convenant_dir, rt.party.id)
    app.include_router(signals.router(pages, book))
    sections = (FollowUpSection(pages, book), start_web.SeenSection(pages, menu))
    app.include_router(cases.router(pages, book, sections))
    app.include_router(access_web.router(pages, book))
    app.include_router(approvals_web.router(pages, book))
    app.include_router(forwards_web.router(pages, book))
    # The start page per role, the party's own action points and the feedback it received.
    start_web.install(app, pages, book, menu, max_idle // 60)
    oversight.install(app, pages)

    @app.get("/toegankelijkheid")
    def accessibility(request: Request) -> Response:
        """The accessibility statement: public, like the sign-in page."""
        return page("accessibility.html", who=pages.signed_in(request))

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        return page("message.html", 404, kind="not-found", who=None)

    return app
