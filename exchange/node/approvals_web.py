"""Covenant revisions on the node, for the privacy officers and jurists who approve them on behalf of
their organisation: every proposed version of a covenant the party takes part in, with what it is
asked to do, the scenario results and the impact report; one button approves, as the signed-in
user, over the signed API (``POST /v1/covenant-versions/{digest}/approval``). The hub checks that
the party signs the covenant and that the role may approve; this page only offers the button where
the hub asks for it."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from exchange.client import revisions
from exchange.node.context import HUB_ERRORS, Pages, trouble
from exchange.node.covenants import CovenantBook
from exchange.node.signin import SignedIn

APPROVERS = ("privacy-officer", "jurist")
DIGEST = re.compile(r"^[A-Za-z0-9:_-]{16,100}$")


def approver_role(pages: Pages, who: SignedIn) -> str | None:
    """The role the user approves in: jurist first, then privacy officer, if the party may hold it."""
    for role in ("jurist", "privacy-officer"):
        if role in who.account.roles and role in pages.rt.party.roles:
            return role
    return None


def router(pages: Pages, book: CovenantBook) -> APIRouter:
    r = APIRouter()

    def approver(request: Request) -> tuple[SignedIn, str] | Response:
        who = pages.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        role = approver_role(pages, who)
        if role is None:
            return pages.page("approvals_message.html", 403, who=who)
        return who, role

    def listing(who: SignedIn, role: str, status: int = 200, **values: Any) -> Response:
        client = pages.hub(who, role)
        try:
            versions: list[Any] = revisions.listing(client)
            problem = None
        except HUB_ERRORS as exc:
            versions, problem = [], trouble(exc)
        finally:
            client.close()
        values.setdefault("done", "")
        return pages.render(
            "approvals.html",
            who,
            status,
            versions=versions,
            hub_trouble=problem,
            party_names=book.party_names(),
            **values,
        )

    @r.get("/convenantversies")
    def versions(request: Request, gedaan: str = "") -> Response:
        got = approver(request)
        if not isinstance(got, tuple):
            return got
        return listing(*got, done=gedaan[:20])

    @r.post("/convenantversies/{digest}/goedkeuren")
    def approve(request: Request, digest: str, csrf: str = Form("", max_length=100)) -> Response:
        got = approver(request)
        if not isinstance(got, tuple):
            return got
        who, role = got
        if not pages.csrf_ok(who, csrf):
            return pages.refused(who)
        if not DIGEST.match(digest):
            return pages.page("message.html", 404, kind="not-found", who=who)
        client = pages.hub(who, role)
        try:
            revisions.approve(client, digest)
        except HUB_ERRORS as exc:
            return listing(who, role, 503 if trouble(exc).kind != "refused" else 409, failed=trouble(exc))
        finally:
            client.close()
        return RedirectResponse("/convenantversies?gedaan=goedgekeurd", 303)

    return r
