"""Two covenant versions side by side: every article, purpose, flow and party of either version is
a row, matched by its key, marked new, removed, changed or the same, with the files' names and codes the page puts into words."""

from __future__ import annotations

from pathlib import Path

from exchange.policies.files import load_tree
from exchange.reports.covenant_compare import compare

ROOT = Path(__file__).resolve().parents[3] / "convenant" / "pit"


def test_pit_2016_and_2021_side_by_side() -> None:
    versions = {v.covenant.ref.version: v.covenant for v in load_tree(ROOT)}
    old, new = versions["2016"], versions["2021"]
    c = compare(old, new)
    assert (c.old, c.new) == ("PIT 2016", "PIT 2021")
    flows = {r.key: r for r in c.flows}
    assert set(flows) == {f.id for f in old.flows} | {f.id for f in new.flows}
    for key, row in flows.items():
        in_old = key in {f.id for f in old.flows}
        in_new = key in {f.id for f in new.flows}
        assert row.state == ("changed" if row.old != row.new else "same") if in_old and in_new else True
        assert row.state != "new" or not in_old
        assert row.state != "gone" or not in_new
    changed = [r for r in c.flows if r.state != "same"]
    assert changed  # 2021 changed the flows
    described = next(r for r in c.flows if r.new.heading)
    phases = next(line for line in described.new.lines if line.label == "phases")
    assert phases.kind == "phase" and set(phases.values) <= {
        "signal",
        "selection",
        "preparation",
        "action",
        "follow-up",
        "feedback",
        "closed",
    }
    assert any(line.label == "ground" and line.values[0] for line in described.new.lines)
    purposes = {r.key: r for r in c.purposes}
    assert purposes["onrechtmatige-bewoning"].state == "changed"  # renamed in 2021
    assert purposes["onrechtmatige-bewoning"].new.heading.startswith("Aanpak van onrechtmatige of onveilige")


def test_a_version_against_itself_has_no_changes() -> None:
    v = next(iter(load_tree(ROOT))).covenant
    c = compare(v, v)
    assert all(r.state == "same" for _, rows in c.sections() for r in rows)
