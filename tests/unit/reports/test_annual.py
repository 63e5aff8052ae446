"""The annual report counts exactly what it is given, and its totals agree with each other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from exchange.reports.annual import ActedCase, ActionPointFact, DecisionFact, YearRecords, annual_report

NOW = datetime(2026, 11, 30, tzinfo=UTC)
DAY = timedelta(days=1)


def records() -> YearRecords:
    return YearRecords(
        party="helmond",
        year=2026,
        acted=[
            ActedCase(
                "c1",
                "helmond",
                "onrechtmatige-bewoning",
                ("helmond", "politie"),
                "violation-found",
                ("politie",),
                ("politie",),
            ),
            ActedCase("c2", "helmond", "ondermijning", ("helmond", "senzer"), None, ("senzer",), ()),
            ActedCase(
                "c3", "someren", "onrechtmatige-bewoning", ("helmond", "someren"), "no-violation", (), ()
            ),
        ],
        outcomes=["violation-found", "no-violation", "violation-found"],
        action_points=[
            ActionPointFact("reinspection", "politie", NOW - 10 * DAY, "done", NOW - 12 * DAY),  # on time
            ActionPointFact("reinspection", "politie", NOW - 10 * DAY, "done", NOW - 5 * DAY),  # late
            ActionPointFact("fine", "helmond", NOW - DAY, "open", NOW - 20 * DAY),  # overdue
            ActionPointFact("fine", "helmond", NOW + DAY, "open", NOW - 20 * DAY),  # open
            ActionPointFact("referral", "senzer", NOW + DAY, "cancelled", NOW - 2 * DAY),
        ],
        contributions=["politie", "politie", "senzer"],
        decisions=[
            DecisionFact(True, ("4", "7"), None),
            DecisionFact(True, ("4",), None),
            DecisionFact(False, (), "no-flow"),
            DecisionFact(False, (), "no-flow"),
            DecisionFact(False, (), "outside-validity"),
        ],
    )


def test_known_figures() -> None:
    r = annual_report(records(), NOW)
    assert r.actions_total == 3
    assert r.actions_per_municipality == [("helmond", 2), ("someren", 1)]
    assert r.actions_per_theme == [("onrechtmatige-bewoning", 2), ("ondermijning", 1)]
    assert r.findings == [("violation-found", 2), ("no-violation", 1)]
    assert r.follow_up_kinds == [("fine", 2), ("reinspection", 2), ("referral", 1)]
    assert r.follow_up == {"due": 5, "on_time": 1, "late": 1, "open": 1, "overdue": 1, "cancelled": 1}
    assert r.on_time_share == 0.25
    assert r.feedback == {"acted_cases": 3, "with_outcome": 2, "contributors": 2, "contributors_told": 1}
    assert r.allowed_per_article == [("4", 2), ("7", 1)]
    assert r.denied_per_reason == [("no-flow", 2), ("outside-validity", 1)]
    by_party = {p.party: p for p in r.per_party}
    assert (by_party["politie"].cases, by_party["politie"].items) == (1, 2)
    assert (
        by_party["politie"].actions_owned,
        by_party["politie"].actions_done,
        by_party["politie"].actions_on_time,
    ) == (2, 2, 1)
    assert by_party["helmond"].cases == 3 and by_party["someren"].items == 0
    rows = r.rows()
    assert ("actions", "total", 3) in rows and ("party:politie", "actions-on-time", 1) in rows


def test_an_empty_year_has_no_share_and_no_rows_but_totals() -> None:
    r = annual_report(YearRecords(party="helmond", year=2025), NOW)
    assert r.actions_total == 0 and r.on_time_share is None and r.per_party == []
    assert r.rows()[0] == ("actions", "total", 0)


names = st.sampled_from(["helmond", "someren", "politie", "senzer", "vrbzo"])
moments = st.integers(-40, 40).map(lambda d: NOW + d * DAY)
acted = st.builds(
    ActedCase,
    st.text("abc123", min_size=1, max_size=6),
    names,
    st.sampled_from(["onrechtmatige-bewoning", "ondermijning"]),
    st.lists(names, max_size=4).map(lambda x: tuple(sorted(set(x)))),
    st.none() | st.sampled_from(["violation-found", "no-violation"]),
    st.lists(names, max_size=3).map(lambda x: tuple(sorted(set(x)))),
    st.lists(names, max_size=3).map(lambda x: tuple(sorted(set(x)))),
)
points = st.builds(
    ActionPointFact,
    st.sampled_from(["fine", "referral"]),
    names,
    moments,
    st.sampled_from(["open", "done", "cancelled"]),
    moments,
)


@given(st.lists(acted, max_size=12), st.lists(points, max_size=12), st.lists(names, max_size=12))
def test_totals_agree(cases: list[ActedCase], action_points: list[ActionPointFact], items: list[str]) -> None:
    r = annual_report(
        YearRecords("helmond", 2026, acted=cases, action_points=action_points, contributions=items), NOW
    )
    assert sum(n for _, n in r.actions_per_municipality) == r.actions_total == len(cases)
    assert sum(n for _, n in r.actions_per_theme) == r.actions_total
    f = r.follow_up
    assert f["on_time"] + f["late"] + f["open"] + f["overdue"] + f["cancelled"] == f["due"]
    assert sum(p.actions_owned for p in r.per_party) == f["due"]
    assert sum(p.items for p in r.per_party) == len(items)
    assert all(p.actions_on_time <= p.actions_done <= p.actions_owned for p in r.per_party)
    assert r.feedback["contributors_told"] <= r.feedback["contributors"]
    assert r.on_time_share is None or 0 <= r.on_time_share <= 1


def test_findings_are_summed_per_category_and_code() -> None:
    """The counts parties registered are added up per category and violation code, most found first,
    and exported one line each; a year without findings has none."""
    given_records = records()
    given_records.violations = [
        ("uitkering-status", "onrechtmatige-uitkering", 2),
        ("bag-gebruik", "brandonveilig", 1),
        ("uitkering-status", "onrechtmatige-uitkering", 3),
    ]
    r = annual_report(given_records, NOW)
    assert r.violations == [("uitkering-status/onrechtmatige-uitkering", 5), ("bag-gebruik/brandonveilig", 1)]
    assert ("violations", "uitkering-status/onrechtmatige-uitkering", 5) in r.rows()
    assert annual_report(records(), NOW).violations == []
