"""A privacy officer's access request (AVG art. 15) on the node, and the letter for the data subject.

The officer types the address, BSN or KvK number; the node pseudonymises it under every pseudonym
key version of the covenant its keystore holds and sends only the pseudonyms
(:func:`exchange.client.access.request_access`). The hub answers from its log, grouped by recipient,
category, article and legal ground, with no-hit questions as counts, no user ids, and confidential
categories withheld; it logs the request. The node keeps the subject and the answer sealed, and
shows the answer as a letter with the address in it, printable and as a PDF: the hub never holds
the address, so the document the data subject receives can only be made here.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from exchange.client.access import request_access, subject_pseudonyms, summary_nl
from exchange.client.access_pdf import letter_as_pdf
from exchange.crypto.keystore import KeystoreError
from exchange.crypto.subjects import SubjectError, normalise
from exchange.errors import ExchangeError
from exchange.node.access_records import AccessRequestRow
from exchange.node.context import HUB_ERRORS, Pages, local_time, trouble
from exchange.node.covenants import CovenantBook
from exchange.node.intake import KINDS, N_, SUBJECT_WRONG, FieldError
from exchange.node.sealing import open_sealed, seal
from exchange.node.signin import SignedIn

OFFICER = "privacy-officer"
REF = re.compile(r"^[0-9a-f]{16}$")
LISTED = 50


def check_request(
    book: CovenantBook, now: datetime, covenant: str, kind: str, subject: str
) -> list[FieldError]:
    """The form's errors in its order; none means the request may go to the hub."""
    errors: list[FieldError] = []
    if book.get(covenant, now) is None:
        errors.append(FieldError("covenant", N_("Choose the covenant the access request is about.")))
    if kind not in KINDS:
        errors.append(
            FieldError("kind", N_("Choose what the request is about: an address, a BSN or a KvK number."))
        )
    elif not subject.strip():
        errors.append(FieldError("subject", N_("Enter the address, BSN or KvK number of the data subject.")))
    else:
        try:
            normalise(kind, subject.strip())
        except SubjectError:
            errors.append(FieldError("subject", SUBJECT_WRONG[kind]))
    return errors


def dutch_days(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with its ISO days (2026-12-01) written as Dutch readers do (01-12-2026)."""

    def day(text: str) -> str:
        return "-".join(reversed(text.split("-"))) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else text

    cases = [{**c, "opened": day(str(c["opened"]))} for c in answer.get("cases", [])]
    disclosures = [{**d, "dates": [day(str(x)) for x in d["dates"]]} for d in answer.get("disclosures", [])]
    return {**answer, "cases": cases, "disclosures": disclosures}


def router(pages: Pages, book: CovenantBook) -> APIRouter:
    r = APIRouter()
    rt = pages.rt

    def officer(request: Request) -> SignedIn | Response:
        who = pages.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        if OFFICER not in who.account.roles or OFFICER not in rt.party.roles:
            return pages.page("access_message.html", 403, who=who)
        return who

    def form_page(who: SignedIn, status: int = 200, **values: Any) -> Response:
        values.setdefault("errors", [])
        values.setdefault("form", {"kind": "address"})
        values.setdefault("hub_trouble", None)
        with rt.sessions.begin() as s:
            rows = s.scalars(
                select(AccessRequestRow).order_by(AccessRequestRow.created.desc()).limit(LISTED)
            ).all()
            earlier = [_listed(pages, row) for row in rows]
        return pages.render(
            "access.html", who, status, covenants=book.in_force(rt.clock()), earlier=earlier, **values
        )

    def stored(ref: str) -> tuple[AccessRequestRow, dict[str, Any]] | None:
        if not REF.match(ref):
            return None
        with rt.sessions.begin() as s:
            row = s.scalars(select(AccessRequestRow).where(AccessRequestRow.ref == ref)).one_or_none()
            if row is None:
                return None
            s.expunge(row)
        return row, json.loads(open_sealed(rt.data_key, row.sealed))

    @r.get("/inzage")
    def access_form(request: Request) -> Response:
        who = officer(request)
        return who if not isinstance(who, SignedIn) else form_page(who)

    @r.post("/inzage")
    def access_request(
        request: Request,
        csrf: str = Form("", max_length=100),
        covenant: str = Form("", max_length=64),
        kind: str = Form("", max_length=20),
        subject: str = Form("", max_length=200),
    ) -> Response:
        who = officer(request)
        if not isinstance(who, SignedIn):
            return who
        if not pages.csrf_ok(who, csrf):
            return pages.refused(who)
        form = {"covenant": covenant, "kind": kind, "subject": subject}
        errors = check_request(book, rt.clock(), covenant, kind, subject)
        if errors:
            return form_page(who, 400, form=form, errors=errors)
        try:
            pseudonyms = subject_pseudonyms(rt.keystore, covenant, kind, subject.strip())
        except (KeystoreError, ExchangeError):
            key_missing = FieldError("covenant", N_("This node holds no pseudonym key of this covenant yet."))
            return form_page(who, 409, form=form, errors=[key_missing])
        client = pages.hub(who, OFFICER)
        try:
            answer = request_access(client, covenant, pseudonyms)
        except HUB_ERRORS as exc:
            return form_page(who, 503, form=form, hub_trouble=trouble(exc))
        finally:
            client.close()
        ref = secrets.token_hex(8)
        content = {"kind": kind, "subject": subject.strip(), "answer": answer}
        with rt.sessions.begin() as s:
            s.add(
                AccessRequestRow(
                    ref=ref,
                    created=rt.clock(),
                    created_by=who.account.id,
                    covenant=covenant,
                    sealed=seal(rt.data_key, json.dumps(content).encode()),
                )
            )
        return RedirectResponse(f"/inzage/{ref}", 303)

    @r.get("/inzage/{ref}")
    def letter(request: Request, ref: str) -> Response:
        who = officer(request)
        if not isinstance(who, SignedIn):
            return who
        found = stored(ref)
        if found is None:
            return pages.page("message.html", 404, kind="not-found", who=who)
        row, content = found
        return pages.render(
            "access_letter.html",
            who,
            ref=ref,
            made=local_time(row.created),
            kind=content["kind"],
            subject=content["subject"],
            answer=dutch_days(content["answer"]),
        )

    @r.get("/inzage/{ref}/pdf")
    def letter_pdf(request: Request, ref: str) -> Response:
        who = officer(request)
        if not isinstance(who, SignedIn):
            return who
        found = stored(ref)
        if found is None:
            return pages.page("message.html", 404, kind="not-found", who=who)
        row, content = found
        pdf = letter_as_pdf(content["subject"], local_time(row.created), summary_nl(content["answer"]))
        headers = {
            "Content-Disposition": f'attachment; filename="inzageverzoek-{ref}.pdf"',
            "Cache-Control": "no-store",
        }
        return Response(pdf, media_type="application/pdf", headers=headers)

    return r


def _listed(pages: Pages, row: AccessRequestRow) -> dict[str, str]:
    content = json.loads(open_sealed(pages.rt.data_key, row.sealed))
    return {
        "ref": row.ref,
        "made": local_time(row.created),
        "covenant": str(content["answer"].get("covenant", {}).get("name", row.covenant)),
        "subject": str(content["subject"]),
    }
