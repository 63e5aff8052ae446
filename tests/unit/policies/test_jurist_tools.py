"""Scenario suites, the revision diff and the register output that jurists and privacy officers use."""

from __future__ import annotations

import dataclasses

from exchange.policies.diff import diff_covenants, render_diff
from exchange.policies.engine import DecisionEngine
from exchange.policies.files import LoadedVersion
from exchange.policies.model import Covenant
from exchange.policies.register import render_register
from exchange.policies.scenarios import run_scenarios
from exchange.vocabulary import Form


def version(shipped: list[LoadedVersion], ref: str) -> LoadedVersion:
    return next(v for v in shipped if str(v.covenant.ref) == ref)


def test_every_shipped_suite_passes_and_covers_every_flow(
    shipped: list[LoadedVersion], engine: DecisionEngine
) -> None:
    """All shipped covenants pass their scenarios, and every flow has a scenario."""
    for v in shipped:
        report = run_scenarios(engine, v.covenant, list(v.scenarios))
        assert report.passed, report.render()
        assert report.untested_flows == [], v.covenant.label
        assert "every flow has a scenario" in report.render()


def test_failing_scenario_is_reported(shipped: list[LoadedVersion], engine: DecisionEngine) -> None:
    """A scenario whose expectation is wrong fails with what was expected and what happened."""
    v = version(shipped, "pit/2021")
    wrong = [dataclasses.replace(s, expect_allow=not s.expect_allow) for s in v.scenarios[:2]]
    wrong_article = dataclasses.replace(v.scenarios[0], article="12")
    report = run_scenarios(engine, v.covenant, [*wrong, wrong_article])
    assert not report.passed
    text = report.render()
    assert "FAIL The coordinator may ask Senzer" in text
    assert "expected deny, got allow" in text
    assert "expected allow, got deny" in text
    assert "expected article 12, allowed under 4" in text


def test_untested_flows_listed(shipped: list[LoadedVersion], engine: DecisionEngine) -> None:
    """Flows without a scenario are listed and their article marked as not covered."""
    v = version(shipped, "kit/2020")
    report = run_scenarios(engine, v.covenant, [])
    assert set(report.untested_flows) == {f.id for f in v.covenant.flows}
    assert "<- not covered" in report.render()


def test_pit_diff_in_words(shipped: list[LoadedVersion]) -> None:
    """The PIT 2016 -> 2021 diff says who gains and loses what, in plain words, folded by group."""
    old, new = version(shipped, "pit/2016").covenant, version(shipped, "pit/2021").covenant
    text = render_diff(old, new)
    assert text.startswith("What changes from PIT 2016 to PIT 2021")
    assert "New parties: ggd-bzo, nvwa, odzob, riec-ob, senzer, uwv, wijkteam-zonder-rol" in text
    assert "Data categories dropped: fiscale-gegevens" in text
    assert (
        "- RIEC Oost-Brabant now receives 'ondermijning-signaal' from Gemeente Helmond, "
        "Politie Oost-Brabant (incl. AVIM) (content), for 'ondermijning' in action, follow-up"
    ) in text
    assert (
        "- Gemeente Helmond no longer receives 'fiscale-gegevens' from Belastingdienst (content), "
        "for 'onrechtmatige-bewoning' in preparation"
    ) in text
    assert (
        "- Gemeente Helmond receives only hit/no-hit instead of content: 'politie-incidenten' from "
        "Politie Oost-Brabant (incl. AVIM), for 'onrechtmatige-bewoning' in selection"
    ) in text
    assert len(text.splitlines()) < 100  # readable, not one line per permission


def test_diff_json_and_widening(shipped: list[LoadedVersion]) -> None:
    """The JSON diff lists each change; turning a hit-only flow into content is a widening."""
    new = version(shipped, "pit/2021").covenant
    wider = dataclasses.replace(
        new,
        flows=tuple(
            dataclasses.replace(f, form=Form.CONTENT) if f.id == "hit-politie-selectie" else f
            for f in new.flows
        ),
    )
    d = diff_covenants(new, wider)
    assert [c["kind"] for c in d["changes"]] == ["widens"]
    assert d["changes"][0]["detail"] == "hit -> content"
    assert "Widened:" in render_diff(new, wider)
    assert "No party gains or loses any permission." in render_diff(new, new)


def test_register_names_every_flow_recipient_and_ground(shipped: list[LoadedVersion]) -> None:
    """The PIT register names, for every flow, its recipients and legal ground; sensitive flows stand out."""
    c: Covenant = version(shipped, "pit/2021").covenant
    text = render_register(c)
    assert "# Verwerkingsregister (AVG art. 30)" in text
    assert "# DPIA-opzet (AVG art. 35)" in text
    assert "# Privacyverklaring" in text
    for f in c.flows:
        assert f.ground in text
        for r in f.recipients:
            name = c.groups[r].name if r in c.groups else c.parties[r].name  # type: ignore[index]
            assert name in text, (f.id, name)
        assert f"| {f.id} |" in text
    assert "**strafrechtelijk gegeven (AVG art. 10)**" in text
    assert "- **bsn-naar-uitkeringsinstanties**" in text
    assert "Gemeente Laarbeek" in text
