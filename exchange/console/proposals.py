"""Proposed covenant versions for the privacy officers and jurists who approve them: each proposal
of a covenant the viewer's party takes part in, with its state, who approved and who is still asked,
what the viewer's party is asked to do, its scenario results per article and its impact report (past
decisions and hit/no-hit answers replayed under it). Approving stays a signed request
(``exchange client convenant approve``); the page says how."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from exchange.cases.revisions import Proposal, RevisionService
from exchange.cases.unit import Unit
from exchange.console.privacy import names
from exchange.console.sessions import ConsoleUser
from exchange.console.web import Console, _, render


def install(console: Console) -> None:
    service = console.service

    def page(request: Request, who: ConsoleUser) -> Response:
        def work(unit: Unit) -> list[Proposal]:
            return RevisionService(unit, service.decisions).listing()

        proposals = console.act(who, work)
        parties, _purposes, _categories = names(service.versions)
        return render(
            "proposals.html",
            title=_("Proposed covenant versions"),
            who=who,
            proposals=proposals,
            party_names=parties,
        )

    console.page("/console/proposals", page)
