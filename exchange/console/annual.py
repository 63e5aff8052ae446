"""The team lead's and governors' page: the annual figures from case metadata, as bar charts
(inline SVG, no script) and as a CSV export."""

from __future__ import annotations

import csv
import io

from fastapi import Request
from fastapi.responses import Response

from exchange.audit.events import Action
from exchange.console.sessions import ConsoleUser
from exchange.console.web import HEADERS, Console, _, render
from exchange.errors import InvalidInputError
from exchange.reports.annual import AnnualReport, annual_report
from exchange.storage.case_queries import year_records


def to_csv(report: AnnualReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["party", "year", "section", "key", "value"])
    for section, key, value in report.rows():
        writer.writerow([report.party, report.year, section, key, value])
    return out.getvalue()


def install(console: Console) -> None:
    def report_for(request: Request, who: ConsoleUser, view: str) -> AnnualReport:
        now = console.now()
        raw = request.query_params.get("year") or str(now.year)
        if not raw.isascii() or not raw.isdigit() or not 2000 <= int(raw) <= now.year:
            raise InvalidInputError(f"'year' must be a year from 2000 to {now.year}")
        year = int(raw)
        return console.viewed(
            who,
            view,
            lambda s: annual_report(year_records(s, who.party, year), now),
            lambda r: r.actions_total,
            Action.CASE_VIEW,
        )

    def page(request: Request, who: ConsoleUser) -> Response:
        report = report_for(request, who, "annual-report")
        years = list(range(console.now().year, 2015, -1))
        return render(
            "annual.html",
            title=_("Annual report %(year)s") % {"year": report.year},
            who=who,
            r=report,
            years=years,
        )

    def export(request: Request, who: ConsoleUser) -> Response:
        report = report_for(request, who, "annual-report-export")
        name = f"jaarverslag-{report.party}-{report.year}.csv"
        headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(to_csv(report), media_type="text/csv; charset=utf-8", headers=headers)

    console.page("/console/annual", page)
    console.page("/console/annual.csv", export, menu="/console/annual")
