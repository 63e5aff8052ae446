"""The meldpunt: a coordinator records a signal, sees the open ones, and from one opens a case,
forwards it sealed to the partner it belongs to, or closes it with a reason.

A signal's subject and texts are sealed under the node's data key the moment they are stored, and
leave the node only sealed for a partner's keys (a forward, :func:`exchange.client.forwards.
forward_signal`) or as pseudonyms (a case, :mod:`exchange.node.cases`).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from exchange.client.forwards import forward_signal
from exchange.i18n import translations
from exchange.node.casework_store import SignalRow, SignalState, open_json, seal_json
from exchange.node.context import HUB_ERRORS, Pages, trouble
from exchange.node.covenants import CovenantBook
from exchange.node.intake import MIN_TEXT, N_, FieldError, check_signal, choices
from exchange.node.sealing import seal
from exchange.node.signin import SignedIn

MAX = 4000


def _view(pages: Pages, row: SignalRow) -> dict[str, object]:
    return {
        "ref": row.ref,
        "created": row.created,
        "state": row.state,
        **open_json(pages.rt.data_key, row.sealed),
    }


def router(pages: Pages, book: CovenantBook) -> APIRouter:
    r = APIRouter()
    rt = pages.rt
    gettext = translations().gettext

    def signal_page(who: SignedIn, row: SignalRow, status: int = 200, **values: object) -> Response:
        now = rt.clock()
        values.setdefault("errors", [])
        values.setdefault("hub_trouble", None)
        values.setdefault("form", {})
        return pages.render(
            "signal.html",
            who,
            status,
            signal=_view(pages, row),
            partners=book.partners(now),
            choices=choices(book.in_force(now)),
            **values,
        )

    def find(ref: str) -> SignalRow | None:
        with rt.sessions.begin() as s:
            row: SignalRow | None = s.scalars(select(SignalRow).where(SignalRow.ref == ref)).one_or_none()
            return row

    @r.get("/signalen")
    def signals(request: Request, vastgelegd: str = "") -> Response:
        who = pages.coordinator(request)
        if not isinstance(who, SignedIn):
            return who
        with rt.sessions.begin() as s:
            rows = s.scalars(
                select(SignalRow)
                .where(SignalRow.state == SignalState.OPEN)
                .order_by(SignalRow.created.desc())
            ).all()
        return pages.render("signals.html", who, signals=[_view(pages, row) for row in rows])

    @r.get("/signalen/nieuw")
    def new_signal(request: Request) -> Response:
        who = pages.coordinator(request)
        if not isinstance(who, SignedIn):
            return who
        return pages.render("signal_new.html", who, form={"kind": "address"}, errors=[])

    @r.post("/signalen/nieuw")
    def record_signal(
        request: Request,
        csrf: str = Form("", max_length=100),
        kind: str = Form("", max_length=20),
        subject: str = Form("", max_length=MAX),
        source: str = Form("", max_length=MAX),
        theme: str = Form("", max_length=MAX),
        description: str = Form("", max_length=MAX),
    ) -> Response:
        who = pages.coordinator_posting(request, csrf)
        if not isinstance(who, SignedIn):
            return who
        signal, errors = check_signal(kind, subject, source, theme, description)
        if signal is None:
            form = {
                "kind": kind,
                "subject": subject,
                "source": source,
                "theme": theme,
                "description": description,
            }
            return pages.render("signal_new.html", who, 400, form=form, errors=errors)
        now = rt.clock()
        ref = secrets.token_hex(8)
        with rt.sessions.begin() as s:
            s.add(
                SignalRow(
                    ref=ref,
                    created=now,
                    created_by=who.account.id,
                    state=SignalState.OPEN,
                    sealed=seal_json(rt.data_key, signal.as_json()),
                    updated=now,
                )
            )
        return RedirectResponse(f"/signalen/{ref}?gedaan=vastgelegd", 303)

    @r.get("/signalen/{ref}")
    def show_signal(request: Request, ref: str, gedaan: str = "") -> Response:
        who = pages.coordinator(request)
        if not isinstance(who, SignedIn):
            return who
        row = find(ref)
        if row is None:
            return pages.page("message.html", 404, kind="not-found", who=who)
        return signal_page(who, row, done=gedaan)

    @r.post("/signalen/{ref}/doorsturen")
    def forward(
        request: Request,
        ref: str,
        csrf: str = Form("", max_length=100),
        to: str = Form("", max_length=100),
        purpose: str = Form("", max_length=200),
    ) -> Response:
        who = pages.coordinator_posting(request, csrf)
        if not isinstance(who, SignedIn):
            return who
        row = find(ref)
        if row is None or row.state != SignalState.OPEN:
            return pages.page("message.html", 404, kind="not-found", who=who)
        now = rt.clock()
        errors: list[FieldError] = []
        if to not in dict(book.partners(now)):
            errors.append(FieldError("to", N_("Choose the partner the signal belongs to.")))
        picked = next((c for c in choices(book.in_force(now)) if c.value == purpose), None)
        if picked is None:
            errors.append(FieldError("forward-purpose", N_("Choose one of the purposes of your covenants.")))
        form = {"to": to, "purpose": purpose}
        if errors or picked is None:
            return signal_page(who, row, 400, errors=errors, form=form)
        signal = open_json(rt.data_key, row.sealed)
        text = (
            gettext("Signal about %(subject)s. Source: %(source)s. Theme: %(theme)s. %(description)s")
            % signal
        )
        client = pages.hub(who)
        try:
            forward_signal(
                client, rt.keystore.keys, to, picked.purpose, str(picked.covenant.ref.id), text, now
            )
        except HUB_ERRORS as exc:
            return signal_page(who, row, 502, hub_trouble=trouble(exc), form=form)
        finally:
            client.close()
        with rt.sessions.begin() as s:
            stored = s.get(SignalRow, row.id)
            if stored is not None:
                stored.state, stored.forwarded_to, stored.updated = SignalState.FORWARDED, to, now
        return RedirectResponse("/signalen?gedaan=doorgestuurd", 303)

    @r.post("/signalen/{ref}/sluiten")
    def close(
        request: Request,
        ref: str,
        csrf: str = Form("", max_length=100),
        reason: str = Form("", max_length=MAX),
    ) -> Response:
        who = pages.coordinator_posting(request, csrf)
        if not isinstance(who, SignedIn):
            return who
        row = find(ref)
        if row is None or row.state != SignalState.OPEN:
            return pages.page("message.html", 404, kind="not-found", who=who)
        folded = " ".join(reason.split())
        if len(folded) < MIN_TEXT:
            error = FieldError(
                "close-reason",
                N_("Write why the signal is closed, in at least %(count)s characters."),
                {"count": MIN_TEXT},
            )
            return signal_page(who, row, 400, errors=[error], form={"reason": reason})
        with rt.sessions.begin() as s:
            stored = s.get(SignalRow, row.id)
            if stored is not None:
                stored.state, stored.updated = SignalState.CLOSED, rt.clock()
                stored.closing_sealed = seal(rt.data_key, folded.encode("utf-8"))
        return RedirectResponse("/signalen?gedaan=gesloten", 303)

    return r


def mark_case(row: SignalRow, case_id: str, now: datetime) -> None:
    """The signal became case ``case_id``: it leaves the list of open signals."""
    row.state, row.case_id, row.updated = SignalState.CASE, case_id, now
