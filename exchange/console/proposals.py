"""Proposed covenant versions for the privacy officers and jurists who approve them: each proposal
of a covenant the viewer's party takes part in, with its state, who approved and who is still asked,
what the viewer's party is asked to do, its scenario results per article and its impact report (past
decisions and hit/no-hit answers replayed under it), and each proposal side by side with the
version in force, article by article. Approving stays a signed request
(``exchange client convenant approve``); the page says how."""

from __future__ import annotations

import json

from fastapi import Request
from fastapi.responses import Response

from exchange.cases.revisions import Proposal, RevisionService
from exchange.cases.unit import Unit
from exchange.console.privacy import names
from exchange.console.sessions import ConsoleUser
from exchange.console.web import Console, _, render
from exchange.errors import NotFoundError
from exchange.policies.serial import covenant_from_data
from exchange.reports.covenant_compare import compare


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

    def diff_page(request: Request, who: ConsoleUser) -> Response:
        digest = request.path_params["digest"]

        def work(unit: Unit) -> Proposal:
            return RevisionService(unit, service.decisions).get(digest)

        proposal = console.act(who, work)
        new = covenant_from_data(json.loads(proposal.version.covenant_json))
        old = service.decisions.covenant(proposal.version.covenant, console.now())
        if old is None:
            raise NotFoundError(f"no version of '{proposal.version.covenant}' is in force to compare with")
        return render(
            "covenant_diff.html",
            title=_("%(old)s and the proposed %(new)s side by side") % {"old": old.label, "new": new.label},
            who=who,
            c=compare(old, new),
            old=old,
            new=new,
        )

    console.page("/console/proposals", page)
    console.page("/console/proposals/{digest}/diff", diff_page, menu="/console/proposals")
