"""Signals a partner's coordinator forwarded to this party (``/doorgestuurd``): the new ones from the
hub's inbox (metadata only), opened on the node with the party's keys after the sender's signature
is checked against the hub's key directory, and then kept sealed on the node, since the hub lists a
forward only until it is opened. Any signed-in user in a role the covenant lets the party hold may
open them; the hub decides whether that role may read the forward's flow."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from exchange.client.directory import DirectoryAnswerError, DirectoryRefused, fetch_directory
from exchange.client.forwards import open_forward, read_inbox
from exchange.errors import VerificationError
from exchange.node.access_records import ForwardReceivedRow
from exchange.node.context import HUB_ERRORS, Pages, trouble
from exchange.node.covenants import CovenantBook
from exchange.node.sealing import open_sealed, seal
from exchange.node.signin import SignedIn

FORWARD_ID = re.compile(r"^fwd-[0-9a-f]{32}$")
LISTED = 100


def router(pages: Pages, book: CovenantBook) -> APIRouter:
    r = APIRouter()
    rt = pages.rt

    def reader(request: Request) -> tuple[SignedIn, str] | Response:
        who = pages.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        role = pages.role(who)
        if role is None:
            return pages.page("forwards_message.html", 403, who=who)
        return who, role

    def kept() -> list[dict[str, Any]]:
        with rt.sessions.begin() as s:
            rows = s.scalars(
                select(ForwardReceivedRow).order_by(ForwardReceivedRow.opened.desc()).limit(LISTED)
            ).all()
            return [
                {**json.loads(open_sealed(rt.data_key, row.sealed)), "opened": row.opened} for row in rows
            ]

    def listing(who: SignedIn, role: str, status: int = 200, **values: Any) -> Response:
        client = pages.hub(who, role)
        try:
            waiting: list[Any] = read_inbox(client).get("forwards", [])
            problem = None
        except HUB_ERRORS as exc:
            waiting, problem = [], trouble(exc)
        finally:
            client.close()
        values.setdefault("failed", None)
        return pages.render(
            "forwards.html",
            who,
            status,
            waiting=waiting,
            opened=kept(),
            hub_trouble=problem,
            party_names=book.party_names(),
            purpose_names=book.purpose_names(),
            **values,
        )

    @r.get("/doorgestuurd")
    def forwards(request: Request) -> Response:
        got = reader(request)
        return listing(*got) if isinstance(got, tuple) else got

    @r.post("/doorgestuurd/{forward_id}/openen")
    def open_one(request: Request, forward_id: str, csrf: str = Form("", max_length=100)) -> Response:
        got = reader(request)
        if not isinstance(got, tuple):
            return got
        who, role = got
        if not pages.csrf_ok(who, csrf):
            return pages.refused(who)
        if not FORWARD_ID.match(forward_id):
            return pages.page("message.html", 404, kind="not-found", who=who)
        client = pages.hub(who, role)
        try:
            directory = fetch_directory(client)
            try:
                opened = open_forward(client, rt.keystore.keys, forward_id, directory.signing_keys())
            except (VerificationError, DirectoryRefused):
                return listing(who, role, 422, failed="unverified")
        except (DirectoryAnswerError, *HUB_ERRORS) as exc:
            return listing(
                who, role, 503 if trouble(exc).kind != "refused" else 409, failed=trouble(exc).kind
            )
        finally:
            client.close()
        content = {
            "id": opened.id,
            "sender": opened.sender,
            "purpose": opened.purpose,
            "covenant": opened.covenant,
            "created": opened.created,
            "text": opened.text,
        }
        with rt.sessions.begin() as s:
            if s.get(ForwardReceivedRow, opened.id) is None:
                s.add(
                    ForwardReceivedRow(
                        id=opened.id,
                        opened=rt.clock(),
                        opened_by=who.account.id,
                        sealed=seal(rt.data_key, json.dumps(content).encode()),
                    )
                )
        return RedirectResponse(f"/doorgestuurd#{opened.id}", 303)

    return r
