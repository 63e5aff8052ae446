"""The team lead's team-wide report in the console: every party's cases of one covenant, counts
below 5 never shown directly or by subtraction, a CSV, a logged view, and no covenant the viewer's
party is not part of."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from exchange.storage.models import CaseRow
from tests.integration.api_support import Api
from tests.integration.plain_html import plain
from tests.integration.test_console_roles import events, played_case, signed_in


def _cases(api: Api, n: int, coordinator: str, purpose: str, phase: str) -> None:
    now = datetime.now(UTC)
    with api.db.sessions.begin() as s:
        for i in range(n):
            s.add(
                CaseRow(
                    id=f"case-{coordinator}-{purpose[:6]}-{phase}-{i}",
                    covenant="pit/2021",
                    purpose=purpose,
                    phase=phase,
                    coordinator=coordinator,
                    created=now,
                )
            )


def test_the_team_report_counts_every_party_and_hides_small_counts(api: Api) -> None:
    played_case(api)  # one case of helmond's, taken to feedback through the API
    _cases(api, 8, "someren", "onrechtmatige-bewoning", "closed")  # another party's cases count too
    _cases(api, 6, "deurne", "onrechtmatige-bewoning", "closed")
    _cases(api, 2, "asten", "uitkeringsfraude", "selection")
    b = signed_in(api, "helmond", "lead-1", "team-lead")
    page = b.get("/console/team?covenant=pit")
    assert page.status_code == 200, page.text
    text = plain(page.text)
    assert "Casussen per thema en fase" in text and "Aanpak van onrechtmatige" in text  # names, not codes
    cells = [int(n) for n in re.findall(r"<td>(\d+)</td>", text)]
    assert cells and not [n for n in cells if 0 < n < 5]  # nothing from 1 to 4 is shown
    assert "&lt;5</abbr>" in text  # the asten and helmond cases are there, hidden
    assert re.search(r'<tr class="total"><th scope="row">Totaal</th>.*<td>17</td></tr>', text)
    assert 'role="img"' in text and "style=" not in text  # the chart: SVG, no inline style
    export = b.get("/console/team.csv?covenant=pit")
    assert export.headers["content-type"].startswith("text/csv")
    assert "pit," in export.text and ",<5" in export.text
    assert not [line for line in export.text.splitlines() if re.search(r",[1-4]$", line)]
    assert b.get("/console/team?covenant=nergens").status_code == 404
    assert b.get("/console/team?year=volgend").status_code == 400
    views = [e["details"]["view"] for e in events(api, "case-view")]  # type: ignore[index]
    assert views == ["team-report", "team-report-export"]
    privacy = signed_in(api, "helmond", "po-1", "privacy-officer")
    assert privacy.get("/console/team").status_code == 403  # the team lead's page


def test_the_stuurgroep_reads_the_team_report_and_nothing_else(api: Api) -> None:
    """A stuurgroep member (read-only, aggregates only) signs in to the team report; the log, the
    cases and the annual report of the own party are not theirs."""
    _cases(api, 6, "someren", "onrechtmatige-bewoning", "closed")
    b = signed_in(api, "someren", "sg-1", "stuurgroep")
    assert b.get("/console/team?covenant=pit").status_code == 200
    menu = b.get("/console").text
    assert "Teamrapportage" in menu and "Logboek" not in menu and "Casussen" not in menu
    for path in ("/console/log", "/console/cases", "/console/annual", "/console/report"):
        assert b.get(path).status_code == 403, path
