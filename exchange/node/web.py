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

from exchange.node import cases, index_web, requests_web, signals
from exchange.node.context import Pages, local_time
from exchange.node.covenants import CovenantBook
from exchange.node.hub import LISTS, HubStatus, inbox_counts
from exchange.node.i18n import translations
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
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(), newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    env.filters["local"] = local_time
    return env


def create_app(rt: NodeRuntime) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    env = environment()
    secure = rt.settings.cookie_secure
    max_idle = rt.settings.idle_timeout_minutes * 60

    @app.middleware("http")
    async def _headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
        values.setdefault("party", rt.party)
        values.setdefault("who", None)
        values.setdefault("policy_failures", rt.policy.max_failures)
        values.setdefault("policy_minutes", int(rt.policy.lockout.total_seconds()) // 60)
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

    @app.get("/start")
    def start(request: Request) -> Response:
        with rt.sessions.begin() as s:
            who = who_is(s, request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        # The node asserts to the hub only a role the user holds *and* the covenants still allow the
        # party: roles stored before a covenant revision may no longer be allowed.
        allowed = [r for r in who.account.roles if r in rt.party.roles]
        hub = (
            inbox_counts(
                rt.settings.hub_url,
                rt.keystore.keys.current,
                who.account.name,
                allowed[0],
                rt.settings.hub_timeout_seconds,
            )
            if allowed
            else HubStatus(None, problem="no-role")
        )
        return page("start.html", who=who, hub=hub, lists=LISTS, idle_minutes=max_idle // 60)

    @app.post("/afmelden")
    def signout(request: Request, csrf: str = Form("", max_length=100)) -> Response:
        with rt.sessions.begin() as s:
            who = who_is(s, request)
            if who is None:
                return RedirectResponse("/aanmelden", 303)
            if not csrf_matches(who.csrf, csrf):
                return refused(who)
            sign_out(s, request.cookies.get(COOKIE), rt.clock())
        response = RedirectResponse("/aanmelden?afgemeld=1", 303)
        forget(response, COOKIE)
        return response

    # The provider's pages (index, enrichment requests, answers) in their own modules.
    pages = Pages(rt, page, who_is, refused)
    index_web.install(app, pages)
    requests_web.install(app, pages)
    book = CovenantBook(rt.settings.convenant_dir, rt.party.id)
    app.include_router(signals.router(pages, book))
    app.include_router(cases.router(pages, book))

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        return page("message.html", 404, kind="not-found", who=None)

    return app
