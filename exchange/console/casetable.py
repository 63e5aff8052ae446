"""The case table's pages: cases by phase, one case's hit/no-hit overview and metadata, the
follow-up board with overdue items and their reasons, and feedback status. Dossier content is
never decrypted on the server; the case page points to the party's client for it."""

from __future__ import annotations

from dataclasses import fields
from itertools import groupby
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from exchange.audit.events import Action
from exchange.console.privacy import names
from exchange.console.sessions import ConsoleUser
from exchange.console.web import Console, _, render
from exchange.storage import case_queries as cq


def install(console: Console) -> None:
    def named() -> dict[str, Any]:
        """The names the covenant files give parties, purposes, categories and covenant versions."""
        parties, purposes, categories = names(console.service.versions)
        covenants = {
            f"{v.covenant.ref.id}/{v.covenant.ref.version}": v.covenant.label
            for v in console.service.versions
        }
        return {
            "party_names": parties,
            "purpose_names": purposes,
            "category_names": categories,
            "covenant_names": covenants,
        }

    def cases(request: Request, who: ConsoleUser) -> Response:
        now = console.now()
        rows = console.viewed(who, "cases", lambda s: cq.cases_of(s, who.party, now), len, Action.CASE_VIEW)
        phases = [(phase, list(group)) for phase, group in groupby(rows, key=lambda c: c.phase)]
        return render("cases.html", title=_("Cases"), who=who, phases=phases, total=len(rows), **named())

    def case(request: Request, who: ConsoleUser) -> Response:
        case_id = request.path_params["case_id"]
        now = console.now()
        detail = console.viewed(
            who,
            "case",
            lambda s: cq.case_detail(s, who.party, case_id, now),
            lambda d: len(d.hits) + len(d.items),
            Action.CASE_VIEW,
            case=case_id,
        )
        parts = {f.name: getattr(detail, f.name) for f in fields(detail)}
        title = _("Case %(case)s") % {"case": case_id}
        return render("case.html", title=title, who=who, now=now, **parts, **named())

    def follow_up(request: Request, who: ConsoleUser) -> Response:
        now = console.now()
        rows = console.viewed(
            who, "follow-up", lambda s: cq.follow_up_board(s, who.party, now), len, Action.CASE_VIEW
        )
        overdue = sum(a.overdue for a in rows)
        unexplained = sum(a.overdue and not a.reason_text for a in rows)
        return render(
            "followup.html",
            **named(),
            title=_("Follow-up"),
            who=who,
            rows=rows,
            overdue=overdue,
            unexplained=unexplained,
        )

    def feedback(request: Request, who: ConsoleUser) -> Response:
        rows = console.viewed(
            who, "feedback", lambda s: cq.feedback_status(s, who.party), len, Action.CASE_VIEW
        )
        return render("feedback.html", title=_("Feedback"), who=who, rows=rows, **named())

    console.page("/console/cases", cases)
    console.page("/console/cases/{case_id}", case)
    console.page("/console/follow-up", follow_up)
    console.page("/console/feedback", feedback)
