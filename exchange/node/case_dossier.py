"""The case's dossier on the coordinator's case page: the items sealed for this party, verified with
the hub's key directory and opened on this node; an attachment to download; the dossier as printable
HTML and as PDF (:mod:`exchange.client.dossier_html`, :mod:`exchange.client.dossier_pdf`), made here.

Every view reads the items again from the hub, which logs each read; nothing decrypted is kept on the
node. An item whose signature does not verify, or that does not open, is named with a warning and
its content is not shown (spec: docs/specs/dossier-envelope.md). Every answer carrying decrypted
content is ``Cache-Control: no-store``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from exchange.client.directory import DirectoryAnswerError, DirectoryRefused, Signers, fetch_directory
from exchange.client.dossier import DossierEntry, open_dossier, printable
from exchange.client.dossier_html import OpenedItem, render
from exchange.client.dossier_pdf import render_pdf
from exchange.client.http import ExchangeClient
from exchange.client.texts import hub_answer
from exchange.errors import ConfigurationError
from exchange.i18n import translations
from exchange.node import case_enrichment
from exchange.node.case_enrichment import category_name, party_name
from exchange.node.context import HUB_ERRORS, HubTrouble, Pages, local_time, trouble
from exchange.node.covenants import CovenantBook
from exchange.node.provided import grounds_for
from exchange.node.signin import SignedIn
from exchange.policies.engine import LEGAL_TIMEZONE
from exchange.policies.model import Covenant
from exchange.vocabulary import Phase, Purpose

CASE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ITEM_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
NO_STORE = {"Cache-Control": "no-store"}
PHASES = [str(p) for p in Phase if p != Phase.CLOSED]

CasePage = Callable[..., Response]


def entries_of(pages: Pages, client: ExchangeClient, case_id: str) -> list[DossierEntry]:
    """The items sealed for this party, each verified with the hub's key directory and opened. A
    directory that fails its own checks verifies nothing: every item then carries its failure."""
    try:
        signers: Signers = fetch_directory(client)
    except DirectoryRefused:
        signers = {}
    return open_dossier(client, pages.rt.keystore.keys, case_id, signers)


def fetched(
    pages: Pages, client: ExchangeClient, case_id: str
) -> tuple[list[DossierEntry], HubTrouble | None]:
    try:
        return entries_of(pages, client, case_id), None
    except DirectoryAnswerError as exc:
        return [], HubTrouble("busy" if exc.status == 503 else "refused", exc.status)
    except HUB_ERRORS as exc:
        return [], trouble(exc)


def grounds(
    book: CovenantBook, covenant: Covenant | None, party: str, provider: str, category: str, purpose: str
) -> tuple[list[tuple[str, str]], list[str]]:
    """The articles and legal grounds of the covenant's flows that let ``provider`` give ``category``
    to ``party`` for ``purpose``, over the phases of a case (the item may be from an earlier one)."""
    if covenant is None:
        return [], []
    articles: dict[str, str] = {}
    found: dict[str, None] = {}
    for phase in PHASES:
        g = grounds_for([covenant], provider, str(covenant.ref.id), category, purpose, party, phase)
        articles.update(dict(g.articles))
        found.update(dict.fromkeys(g.grounds))
    return sorted(articles.items()), list(found)


def purpose_name(covenant: Covenant | None, purpose: str) -> str:
    found = covenant.purposes.get(Purpose(purpose)) if covenant else None
    return found.name if found else purpose


def _local(created: str) -> str:
    moment = created_at(created)
    return local_time(moment) if moment is not None else created


def created_at(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def item_view(
    book: CovenantBook, covenant: Covenant | None, party: str, purpose: str, e: DossierEntry
) -> dict[str, Any]:
    articles, legal = grounds(book, covenant, party, e.provider, e.category, purpose)
    text = e.text
    return {
        "item": e.item,
        "provider": party_name(covenant, e.provider) if e.provider else "",
        "category": category_name(covenant, e.category) if e.category else "",
        "created": created_at(e.created),
        "articles": articles,
        "grounds": legal,
        "failed": e.content is None,
        "text": text,
        "attachment": e.attachment()[1] if e.content is not None and text is None else None,
        "size": len(e.content) if e.content is not None else 0,
    }


def sections(
    pages: Pages,
    book: CovenantBook,
    who: SignedIn,
    case_id: str,
    hub: dict[str, Any] | None,
    covenant: Covenant | None,
    phase: str,
) -> dict[str, Any]:
    """What the enrichment and dossier sections of the case page show."""
    client = pages.hub(who)
    try:
        values = case_enrichment.section(pages, client, case_id, hub, covenant, phase)
        entries, problem = fetched(pages, client, case_id) if hub is not None else ([], None)
    finally:
        client.close()
    purpose = str(hub.get("purpose", "")) if hub else ""
    values["dossier"] = {
        "items": [item_view(book, covenant, pages.rt.party.id, purpose, e) for e in entries],
        "problem": problem,
        "shown": hub is not None,
    }
    return values


def router(pages: Pages, book: CovenantBook, case_page: CasePage) -> APIRouter:
    r = APIRouter()
    rt = pages.rt
    gettext = translations().gettext

    def export(
        request: Request, case_id: str
    ) -> tuple[dict[str, object], list[OpenedItem], datetime] | Response:
        who = pages.coordinator(request)
        if not isinstance(who, SignedIn):
            return who
        if not CASE_ID.match(case_id):
            return pages.page("message.html", 404, kind="not-found", who=who)
        client = pages.hub(who)
        try:
            case = hub_answer(client.get(f"/v1/cases/{case_id}"))
            entries = entries_of(pages, client, case_id)
        except DirectoryAnswerError as exc:
            return case_page(who, case_id, 502, hub_trouble=HubTrouble("refused", exc.status))
        except HUB_ERRORS as exc:
            return case_page(who, case_id, 502, hub_trouble=trouble(exc))
        finally:
            client.close()
        now = rt.clock()
        covenant = book.get(str(case["covenant"]).split("/")[0], now)
        purpose = str(case["purpose"])
        parties = {str(p): v.name for p, v in covenant.parties.items()} if covenant else {}
        categories = {str(c): v.name for c, v in covenant.categories.items()} if covenant else {}
        items = printable(entries, parties, categories)
        warning = gettext("This item could not be verified or opened; its content is not shown.")
        items += [
            OpenedItem(
                e.item,
                parties.get(e.provider, e.provider),
                categories.get(e.category, e.category),
                e.created,
                warning,
            )
            for e in entries
            if e.content is None
        ]
        info: dict[str, object] = {
            "id": case_id,
            "covenant": covenant.label if covenant else case["covenant"],
            "purpose": purpose_name(covenant, purpose),
            "phase": gettext(str(case["phase"])),
        }
        # Times as staff read them (Amsterdam), not the envelope's UTC.
        items = [replace(i, created=_local(i.created)) for i in items]
        return info, items, now.astimezone(LEGAL_TIMEZONE)

    @r.get("/casussen/{case_id}/dossier.html")
    def dossier_html(request: Request, case_id: str) -> Response:
        got = export(request, case_id)
        if isinstance(got, Response):
            return got
        info, items, printed = got
        page = render(info, rt.party.name, items, printed, stylesheet="/static/dossier.css")
        return HTMLResponse(page, headers=NO_STORE)

    @r.get("/casussen/{case_id}/dossier.pdf")
    def dossier_pdf(request: Request, case_id: str) -> Response:
        got = export(request, case_id)
        if isinstance(got, Response):
            return got
        info, items, printed = got
        try:
            document = render_pdf(info, rt.party.name, items, printed)
        except ConfigurationError:
            return pages.page("dossier_message.html", 503, who=pages.signed_in(request), case_id=case_id)
        headers = NO_STORE | {"Content-Disposition": f'attachment; filename="dossier-{case_id}.pdf"'}
        return Response(document, media_type="application/pdf", headers=headers)

    @r.get("/casussen/{case_id}/bijlagen/{item}")
    def attachment(request: Request, case_id: str, item: str) -> Response:
        who = pages.coordinator(request)
        if not isinstance(who, SignedIn):
            return who
        if not CASE_ID.match(case_id) or not ITEM_ID.match(item):
            return pages.page("message.html", 404, kind="not-found", who=who)
        client = pages.hub(who)
        try:
            entries, problem = fetched(pages, client, case_id)
        finally:
            client.close()
        if problem is not None:
            return case_page(who, case_id, 502, hub_trouble=problem)
        found = next((e for e in entries if e.item == item and e.content is not None), None)
        if found is None or found.content is None:
            return pages.page("message.html", 404, kind="not-found", who=who)
        media, name = found.attachment()
        headers = NO_STORE | {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(found.content, media_type=media, headers=headers)

    return r
