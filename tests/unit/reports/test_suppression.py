"""Small-count suppression: no count from 1 to 4 is shown, and none can be computed back from a
total by subtraction; known answers for the textbook cases, Hypothesis for the rest."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.reports.suppression import recoverable, single, suppress, visible_small


def test_a_small_cell_hides_its_row_partner_and_column_partner() -> None:
    counts = {("a", "x"): 3, ("a", "y"): 10, ("b", "x"): 12, ("b", "y"): 20}
    t = suppress(counts, ["a", "b"], ["x", "y"])
    assert t.get("a", "x") is None  # primary
    assert t.get("a", "y") is None  # else 13 - 10 gives it away
    assert t.get("b", "x") is None  # else 15 - 12 gives it away
    assert t.get("b", "y") is None  # and so on round the square
    assert (t.get("a", None), t.get(None, "x"), t.get(None, None)) == (13, 15, 45)
    assert recoverable(t) == [] and visible_small(t) == []


def test_large_counts_and_zeros_are_shown_as_they_are() -> None:
    counts = {("a", "x"): 7, ("a", "y"): 0, ("b", "x"): 5, ("b", "y"): 9}
    t = suppress(counts, ["a", "b"], ["x", "y"])
    assert dict(t.shown) == {
        ("a", "x"): 7,
        ("a", "y"): 0,
        ("b", "x"): 5,
        ("b", "y"): 9,
        ("a", None): 7,
        ("b", None): 14,
        (None, "x"): 12,
        (None, "y"): 9,
        (None, None): 21,
    }


def test_a_small_total_is_hidden_with_a_partner() -> None:
    counts = {("a", "x"): 2, ("b", "x"): 40}
    t = suppress(counts, ["a", "b"], ["x"])
    assert t.get("a", "x") is None and t.get("a", None) is None
    assert recoverable(t) == []


def test_a_figure_on_its_own() -> None:
    assert [single(n) for n in (0, 1, 4, 5, 60)] == [0, None, None, 5, 60]


grids = st.integers(1, 4).flatmap(
    lambda r: st.integers(1, 4).flatmap(
        lambda c: st.lists(st.integers(0, 30), min_size=r * c, max_size=r * c).map(lambda v: (r, c, v))
    )
)


@settings(max_examples=300, deadline=None)
@given(grids)
def test_no_small_count_shows_directly_or_by_subtraction(grid: tuple[int, int, list[int]]) -> None:
    r, c, values = grid
    rows, columns = [f"r{i}" for i in range(r)], [f"c{j}" for j in range(c)]
    counts = {(rows[i], columns[j]): values[i * c + j] for i in range(r) for j in range(c)}
    t = suppress(counts, rows, columns)
    assert visible_small(t) == []
    assert recoverable(t) == []
    for (row, column), n in counts.items():  # what is shown is the true count
        assert t.get(row, column) in (None, n)
