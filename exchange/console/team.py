"""The team-wide report for the team lead: one covenant, every party, one year, aggregates only
(:mod:`exchange.reports.team`), with counts below 5 hidden also where a total would give them away;
a quarterly trend as a server-rendered SVG chart (no script, no inline style) and a CSV export.

A covenant file may name the programme it belongs to (``programme: lsi``); the programme's report adds
up every covenant of that programme (every LSI project), for a viewer whose party takes part in one of
them. It is chosen as ``covenant=programme:lsi`` (a colon is never part of a covenant id)."""

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

    def programmes_of(who: ConsoleUser) -> dict[str, list[str]]:
        """Each programme a covenant of the viewer's party belongs to, with all of its covenant ids."""
        mine = {
            v.covenant.programme
            for v in service.versions
            if v.covenant.programme and who.party in {str(p) for p in v.covenant.parties}
        }
        found: dict[str, set[str]] = {}
        for v in service.versions:
            if v.covenant.programme in mine:
                found.setdefault(str(v.covenant.programme), set()).add(str(v.covenant.ref.id))
        return {p: sorted(ids) for p, ids in sorted(found.items())}

    def choices(who: ConsoleUser) -> list[tuple[str, str]]:
        """The covenants, then the programmes, the viewer may choose, as (value, covenant title or
        programme name)."""
        return covenants_of(who) + [(f"programme:{p}", p.upper()) for p in programmes_of(who)]

    def report_for(
        request: Request, who: ConsoleUser, view: str
    ) -> tuple[TeamReport, list[tuple[str, str]], list[str]]:
        now = console.now()
        params = request.query_params
        raw = params.get("year") or str(now.year)
        if not raw.isascii() or not raw.isdigit() or not 2000 <= int(raw) <= now.year:
            raise InvalidInputError(f"'year' must be a year from 2000 to {now.year}")
        mine = choices(who)
        covenant = params.get("covenant") or (mine[0][0] if mine else "")
        if covenant not in dict(mine):
            raise NotFoundError(f"'{covenant[:40]}' is not a covenant or programme your party takes part in")
        programme = covenant.removeprefix("programme:") if covenant.startswith("programme:") else None
        covered = programmes_of(who)[programme] if programme else [covenant]
        report = console.viewed(
            who,
            view,
            lambda s: team_report(team_records(s, covered, int(raw), covenant), now),
            lambda r: 0,
            Action.CASE_VIEW,
        )
        return report, mine, covered

    def page(request: Request, who: ConsoleUser) -> Response:
        report, mine, covered = report_for(request, who, "team-report")
        parties, purposes, categories = names(service.versions)
        titles = {str(v.covenant.ref.id): v.covenant.title for v in service.versions}
        return render(
            "team.html",
            title=_("Team report %(year)s") % {"year": report.year},
            who=who,
            r=report,
            covenants=[(v, n) for v, n in mine if not v.startswith("programme:")],
            programmes=[(v, n) for v, n in mine if v.startswith("programme:")],
            covered=[titles.get(c, c) for c in covered],
            years=list(range(console.now().year, 2015, -1)),
            quarters=QUARTERS,
            party_names=parties,
            purpose_names=purposes,
            category_names=categories,
        )

    def export(request: Request, who: ConsoleUser) -> Response:
        report, _, _ = report_for(request, who, "team-report-export")
        parties, purposes, categories = names(service.versions)
        name = f"teamrapportage-{report.covenant.replace(':', '-')}-{report.year}.csv"
        headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        text = report.csv({**parties, **purposes, **categories})
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)

    console.page("/console/team", page)
    console.page("/console/team.csv", export, menu="/console/team")
