"""The service under a bounded load on loopback (tests/load/loadtest.py): at 80% of measured
capacity no 5xx and flat memory; at twice capacity it sheds with 503 (never 500); afterwards it
recovers by itself; and the log holds exactly the events of the acknowledged actions."""

from __future__ import annotations

from tests.load.loadtest import run


def test_load_shedding_and_accounting() -> None:
    report = run(hold=15.0, overload=8.0)
    hold, over, after = report["hold"], report["overload"], report["recovery"]
    assert report["capacity_rps"] > 10, report
    assert set(hold["statuses"]) <= {200, 201}, report  # no 5xx, nothing shed below capacity
    assert hold["client_errors"] == {} and over["client_errors"] == {}, report
    assert hold["reached_rps"] >= 0.9 * hold["target_rps"], report
    # Memory stays flat while the load holds (the second half may not exceed the first by 15%).
    assert hold["rss_mib_second_half"] <= 1.15 * hold["rss_mib_first_half"], report
    assert 500 not in over["statuses"] and set(over["statuses"]) <= {200, 201, 429, 503}, report
    assert over["statuses"].get(503, 0) > 0, report  # twice capacity is actually shed
    assert set(after["statuses"]) <= {200, 201}, report  # recovered without a restart
    for action, counts in report["events"].items():
        assert counts["logged"] == counts["acknowledged"] > 0, (action, report["events"])
