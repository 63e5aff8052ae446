"""Proposed covenant versions in the console: the privacy officer or jurist of a signatory sees each
proposal with who approved, who is still asked, what the own party is asked to do, the scenarios
per article and the impact on past decisions and answers, in Dutch with the covenant's names."""

from __future__ import annotations

import re

from tests.integration.api_support import Api
from tests.integration.plain_html import plain
from tests.integration.revision_support import DROPPED_FLOW, revision
from tests.integration.test_console_roles import signed_in
from tests.integration.test_revisions_api import TODAY, approve, propose, senzer_benefits, signatories


def test_a_signatory_sees_a_proposal_waiting_for_it_with_its_impact(api: Api) -> None:
    signatories(api)
    senzer_benefits(api)  # a past decision the proposal would change
    made = propose(api, revision("2026-r1", TODAY, DROPPED_FLOW))
    assert made.status_code == 201, made.text
    digest = made.json()["digest"]
    assert approve(api, digest, "deurne").status_code == 200

    page = signed_in(api, "someren", "po-1", "privacy-officer").get("/console/proposals")
    assert page.status_code == 200, page.text
    text = plain(page.text)
    assert "PIT 2026-r1" in text and "(wacht op goedkeuring)" in text
    assert re.search(r"Voorgesteld door</th><td>Gemeente Helmond, \d{2}-\d{2}-\d{4}", text)
    approved = text.split("Goedgekeurd door</th><td>", 1)[1].split("</td>", 1)[0]
    assert "Gemeente Helmond (" in approved and "Gemeente Deurne (" in approved
    assert "wordt gevraagd goed te keuren" in text and f"exchange client convenant approve {digest}" in text
    assert re.search(r"1 van de nieuwste \d+ besluiten zouden anders uitvallen", text)
    assert "Dekking door scenario’s per artikel" in text
    assert "Vervangt</th><td>PIT 2021</td>" in text  # the version as people name it, not pit/2021
    coverage = text.split("Dekking door scenario’s per artikel", 1)[1].split("</table>", 1)[0]
    numbers = [int(n) for n in re.findall(r"<tr><td>(\d+)</td>", coverage)]
    assert 10 in numbers and numbers == sorted(numbers)  # 3, 4, ... 10, 11: not as text
    assert "po-1 (privacyfunctionaris) · Gemeente Someren" in text  # the party's name, not its code

    helmond = signed_in(api, "helmond", "jur-1", "jurist").get("/console/proposals").text
    assert "heeft goedgekeurd" in helmond and "wordt gevraagd" not in helmond
    assert signed_in(api, "helmond", "lead-1", "team-lead").get("/console/proposals").status_code == 403


def test_a_jurist_reads_a_proposal_side_by_side_with_the_version_in_force(api: Api) -> None:
    signatories(api)
    made = propose(api, revision("2026-r1", TODAY, DROPPED_FLOW))
    assert made.status_code == 201, made.text
    digest = made.json()["digest"]
    jurist = signed_in(api, "someren", "jur-1", "jurist")
    listing = jurist.get("/console/proposals").text
    assert f'href="/console/proposals/{digest}/diff"' in listing
    page = jurist.get(f"/console/proposals/{digest}/diff")
    assert page.status_code == 200, page.text
    assert "PIT 2021 en het voorstel PIT 2026-r1 naast elkaar</h1>" in page.text
    flows = page.text.split('id="flows"', 1)[1]
    assert DROPPED_FLOW in flows and "vervallen" in flows  # the dropped flow, in the new version's column
    assert jurist.get("/console/proposals/sha256:" + "0" * 64 + "/diff").status_code == 404
    assert (
        signed_in(api, "helmond", "lead-1", "team-lead").get(f"/console/proposals/{digest}/diff").status_code
        == 403
    )
