"""The workspace's sign-in through the organisation's OpenID provider: the button's route, which sends
the browser to the provider, and the callback it comes back to.

The start is a link (GET): it changes nothing but a flow cookie, and a link is not bound by the CSP's
``form-action``. The flow cookie is ``SameSite=Lax``, not ``Strict``, because the provider's redirect
back is a cross-site navigation that must carry it; it holds only a random token whose SHA-256 names
the flow in the store, and it is used up at the callback. The session cookie is ``Strict`` as for a
local sign-in, so the callback answers with a page that moves on to the start page itself (a
navigation from the node's own page carries a ``Strict`` cookie; the provider's redirect would not).
Every sign-in and refusal is audited by user id (or without one when there is no account).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from exchange.node import oidc
from exchange.node.accounts import audit
from exchange.node.oidc_accounts import NoAccess, sign_in_oidc, start_flow, take_flow
from exchange.node.signin import drop_session
from exchange.node.store import AuditKind
from exchange.node.webkit import Web

FLOW_COOKIE = "exchange_node_oidc"
FLOW_PATH = "/aanmelden/oidc"
SESSION_COOKIE = "exchange_node"  # as exchange.node.web.COOKIE

#: How a refusal is audited and answered: (audit kind, page kind, status).
REFUSALS = {
    oidc.STATE: (AuditKind.OIDC_BAD_STATE, "failed", 400),
    oidc.TOKEN: (AuditKind.OIDC_BAD_TOKEN, "failed", 400),
    oidc.PROVIDER: (AuditKind.OIDC_PROVIDER_ERROR, "failed", 502),
    oidc.UNREACHABLE: (AuditKind.OIDC_PROVIDER_ERROR, "unreachable", 502),
    oidc.DENIED: (AuditKind.OIDC_PROVIDER_ERROR, "failed", 403),
}


def install(app: FastAPI, web: Web) -> None:
    rt = web.rt
    secure = rt.settings.cookie_secure

    def message(kind: str, status: int) -> Response:
        name = rt.oidc.display_name if rt.oidc is not None else ""
        response = web.page("oidc_message.html", status, kind=kind, oidc_name=name)
        response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, secure=secure, httponly=True, samesite="lax")
        return response

    def refuse(reason: str) -> Response:
        kind, page_kind, status = REFUSALS[reason]
        with rt.sessions.begin() as s:
            audit(s, kind, None, rt.clock())
        return message(page_kind, status)

    @app.get(FLOW_PATH)
    def oidc_start() -> Response:
        if rt.oidc is None:
            return RedirectResponse("/aanmelden", 303)
        try:
            begun = rt.oidc.client.begin()
        except oidc.OidcRefused as exc:
            return refuse(exc.reason)
        with rt.sessions.begin() as s:
            token = start_flow(s, begun, rt.data_key, rt.clock())
        response = RedirectResponse(begun.url, 303)
        response.set_cookie(
            FLOW_COOKIE, token, max_age=600, path=FLOW_PATH, secure=secure, httponly=True, samesite="lax"
        )
        return response

    @app.get(FLOW_PATH + "/terug")
    def oidc_callback(
        request: Request,
        state: str = "",
        code: str = "",
        error: str = "",
        iss: str | None = None,
    ) -> Response:
        if rt.oidc is None:
            return RedirectResponse("/aanmelden", 303)
        with rt.sessions.begin() as s:
            flow = take_flow(s, request.cookies.get(FLOW_COOKIE), state[:200], rt.data_key, rt.clock())
        if flow is None:
            return refuse(oidc.STATE)
        if error:
            # The provider refused or the user cancelled there; its own text is not shown or kept.
            return refuse(oidc.DENIED)
        nonce, verifier = flow
        try:
            identity = rt.oidc.client.finish(code[:2000], nonce, verifier, iss)
        except oidc.OidcRefused as exc:
            return refuse(exc.reason)
        failed: NoAccess | None = None
        with rt.sessions.begin() as s:
            try:
                token, _ = sign_in_oidc(s, identity, rt.oidc.roles, rt.party, rt.clock())
            except NoAccess as exc:
                failed = exc
            else:
                drop_session(s, request.cookies.get(SESSION_COOKIE))
        if failed is not None:
            return message(failed.reason, 403)
        response = message("signed-in", 200)
        # A session cookie (no Max-Age), as for a local sign-in.
        response.set_cookie(
            SESSION_COOKIE, token, max_age=None, path="/", secure=secure, httponly=True, samesite="strict"
        )
        return response
