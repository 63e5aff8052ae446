"""The team-wide report for the team lead: one covenant, every party, one year, aggregates only
(:mod:`exchange.reports.team`), with counts below 5 hidden also where a total would give them away;
a quarterly trend as a server-rendered SVG chart (no script, no inline style) and a CSV export."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from exchange.audit.events import Action
from exchange.console.privacy import names
from exchange.console.sessions import ConsoleUser
from exchange.console.web import HEADERS, Console, _, render
from exchange.errors import InvalidInputError, NotFoundError
from exchange.reports.team import QUARTERS, TeamReport, team_report
from exchange.storage.team_queries import team_records


def install(console: Console) -> None:
    service = console.service

    def covenants_of(who: ConsoleUser) -> list[tuple[str, str]]:
        """(id, name) of the covenants with a version that names the viewer's party."""
        found: dict[str, str] = {}
        for v in service.versions:
            if who.party in {str(p) for p in v.covenant.parties}:
                found[str(v.covenant.ref.id)] = v.covenant.title
        return sorted(found.items(), key=lambda c: c[1])

    def report_for(request: Request, who: ConsoleUser, view: str) -> tuple[TeamReport, list[tuple[str, str]]]:
        now = console.now()
        params = request.query_params
        raw = params.get("year") or str(now.year)
        if not raw.isascii() or not raw.isdigit() or not 2000 <= int(raw) <= now.year:
            raise InvalidInputError(f"'year' must be a year from 2000 to {now.year}")
        mine = covenants_of(who)
        covenant = params.get("covenant") or (mine[0][0] if mine else "")
        if covenant not in dict(mine):
            raise NotFoundError(f"'{covenant[:40]}' is not a covenant your party takes part in")
        report = console.viewed(
            who,
            view,
            lambda s: team_report(team_records(s, covenant, int(raw)), now),
            lambda r: 0,
            Action.CASE_VIEW,
        )
        return report, mine

    def page(request: Request, who: ConsoleUser) -> Response:
        report, mine = report_for(request, who, "team-report")
        parties, purposes, categories = names(service.versions)
        return render(
            "team.html",
            title=_("Team report %(year)s") % {"year": report.year},
            who=who,
            r=report,
            covenants=mine,
            years=list(range(console.now().year, 2015, -1)),
            quarters=QUARTERS,
            party_names=parties,
            purpose_names=purposes,
            category_names=categories,
        )

    def export(request: Request, who: ConsoleUser) -> Response:
        report, _ = report_for(request, who, "team-report-export")
        parties, purposes, categories = names(service.versions)
        name = f"teamrapportage-{report.covenant}-{report.year}.csv"
        headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        text = report.csv({**parties, **purposes, **categories})
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)

    console.page("/console/team", page)
    console.page("/console/team.csv", export, menu="/console/team")
