"""A coordinator's cases: open one (from a signal or not), "Mijn casussen", and the case page with
its subjects in plaintext, phase, parties and hit/no-hit answers.

Subjects are checked line by line, pseudonymised here with the covenant's pseudonym key from the
keystore, and sent to the hub as pseudonyms only; their plaintext stays on the node, sealed under its
data key, keyed by case and pseudonym, so the case page can show it. The selection reason is kept
sealed on the node until the move to preparation, when it is sealed for the case's readers
(:func:`exchange.client.texts.seal_text`) and sent: the hub never reads it.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from exchange.client.hits import query_hits, state_of
from exchange.client.texts import hub_answer, seal_text
from exchange.crypto.keystore import KeystoreError
from exchange.crypto.pseudonym import pseudonymise
from exchange.errors import ExchangeError
from exchange.node import case_dossier, case_enrichment
from exchange.node.casework_store import CaseRow, CaseSubjectRow, SignalRow, SignalState, open_json, seal_json
from exchange.node.context import HUB_ERRORS, CaseSection, HubTrouble, Pages, trouble
from exchange.node.covenants import CovenantBook
from exchange.node.intake import MIN_TEXT, N_, FieldError, check_case, choices
from exchange.node.sealing import open_sealed, seal
from exchange.node.signals import mark_case
from exchange.node.signin import SignedIn
from exchange.vocabulary import Phase

MAX = 40_000
ATTEMPT = re.compile(r"^[0-9a-f]{32}$")
CASE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
HIT_ORDER = {"hit": 0, "no-hit": 1, "no-index": 2}


def next_phase(phase: str) -> str | None:
    names = [str(p) for p in Phase]
    if phase not in names or phase == "closed":
        return None
    following = names[names.index(phase) + 1]
    return None if following == "closed" else following


def router(pages: Pages, book: CovenantBook, sections: Sequence[CaseSection] = ()) -> APIRouter:
    """The case pages; each of ``sections`` adds its part to the case page and its forms' routes."""
    r = APIRouter()
    rt = pages.rt

    def form_page(who: SignedIn, status: int = 200, **values: Any) -> Response:
        now = rt.clock()
        values.setdefault("errors", [])
        values.setdefault("hub_trouble", None)
        values.setdefault("attempt", secrets.token_hex(16))
        return pages.render(
            "case_new.html",
            who,
            status,
            choices=choices(book.in_force(now)),
            covenants=book.in_force(now),
            **values,
        )

    def signal_of(ref: str) -> SignalRow | None:
        if not ref:
            return None
        with rt.sessions.begin() as s:
            row: SignalRow | None = s.scalars(
                select(SignalRow).where(SignalRow.ref == ref, SignalRow.state == SignalState.OPEN)
            ).one_or_none()
            return row

    @r.get("/casussen")
    def my_cases(request: Request) -> Response:
        who = pages.coordinator(request)
        if not isinstance(who, SignedIn):
            return who
        with rt.sessions.begin() as s:
            rows = s.scalars(
                select(CaseRow).where(CaseRow.phase != "closed").order_by(CaseRow.opened.desc())
            ).all()
            counts = {
                row.case_id: len(
                    s.scalars(
                        select(CaseSubjectRow.pseudonym).where(CaseSubjectRow.case_id == row.case_id)
                    ).all()
                )
                for row in rows
            }
        now = rt.clock()
        names = {str(c.ref.id): c for c in book.in_force(now)} | {str(c.ref.id): c for c in book.all}
        return pages.render("cases.html", who, cases=rows, counts=counts, covenants=names)

    @r.get("/casussen/nieuw")
    def new_case(request: Request, signaal: str = "") -> Response:
        who = pages.coordinator(request)
        if not isinstance(who, SignedIn):
            return who
        form: dict[str, str] = {"kind": "address", "signal": ""}
        signal = signal_of(signaal)
        if signal is not None:
            data = open_json(rt.data_key, signal.sealed)
            form.update(kind=data["kind"], subjects=data["subject"], signal=signal.ref)
        return form_page(who, form=form)

    @r.post("/casussen/nieuw")
    def open_case(
        request: Request,
        csrf: str = Form("", max_length=100),
        purpose: str = Form("", max_length=200),
        kind: str = Form("", max_length=20),
        subjects: str = Form("", max_length=MAX),
        reason: str = Form("", max_length=MAX),
        signal: str = Form("", max_length=64),
        attempt: str = Form("", max_length=64),
    ) -> Response:
        who = pages.coordinator_posting(request, csrf)
        if not isinstance(who, SignedIn):
            return who
        form = {"purpose": purpose, "kind": kind, "subjects": subjects, "reason": reason, "signal": signal}
        attempt = attempt if ATTEMPT.match(attempt) else secrets.token_hex(16)
        now = rt.clock()
        case, errors = check_case(choices(book.in_force(now)), purpose, kind, subjects, reason)
        if case is None:
            return form_page(who, 400, form=form, errors=errors, attempt=attempt)
        covenant_id = str(case.choice.covenant.ref.id)
        try:
            key = rt.keystore.pseudonym_key(covenant_id)
        except (KeystoreError, ExchangeError):
            error = FieldError(
                "purpose",
                N_(
                    "This node holds no pseudonym key for %(covenant)s yet, so it cannot open a case "
                    "under it. Tell your node administrator."
                ),
                {"covenant": case.choice.covenant.label},
            )
            return form_page(who, 400, form=form, errors=[error], attempt=attempt)
        pseudonyms = [(str(pseudonymise(subject, key)), typed) for typed, subject in case.subjects]
        body = {
            "covenant": covenant_id,
            "purpose": case.choice.purpose,
            "subjects": [p for p, _ in pseudonyms],
        }
        client = pages.hub(who)
        try:
            # The same attempt (a resubmitted form after a timeout) opens one case, not two.
            opened = hub_answer(client.post("/v1/cases", body, idempotency_key=f"open-{attempt}"), 201)
            case_id = str(opened["id"])
            phase = str(opened["phase"])
        except HUB_ERRORS as exc:
            return form_page(who, 502, form=form, hub_trouble=trouble(exc), attempt=attempt)
        finally:
            client.close()
        with rt.sessions.begin() as s:
            from_signal = (
                s.scalars(
                    select(SignalRow).where(SignalRow.ref == signal, SignalRow.state == SignalState.OPEN)
                ).one_or_none()
                if signal
                else None
            )
            if s.get(CaseRow, case_id) is None:
                s.add(
                    CaseRow(
                        case_id=case_id,
                        covenant=covenant_id,
                        purpose=case.choice.purpose,
                        phase=phase,
                        opened=now,
                        opened_by=who.account.id,
                        signal_id=from_signal.id if from_signal else None,
                        reason_sealed=seal(rt.data_key, case.reason.encode("utf-8")),
                    )
                )
                s.flush()
                for position, (pseudonym, typed) in enumerate(pseudonyms):
                    s.add(
                        CaseSubjectRow(
                            case_id=case_id,
                            pseudonym=pseudonym,
                            position=position,
                            sealed=seal_json(rt.data_key, {"kind": case.kind, "value": typed}),
                        )
                    )
            if from_signal is not None:
                mark_case(from_signal, case_id, now)
        return RedirectResponse(f"/casussen/{case_id}?gedaan=geopend", 303)

    def case_page(who: SignedIn, case_id: str, status: int = 200, **values: Any) -> Response:
        now = rt.clock()
        with rt.sessions.begin() as s:
            mine = s.get(CaseRow, case_id)
            rows = s.scalars(
                select(CaseSubjectRow)
                .where(CaseSubjectRow.case_id == case_id)
                .order_by(CaseSubjectRow.position)
            ).all()
        plain = {row.pseudonym: open_json(rt.data_key, row.sealed) for row in rows}
        hub: dict[str, Any] | None = None
        problem: HubTrouble | None = values.pop("hub_trouble", None)
        client = pages.hub(who)
        try:
            hub = hub_answer(client.get(f"/v1/cases/{case_id}"))
        except HUB_ERRORS as exc:
            problem = problem or trouble(exc)
        finally:
            client.close()
        unknown = problem is not None and problem.kind == "refused" and problem.status in (403, 404)
        if hub is None and mine is None and unknown:
            return pages.page("message.html", 404, kind="not-found", who=who)
        if hub is not None and mine is not None and mine.phase != hub["phase"]:
            with rt.sessions.begin() as s:
                stored = s.get(CaseRow, case_id)
                if stored is not None:
                    stored.phase = str(hub["phase"])
        covenant = book.get((hub or {}).get("covenant", mine.covenant if mine else "").split("/")[0], now)
        phase = str(hub["phase"]) if hub else (mine.phase if mine else "")
        # The node's own order (as typed) first; a subject only the hub names comes after.
        known = list(plain)
        subjects = [(p, plain[p]) for p in known] + [
            (p, None) for p in (hub["subjects"] if hub else []) if p not in plain
        ]
        hits = json.loads(mine.hits) if mine and mine.hits else None
        if hits is not None:
            # Hits first, then no-hits; a partner without an index says nothing about any subject, so
            # those answers are listed once per partner and category, not per subject.
            answers = sorted(
                hits["answers"], key=lambda a: (HIT_ORDER.get(a["state"], 3), a["provider"], a["category"])
            )
            hits["answers"] = [a for a in answers if a["state"] != "no-index"]
            hits["no_index"] = sorted(
                {(a["provider"], a["category"]) for a in answers if a["state"] == "no-index"}
            )
        reason = ""
        if mine is not None and mine.reason_sealed is not None:
            reason = open_sealed(rt.data_key, mine.reason_sealed).decode("utf-8")
        values.setdefault("errors", [])
        values.setdefault("form", {})
        for section in sections:
            values = section.view(who, case_id, hub, covenant) | values
        parties = list(hub["parties"]) if hub else []
        addable = [
            (str(pid), p.name)
            for pid, p in (covenant.parties.items() if covenant else [])
            if str(pid) not in parties
        ]
        values = case_dossier.sections(pages, book, who, case_id, hub, covenant, phase) | values
        return pages.render(
            "case.html",
            who,
            status,
            case_id=case_id,
            hub=hub,
            hub_trouble=problem,
            mine=mine,
            covenant=covenant,
            phase=phase,
            next_phase=next_phase(phase) if hub and not hub.get("closed") else None,
            subjects=subjects,
            parties=parties,
            addable=sorted(addable, key=lambda kv: kv[1]),
            hits=hits,
            reason=reason,
            **values,
        )

    @r.get("/casussen/{case_id}")
    def show_case(request: Request, case_id: str, gedaan: str = "") -> Response:
        who = pages.coordinator(request)
        if not isinstance(who, SignedIn):
            return who
        if not CASE_ID.match(case_id):
            return pages.page("message.html", 404, kind="not-found", who=who)
        return case_page(who, case_id, done=gedaan)

    def _post_guard(request: Request, case_id: str, csrf: str) -> SignedIn | Response:
        who = pages.coordinator_posting(request, csrf)
        if not isinstance(who, SignedIn):
            return who
        if not CASE_ID.match(case_id):
            return pages.page("message.html", 404, kind="not-found", who=who)
        return who

    @r.post("/casussen/{case_id}/fase")
    def move(
        request: Request,
        case_id: str,
        csrf: str = Form("", max_length=100),
        to: str = Form("", max_length=32),
        reason: str = Form("", max_length=MAX),
    ) -> Response:
        who = _post_guard(request, case_id, csrf)
        if not isinstance(who, SignedIn):
            return who
        body: dict[str, Any] = {"to": to}
        needs = to in ("preparation", "closed")
        folded = " ".join(reason.split())
        if needs and len(folded) < MIN_TEXT:
            field = "close-reason" if to == "closed" else "selection-reason"
            error = FieldError(
                field, N_("Write the reason in at least %(count)s characters."), {"count": MIN_TEXT}
            )
            return case_page(who, case_id, 400, errors=[error], form={"to": to, "reason": reason})
        client = pages.hub(who)
        try:
            if needs:
                kind = "closing-reason" if to == "closed" else "selection-reason"
                body["reason_sealed"] = seal_text(client, rt.keystore.keys, case_id, kind, folded, rt.clock())
            moved = hub_answer(client.post(f"/v1/cases/{case_id}/transitions", body))
        except HUB_ERRORS as exc:
            return case_page(who, case_id, 502, hub_trouble=trouble(exc), form={"to": to, "reason": reason})
        finally:
            client.close()
        with rt.sessions.begin() as s:
            stored = s.get(CaseRow, case_id)
            if stored is not None:
                stored.phase = str(moved["phase"])
        return RedirectResponse(f"/casussen/{case_id}?gedaan=fase", 303)

    @r.post("/casussen/{case_id}/partijen")
    def add_party(
        request: Request,
        case_id: str,
        csrf: str = Form("", max_length=100),
        party: str = Form("", max_length=100),
    ) -> Response:
        who = _post_guard(request, case_id, csrf)
        if not isinstance(who, SignedIn):
            return who
        if not party:
            error = FieldError("party", N_("Choose the partner to add."))
            return case_page(who, case_id, 400, errors=[error])
        client = pages.hub(who)
        try:
            hub_answer(client.post(f"/v1/cases/{case_id}/parties", {"party": party}))
        except HUB_ERRORS as exc:
            return case_page(who, case_id, 502, hub_trouble=trouble(exc))
        finally:
            client.close()
        return RedirectResponse(f"/casussen/{case_id}?gedaan=partij", 303)

    @r.post("/casussen/{case_id}/hits")
    def ask_hits(request: Request, case_id: str, csrf: str = Form("", max_length=100)) -> Response:
        who = _post_guard(request, case_id, csrf)
        if not isinstance(who, SignedIn):
            return who
        client = pages.hub(who)
        try:
            report = query_hits(client, case_id)
        except HUB_ERRORS as exc:
            return case_page(who, case_id, 502, hub_trouble=trouble(exc))
        finally:
            client.close()
        answers = [
            {
                "subject": str(a.get("subject")),
                "provider": str(a.get("provider")),
                "category": str(a.get("category")),
                "state": state_of(a),
            }
            for a in report.answers
        ]
        stored_hits = {"answers": answers, "not_in_phase": [list(p) for p in report.not_in_phase]}
        with rt.sessions.begin() as s:
            stored = s.get(CaseRow, case_id)
            if stored is not None:
                stored.hits, stored.hits_at = json.dumps(stored_hits), rt.clock()
        return RedirectResponse(f"/casussen/{case_id}?gedaan=hits#hits", 303)

    for section in sections:
        r.include_router(section.router(case_page))
    r.include_router(case_enrichment.router(pages, book, case_page))
    r.include_router(case_dossier.router(pages, book, case_page))
    return r
