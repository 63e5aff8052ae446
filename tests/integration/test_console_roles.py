"""The console for the jurist, the case table and the team lead: each role sees its own pages,
case pages show metadata only and never content, another party's case answers like a missing one,
and every page with case or log data logs its own view."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from exchange.storage.models import ActionPoint
from tests.integration.api_support import Api
from tests.integration.plain_html import plain
from tests.integration.store_dump import holds_postcode
from tests.integration.test_console import browser
from tests.integration.test_enrichment_api import POLICE, A
from tests.integration.test_followup_api import case_with_item


def signed_in(api: Api, party: str, user: str, role: str) -> TestClient:
    r = api.client(party, user, role).post("/v1/console/tickets", {})
    assert r.status_code == 201, r.text
    b = browser(api)
    assert b.get(r.json()["url"]).status_code == 303
    return b


def events(api: Api, action: str) -> list[dict[str, object]]:
    with api.db.sessions.begin() as s:
        all_events = [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]
    return [e for e in all_events if e["action"] == action]


def played_case(api: Api) -> str:
    """A PIT case taken to feedback: hit/no-hit asked, a police item, one overdue action point
    without a reason and one done, the outcome fed back. Returns the case id."""
    api.client(POLICE).post("/v1/index/politie-incidenten", {"add": [A]})
    case_id = case_with_item(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    assert coord.post(f"/v1/cases/{case_id}/hits", {}).status_code == 200
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"})
    deadline = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    late = coord.post(
        f"/v1/cases/{case_id}/actions", {"kind": "reinspection", "owner": POLICE, "deadline": deadline}
    )
    done = coord.post(
        f"/v1/cases/{case_id}/actions", {"kind": "fine", "owner": "helmond", "deadline": deadline}
    )
    api.client("helmond", "u-1", "employee").post(
        f"/v1/cases/{case_id}/actions/{done.json()['id']}", {"status": "done"}
    )
    with api.db.sessions.begin() as s:
        s.execute(
            update(ActionPoint)
            .where(ActionPoint.id == late.json()["id"])
            .values(deadline=datetime.now(UTC) - timedelta(days=1))
        )
    for phase in ("follow-up", "feedback"):
        coord.post(f"/v1/cases/{case_id}/transitions", {"to": phase})
    assert coord.post(f"/v1/cases/{case_id}/feedback", {"outcome": "violation-found"}).status_code == 200
    return case_id


def test_each_role_sees_its_own_pages(api: Api) -> None:
    expected = {
        ("privacy-officer", "/console/log"): 200,
        ("privacy-officer", "/console/cases"): 403,
        ("jurist", "/console/covenants"): 200,
        ("jurist", "/console/log"): 403,
        ("jurist", "/console/annual"): 403,
        ("coordinator", "/console/cases"): 200,
        ("coordinator", "/console/annual"): 200,
        ("coordinator", "/console/covenants"): 403,
        ("employee", "/console/follow-up"): 200,
        ("employee", "/console/annual"): 403,
        ("employee", "/console/log.csv"): 403,
        ("team-lead", "/console/annual"): 200,
        ("team-lead", "/console/cases"): 403,
    }
    for (role, path), status in expected.items():
        b = signed_in(api, "helmond", f"user-{role}", role)
        r = b.get(path)
        assert r.status_code == status, (role, path, r.text[-300:])
        menu = b.get("/console").text
        assert (f'href="{path}"' in menu) == (status == 200), (role, path)


def test_case_pages_show_metadata_never_content(api: Api) -> None:
    """A case page shows metadata and that a reason was given, by whom; never content or free text."""
    case_id = played_case(api)
    b = signed_in(api, "helmond", "coord-1", "coordinator")
    listing = b.get("/console/cases")
    assert listing.status_code == 200 and f'href="/console/cases/{case_id}"' in listing.text
    assert "<h2>terugkoppeling (1)</h2>" in plain(listing.text)  # the phase in words

    page = b.get(f"/console/cases/{case_id}")
    assert page.status_code == 200, page.text
    text = plain(page.text)
    assert "genomen; reden gegeven door helmond (coord-1)" in text  # the selection decision was taken
    assert "Three signals of overcrowding." not in text  # its reason is sealed: the hub has no text
    police = "<td>Politie Oost-Brabant (incl. AVIM)</td><td>Incidenten en mutaties op het adres</td>"
    assert police + "<td>1</td><td>0</td>" in text  # a hit, by the covenant's names
    # Senzer never published an index: its answer is counted as no-index, not as no-hit.
    benefits = "<td>Senzer</td><td>Of en sinds wanneer bijstand wordt verstrekt</td>"
    assert benefits + "<td>0</td><td>0</td><td>1</td>" in text
    assert (
        "politie-incidenten" not in text and "Overtreding vastgesteld" in text
    )  # names and words, not codes
    assert "2 meldingen overlast" not in text  # the sealed content never appears
    assert A not in text and not holds_postcode(text)  # neither pseudonyms nor addresses
    assert "reden ontbreekt" in text and "over tijd" in text

    board = b.get("/console/follow-up")
    assert "1 over tijd, waarvan 1 zonder reden" in board.text
    assert board.text.index("Hercontrole") < board.text.index("Boete")  # overdue first
    feedback = b.get("/console/feedback")
    assert "Overtreding vastgesteld" in feedback.text and "Politie Oost-Brabant" in feedback.text

    views = events(api, "case-view")
    assert [v["details"]["view"] for v in views] == ["cases", "case", "follow-up", "feedback"]  # type: ignore[index]
    assert views[1]["case"] == case_id and views[1]["actor"]["user"] == "coord-1"  # type: ignore[index]


def test_another_partys_case_answers_like_a_missing_one(api: Api) -> None:
    case_id = played_case(api)
    outsider = signed_in(api, "someren", "coord-9", "coordinator")
    theirs = outsider.get(f"/console/cases/{case_id}")
    missing = outsider.get("/console/cases/case-that-does-not-exist")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text.replace(case_id, "X") == missing.text.replace("case-that-does-not-exist", "X")
    assert case_id not in outsider.get("/console/cases").text
    assert case_id not in outsider.get("/console/follow-up").text


def test_the_police_sees_its_own_item_but_not_helmonds_hits(api: Api) -> None:
    case_id = played_case(api)
    police = signed_in(api, POLICE, "agent-7", "employee")
    text = police.get(f"/console/cases/{case_id}").text
    assert "nee (eigen stuk)" in text  # the item it provided
    assert "nog geen hit/no-hit gevraagd" in text  # helmond's answers are helmond's


def test_the_jurist_reads_versions_rules_diff_scenarios_and_impact(api: Api) -> None:
    api.client("helmond", "coord-1", "coordinator").post(
        "/v1/decisions",
        {
            "provider": "senzer",
            "category": "bijstand-status",
            "purpose": "onrechtmatige-bewoning",
            "phase": "preparation",
            "covenant": "pit",
        },
    )
    b = signed_in(api, "helmond", "jur-1", "jurist")
    index = b.get("/console/covenants").text
    for label in ("PIT 2016", "PIT 2021", "KIT 2020", "LSI-WOENSEL 2024"):
        assert label in index, label
    assert "van kracht" in index and "vervallen" in index
    rules = b.get("/console/covenants/pit/2021")
    assert (
        rules.status_code == 200
        and '<th scope="col">Grondslag</th>' in plain(rules.text)
        and "art. " in rules.text
    )
    diff = b.get("/console/covenants/pit/diff?old=2016&new=2021")
    assert diff.status_code == 200 and "PIT 2016 en PIT 2021 naast elkaar" in diff.text
    assert "What changes" not in diff.text  # Dutch, side by side, not the command line's English prose
    assert re.search(r'<tr class="(changed|new)"><td>(gewijzigd|nieuw)</td>', plain(diff.text))
    assert "Gegevensstromen" in diff.text and "Grondslag: " in diff.text and "Fasen: " in diff.text
    scenarios = b.get("/console/covenants/pit/2021/scenarios")
    assert scenarios.status_code == 200 and "scenario's slagen" in scenarios.text
    assert "Dekking per artikel" in scenarios.text and "mislukt" not in scenarios.text
    impact = b.get("/console/covenants/pit/2016/impact")
    assert impact.status_code == 200 and "besluit(en), waarvan" in impact.text
    assert [v["details"]["view"] for v in events(api, "log-view")] == ["covenant-impact"]  # type: ignore[index]
    assert b.get("/console/covenants/pit/1999").status_code == 404
    assert b.get("/console/covenants/pit/diff").status_code == 400


def test_annual_report_from_case_metadata(api: Api) -> None:
    played_case(api)
    b = signed_in(api, "helmond", "lead-1", "team-lead")
    year = datetime.now(UTC).year
    page = b.get("/console/annual")
    assert page.status_code == 200, page.text
    text = plain(page.text)
    assert "<h2>Acties: 1</h2>" in text
    assert "casussen waaraan Gemeente Helmond deelnam" in text  # the party's name, not its code
    assert 'aria-label="Acties per gemeente"' in text and ">helmond</text>" in text
    assert ">onrechtmatige-bewoning</text>" in text and ">Overtreding vastgesteld</text>" in text
    assert "Bijdragende partijen geïnformeerd</th><td>1 van 1" in text
    assert A not in text and "v1:" not in text and not holds_postcode(text)
    export = b.get(f"/console/annual.csv?year={year}")
    lines = export.text.splitlines()
    assert lines[0] == "party,year,section,key,value"
    assert f"helmond,{year},actions,total,1" in lines
    assert f"helmond,{year},follow-up,overdue,1" in lines and f"helmond,{year},follow-up,on_time,1" in lines
    assert f"helmond,{year},findings,violation-found,1" in lines
    earlier = b.get(f"/console/annual?year={year - 1}")
    assert "<h2>Acties: 0</h2>" in plain(earlier.text)
    assert b.get("/console/annual?year=next").status_code == 400
    assert b.get(f"/console/annual?year={year + 1}").status_code == 400
    other = signed_in(api, "someren", "lead-2", "team-lead").get("/console/annual")
    assert "<h2>Acties: 0</h2>" in plain(other.text)  # someren took no part
    assert [v["details"]["view"] for v in events(api, "case-view")] == [  # type: ignore[index]
        "annual-report",
        "annual-report-export",
        "annual-report",
        "annual-report",
    ]


def test_the_access_answer_counts_no_index_apart_from_nothing_found(api: Api) -> None:
    """Senzer published no index: its answer is 'had no index to check', not 'nothing found'."""
    played_case(api)
    b = signed_in(api, "helmond", "po-1", "privacy-officer")
    text = plain(b.get(f"/console/report?covenant=pit&subject={A}").text)
    assert "1 keer had Senzer geen index om te controleren" in text
    assert not re.search(r"vroeg Senzer naar [^<]*niets gevonden", text)


def test_the_access_request_form_offers_only_the_partys_own_covenants(api: Api) -> None:
    """Helmond did not sign KIT: the form offers PIT only, preselected."""
    b = signed_in(api, "helmond", "po-1", "privacy-officer")
    form = b.get("/console/report").text
    assert re.findall(r'<option value="([^"]+)"', form) == ["pit"]
    assert re.search(r'<option value="pit"\s+selected', form)
