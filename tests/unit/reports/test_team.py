"""The team-wide report: counts per theme and phase, the quarterly trend, feedback, findings and
follow-up over all parties, with no count below 5 shown directly or by subtraction from a total,
also where one figure appears in two tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.reports.suppression import recoverable, visible_small
from exchange.reports.team import team_report
from exchange.storage.team_queries import TeamActionPoint, TeamCase, TeamRecords

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _case(i: int, purpose: str, phase: str, month: int, year: int = 2026) -> TeamCase:
    return TeamCase(f"case-{i}", purpose, phase, datetime(year, month, 3, tzinfo=UTC))


def test_the_figures_add_up_and_small_ones_are_hidden_with_a_partner() -> None:
    cases = [_case(i, "onrechtmatige-bewoning", "closed", 2) for i in range(12)]
    cases += [_case(100 + i, "uitkeringsfraude", "action", 5) for i in range(3)]
    cases += [_case(200 + i, "uitkeringsfraude", "closed", 5) for i in range(9)]
    records = TeamRecords(
        "pit",
        2026,
        cases=cases,
        acted=[(c.id, c.opened + timedelta(days=10)) for c in cases[:20]],
        findings=[("senzer", "uitkering", 7), ("politie-oost-brabant", "incidenten", 2)],
        action_points=[TeamActionPoint("senzer", NOW - timedelta(days=1), "done", NOW - timedelta(days=2))]
        * 6,
        outcomes={c.id: True for c in cases[:20]},
    )
    r = team_report(records, NOW)
    assert r.cases.get("uitkeringsfraude", "action") is None  # 3: hidden
    assert r.cases.get("uitkeringsfraude", "closed") is None  # else 12 - 9 gives the 3 away
    assert r.cases.get(None, "closed") == 21
    assert r.cases.get("onrechtmatige-bewoning", "closed") is None  # else 21 - 12 gives the 9 away
    assert r.cases.get("onrechtmatige-bewoning", None) is None  # the row's only figure: its total is it
    assert r.cases.get("uitkeringsfraude", "signal") == 0  # a zero says nothing about anyone
    assert r.cases.get(None, None) == 24 and r.trend.get("opened-2026", None) == 24  # one figure, shown twice
    assert r.feedback.get("acted", "with-outcome") == 20 and r.feedback.get("acted", None) == 20
    assert r.findings.get("incidenten", "politie-oost-brabant") is None
    assert r.follow_up.get("senzer", "on-time") == 6
    assert "<5" in r.csv({}) and "onrechtmatige-bewoning" in r.csv({})


purposes = st.sampled_from(["a", "b", "c"])
phases = st.sampled_from(["signal", "selection", "action", "closed"])
cases = st.lists(
    st.tuples(
        purposes, phases, st.integers(1, 12), st.sampled_from([2025, 2026]), st.booleans(), st.booleans()
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(cases)
def test_no_table_shows_a_small_count_directly_or_by_subtraction(
    drawn: list[tuple[str, str, int, int, bool, bool]],
) -> None:
    made = [_case(i, p, ph, m, y) for i, (p, ph, m, y, _, _) in enumerate(drawn)]
    acted = [(c.id, c.opened + timedelta(days=40)) for c, d in zip(made, drawn, strict=True) if d[4]]
    records = TeamRecords(
        "pit",
        2026,
        cases=made,
        acted=[(c, t) for c, t in acted if t.year in (2025, 2026)],
        outcomes={c.id: d[5] for c, d in zip(made, drawn, strict=True) if d[4]},
    )
    r = team_report(records, NOW)
    for _, table in r.tables():
        assert visible_small(table) == []
        assert recoverable(table) == []
    # A figure in two tables is shown or hidden in both.
    assert r.cases.get(None, None) == r.trend.get("opened-2026", None)
    assert r.feedback.get("acted", None) == r.trend.get("acted-2026", None)
