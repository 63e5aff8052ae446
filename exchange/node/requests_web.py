"""Enrichment requests waiting for this party, and answering them: the address in plaintext from
the party's own index, the categories, purpose, article and legal ground, exactly which recipients
the covenant allows; an answer typed or attached, stored as a sealed draft, then sent (now, or later
as its author with the same Idempotency-Key when the hub was away)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from exchange.errors import NotFoundError
from exchange.node import answers, index_sync
from exchange.node.provided import grounds_for, in_force
from exchange.node.provider_hub import HubTrouble, connected, pending_requests, recipients
from exchange.node.records import DraftRow, DraftState
from exchange.node.signin import SignedIn
from exchange.node.webkit import TooLarge, Web, csrf_ok, field, file_bytes, limited_form
from exchange.policies.files import load_tree

IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
MAX_TEXT = 20_000


def install(app: FastAPI, web: Web) -> None:
    rt = web.rt

    def covenants() -> list[Any]:
        return in_force([v.covenant for v in load_tree(rt.settings.convenant_dir)], date.today())

    def party_names() -> dict[str, str]:
        """Party id to its name in the covenant files, for the page to name parties by."""
        return {str(p): party.name for c in covenants() for p, party in c.parties.items()}

    def listed(who: SignedIn, role: str) -> tuple[list[dict[str, Any]], str | None]:
        """The requests waiting at the hub, each with its grounds and the addresses the node knows."""
        try:
            with connected(rt, who.account.name, role) as client:
                found = pending_requests(client)
        except HubTrouble as exc:
            return [], exc.problem
        versions = covenants()
        subjects = [str(s) for r in found for s in r.get("subjects") or []]
        with rt.sessions.begin() as s:
            known = index_sync.addresses(s, rt.data_key, subjects)
        names = {str(p): party.name for c in versions for p, party in c.parties.items()}
        for r in found:
            r["requester_name"] = names.get(str(r.get("requested_by", "")), r.get("requested_by"))
            r["grounds"] = grounds_for(
                versions,
                rt.party.id,
                str(r.get("covenant", "")),
                str(r.get("category", "")),
                str(r.get("purpose", "")),
                str(r.get("requested_by", "")),
                str(r.get("phase", "")),
            )
            r["addresses"] = [known[str(x)] for x in r.get("subjects") or [] if str(x) in known]
            r["unknown"] = sum(1 for x in r.get("subjects") or [] if str(x) not in known)
        return found, None

    def work(who: SignedIn) -> tuple[list[dict[str, Any]], str | None, list[answers.DraftView]]:
        answers.send_pending(rt)  # at every visit, drafts the hub could not take are tried again
        role = web.role(who)
        found, problem = listed(who, role) if role else ([], "no-role")
        with rt.sessions.begin() as s:
            drafts = answers.drafts(s, rt.data_key, (DraftState.PENDING, DraftState.REFUSED))
        return found, problem, drafts

    @app.get("/verzoeken")
    async def requests_page(request: Request) -> Response:
        who = web.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        found, problem, drafts = await run_in_threadpool(work, who)
        return web.page("requests.html", who=who, requests=found, problem=problem, drafts=drafts)

    def one(who: SignedIn, request_id: str) -> tuple[dict[str, Any] | None, str | None, list[Any]]:
        role = web.role(who)
        found, problem = listed(who, role) if role else ([], "no-role")
        mine = next((r for r in found if str(r.get("id")) == request_id), None)
        allowed: list[Any] = []
        if mine is not None and role is not None:
            try:
                with connected(rt, who.account.name, role) as client:
                    allowed = recipients(client, str(mine["case"]), str(mine["category"]))
            except HubTrouble as exc:
                problem = exc.problem
        return mine, problem, allowed

    @app.get("/verzoeken/{request_id}")
    async def request_page(request: Request, request_id: str) -> Response:
        who = web.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        mine, problem, allowed = await run_in_threadpool(one, who, request_id[:100])
        if mine is None and problem is None:
            return web.page("message.html", 404, kind="not-found", who=who)
        return web.page(
            "request.html",
            who=who,
            req=mine,
            problem=problem,
            allowed=allowed,
            names=party_names(),
            error=None,
            text="",
            max_kb=answers.MAX_ANSWER_BYTES // 1024,
        )

    @app.post("/verzoeken/{request_id}/antwoord")
    async def answer(request: Request, request_id: str) -> Response:
        who = web.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        try:
            form = await limited_form(request, answers.MAX_ANSWER_BYTES)
            got = await file_bytes(form, "file", answers.MAX_ANSWER_BYTES)
        except TooLarge:
            return await error_page(who, request_id, "too-large", "", 413)
        if not csrf_ok(who, form):
            return web.refused(who)
        text = field(form, "text", MAX_TEXT + 1).strip()
        case, category = field(form, "case", 100), field(form, "category", 64)
        role = web.role(who)
        if not IDENTIFIER.fullmatch(case) or not IDENTIFIER.fullmatch(category) or role is None:
            return web.page("message.html", 404, kind="not-found", who=who)
        if got is None and not text:
            return await error_page(who, request_id, "empty", text, 400)
        if len(text) > MAX_TEXT:
            return await error_page(who, request_id, "text-too-long", text[:MAX_TEXT], 400)
        content, filename = got if got is not None else (text.encode("utf-8"), None)
        req = {"id": request_id[:100], "case": case, "category": category}
        with rt.sessions.begin() as s:
            draft_id = answers.write(
                s, rt.data_key, req, content, filename, who.account.id, who.account.name, role, rt.clock()
            )
        await run_in_threadpool(answers.send, rt, draft_id)
        return RedirectResponse(f"/concepten/{draft_id}", 303)

    async def error_page(who: SignedIn, request_id: str, error: str, text: str, status: int) -> Response:
        mine, problem, allowed = await run_in_threadpool(one, who, request_id[:100])
        return web.page(
            "request.html",
            status,
            who=who,
            req=mine,
            problem=problem,
            allowed=allowed,
            names=party_names(),
            error=error,
            text=text,
            max_kb=answers.MAX_ANSWER_BYTES // 1024,
        )

    @app.get("/concepten/{draft_id}")
    def draft_page(request: Request, draft_id: str) -> Response:
        who = web.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        with rt.sessions.begin() as s:
            row = s.get(DraftRow, draft_id[:40])
            if row is None:
                return web.page("message.html", 404, kind="not-found", who=who)
            draft = answers.view(s, rt.data_key, row)
        return web.page("draft.html", who=who, draft=draft)

    @app.post("/concepten/{draft_id}/verzenden")
    async def resend(request: Request, draft_id: str) -> Response:
        who = await web.button(request)
        if not isinstance(who, SignedIn):
            return who
        try:
            await run_in_threadpool(answers.send, rt, draft_id[:40])
        except NotFoundError:
            return web.page("message.html", 404, kind="not-found", who=who)
        return RedirectResponse(f"/concepten/{draft_id[:40]}", 303)
