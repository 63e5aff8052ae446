"""The team lead's team-wide report in the console: every party's cases of one covenant, counts
below 5 never shown directly or by subtraction, a CSV, a logged view, and no covenant the viewer's
party is not part of."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exchange.storage.models import CaseRow
from exchange.storage.team_queries import team_records
from tests.conftest import convenant_today
from tests.integration.api_support import Api
from tests.integration.conftest import ORIGIN, Db
from tests.integration.plain_html import plain
from tests.integration.test_console_roles import events, played_case, signed_in
from tests.integration.test_followup_api import case_with_item


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


@pytest.fixture
def lsi(db: Db, tmp_path: Path) -> Iterator[Api]:
    """The service with a second LSI project beside Woensel-Noord (a Tilburg copy, custodian tilburg):
    both files say ``programme: lsi``; politie-oost-brabant takes part in both, helmond in neither."""
    from fastapi.testclient import TestClient

    from exchange.api.app import create_app
    from exchange.config import Settings
    from exchange.crypto.keys import PartyKeys
    from exchange.storage.parties import register_party
    from tests.integration.api_support import NOW, PARTIES

    tree = tmp_path / "convenant"
    shutil.copytree(convenant_today(), tree)
    tilburg = tree / "lsi-tilburg" / "2025"
    tilburg.mkdir(parents=True)
    for f in (tree / "lsi-woensel" / "2024").iterdir():
        text = (
            f.read_text(encoding="utf-8")
            .replace("lsi-woensel", "lsi-tilburg")
            .replace("eindhoven", "tilburg")
        )
        text = text.replace("Eindhoven Woensel-Noord", "Tilburg Noord").replace(
            "Gemeente Eindhoven", "Gemeente Tilburg"
        )
        (tilburg / f.name).write_text(text.replace('version: "2024"', 'version: "2025"'), encoding="utf-8")
    keys = {p: PartyKeys.create(p, NOW) for p in PARTIES}
    with db.sessions.begin() as s:
        for p, k in keys.items():
            register_party(s, p, p.title(), [v.to_data(p) for v in k.public()], NOW)
    settings = Settings(mode="dev", database_url=db.url, convenant_dir=tree, log_origin=ORIGIN)
    with TestClient(create_app(settings, db.engine)) as http:
        yield Api(http, db, keys)


def _project_cases(api: Api, covenant: str, n: int) -> None:
    now = datetime.now(UTC)
    with api.db.sessions.begin() as s:
        for i in range(n):
            party = covenant.split("/")[0].removeprefix("lsi-")
            s.add(
                CaseRow(
                    id=f"case-{party}-{i}",
                    covenant=covenant,
                    purpose="ondermijning",
                    phase="action",
                    coordinator="eindhoven" if party == "woensel" else "tilburg",
                    created=now,
                )
            )


def test_the_lsi_programme_view_adds_up_every_project_of_the_programme(lsi: Api) -> None:
    """Woensel-Noord's 3 cases alone are hidden (<5); the programme shows them with Tilburg's 4 as 7,
    names both projects, and is offered only to a party in one of them."""
    _project_cases(lsi, "lsi-woensel/2024", 3)
    _project_cases(lsi, "lsi-tilburg/2025", 4)
    b = signed_in(lsi, "politie-oost-brabant", "sg-1", "stuurgroep")
    start = b.get("/console/team").text
    assert 'value="programme:lsi"' in start and "Programma LSI" in start
    one = plain(b.get("/console/team?covenant=lsi-woensel").text)
    assert "<td>3</td>" not in one and "&lt;5</abbr>" in one
    page = b.get("/console/team?covenant=programme:lsi")
    assert page.status_code == 200, page.text
    assert "LSI-project Eindhoven Woensel-Noord" in page.text and "LSI-project Tilburg Noord" in page.text
    assert re.search(r'<tr class="total"><th scope="row">Totaal</th>.*<td>7</td></tr>', plain(page.text))
    assert "alle partijen van de convenanten van het programma" in page.text
    assert "alle partijen van het convenant" not in page.text
    assert '<th scope="col">K1</th>' in plain(page.text)  # Dutch quarters stay K1-K4
    english = plain(b.get("/console/team?covenant=programme:lsi&lang=en").text)
    assert "every party of the programme's covenants" in english.replace("&#39;", "'")
    assert '<th scope="col">Q1</th>' in english and ">K1<" not in english and " K1<" not in english
    assert re.search(r"opened in \d{4} Q4</text>", english)  # in the chart as well
    export = b.get("/console/team.csv?covenant=programme:lsi")
    assert "teamrapportage-programme-lsi-" in export.headers["content-disposition"]
    assert "programme:lsi," in export.text
    helmond = signed_in(lsi, "helmond", "lead-1", "team-lead")
    assert 'value="programme:lsi"' not in helmond.get("/console/team").text
    assert helmond.get("/console/team?covenant=programme:lsi").status_code == 404
    assert helmond.get("/console/team?covenant=programme:pit").status_code == 404


def test_a_partner_added_in_the_action_phase_is_not_a_second_move_into_action(api: Api) -> None:
    """Adding a partner is logged as a case change with the partner as counterparty, in the case's
    phase; the reports count a case as acted on by its move into the action phase only."""
    case_id = case_with_item(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    assert coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"}).status_code == 200
    assert coord.post(f"/v1/cases/{case_id}/parties", {"party": "senzer"}).status_code == 200
    with api.db.sessions.begin() as s:
        acted = team_records(s, ["pit"], datetime.now(UTC).year).acted
    assert [c for c, _ in acted] == [case_id]
    page = signed_in(api, "helmond", "po-1", "privacy-officer").get(f"/console/log?case={case_id}")
    assert page.status_code == 200, page.text
    assert "Partner aan de casus toegevoegd" in page.text
