"""Small-count suppression for aggregate tables: no published figure may single out a handful of
cases, neither directly nor by subtraction from a total.

The published figures are cells, and every total is a line: the total and the cells it adds up.
A figure that appears in two tables (a year's number of cases, as the total of one table and as a
row total of another) is one cell in both lines, so the rule sees both. Primary suppression hides
every count from 1 to ``threshold - 1`` (zero says nothing about anyone and stays shown). Secondary
suppression then works line by line: a line with exactly one hidden figure would give it away by
subtraction, so the smallest other figure of that line is hidden too (a shown zero only when
nothing else is left), until no line has exactly one hidden figure. This is the cell and marginal
suppression statistics offices apply to published tables; it does not solve the general
linear-algebra attack across many overlapping lines, which is why a report publishes few,
separate tables and names each shared figure as one cell.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

THRESHOLD = 5

K = TypeVar("K", bound=Hashable)

#: A cell of a grid; ``None`` for the total of a row or column.
Cell = tuple[str | None, str | None]


def suppress_cells(
    values: Mapping[K, int], lines: Sequence[Sequence[K]], threshold: int = THRESHOLD
) -> set[K]:
    """The cells to hide, by the module's rule. ``lines`` are the additive relations (a total with
    its parts), each as the cells it holds; their order only breaks ties."""
    hidden = {cell for cell, n in values.items() if 0 < n < threshold}
    rank = {cell: i for i, cell in enumerate(values)}
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(cell in hidden for cell in line) != 1:
                continue
            candidates = [cell for cell in line if cell not in hidden]
            nonzero = [cell for cell in candidates if values[cell] > 0]
            hidden.add(min(nonzero or candidates, key=lambda cell: (values[cell], rank[cell])))
            changed = True
    return hidden


@dataclass(frozen=True, slots=True)
class Table:
    """A table as published: ``shown`` maps every cell (totals included, with ``None`` for the total
    row or column) to its count, or to ``None`` where it is hidden; ``lines`` are its sums."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    shown: Mapping[Cell, int | None]
    lines: tuple[tuple[Cell, ...], ...]

    def get(self, row: str | None, column: str | None) -> int | None:
        return self.shown[(row, column)]


def grid(
    counts: Mapping[tuple[str, str], int],
    rows: Sequence[str],
    columns: Sequence[str],
    column_totals: bool = True,
) -> tuple[dict[Cell, int], list[tuple[Cell, ...]]]:
    """Every cell of a grid with its row totals (and column totals and overall total when asked),
    and its lines; missing cells count zero."""
    full: dict[Cell, int] = {(r, c): counts.get((r, c), 0) for r in rows for c in columns}
    for r in rows:
        full[(r, None)] = sum(full[(r, c)] for c in columns)
    lines: list[tuple[Cell, ...]] = [tuple((r, c) for c in [*columns, None]) for r in rows]
    if column_totals:
        for c in columns:
            full[(None, c)] = sum(full[(r, c)] for r in rows)
        full[(None, None)] = sum(full[(r, None)] for r in rows)
        lines += [tuple((r, c) for r in [*rows, None]) for c in [*columns, None]]
    return full, lines


def suppress(
    counts: Mapping[tuple[str, str], int],
    rows: Sequence[str],
    columns: Sequence[str],
    threshold: int = THRESHOLD,
) -> Table:
    """One grid with all its totals, suppressed on its own."""
    full, lines = grid(counts, rows, columns)
    hidden = suppress_cells(full, lines, threshold)
    return Table(
        tuple(rows), tuple(columns), {c: None if c in hidden else n for c, n in full.items()}, tuple(lines)
    )


def single(count: int, threshold: int = THRESHOLD) -> int | None:
    """A figure published on its own (in no sum with others): hidden from 1 to ``threshold - 1``."""
    return None if 0 < count < threshold else count


def recoverable(table: Table) -> list[tuple[Cell, ...]]:
    """The lines from which one hidden figure could be computed: none, for a suppressed table."""
    return [line for line in table.lines if sum(table.shown[cell] is None for cell in line) == 1]


def visible_small(table: Table, threshold: int = THRESHOLD) -> list[Cell]:
    """Cells shown with a count from 1 to ``threshold - 1``: none, for a suppressed table."""
    return [cell for cell, n in table.shown.items() if n is not None and 0 < n < threshold]
