"""The team-wide report for the team lead and the stuurgroep: one covenant, every party, one year,
aggregates only.

Input is :class:`exchange.storage.team_queries.TeamRecords` (case metadata: purposes, phases,
parties, dates, counts) and the covenant's names; every table goes through
:func:`exchange.reports.suppression.suppress`, so no count from 1 to 4 is shown, directly or by
subtraction from a total. Each figure is published in one table only.

- cases opened in the year, per theme (the case's purpose) and current phase;
- the quarterly trend: cases opened and cases acted on, per quarter of the year and the one before;
- findings registered in the year, per category and the partner that registered them;
- action points due in the year, per owner: done on time, done late, open, overdue;
- feedback: cases acted on in the year, with and without an outcome recorded.

The year's number of cases opened is both the total of the first table and a row total of the trend;
the year's number of cases acted on is both the feedback total and a row total of the trend: each is
one cell in the suppression, so hiding it in one table hides it in the other.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from exchange.reports.suppression import Cell, Table, grid, suppress_cells
from exchange.storage.team_queries import TeamRecords
from exchange.vocabulary import Phase

PHASES = tuple(str(p) for p in Phase)
FOLLOW_UP = ("on-time", "late", "open", "overdue")


@dataclass(frozen=True, slots=True)
class TeamReport:
    covenant: str
    year: int
    cases: Table  # theme x phase, with all totals
    trend: Table  # opened/acted per year x quarter, with row totals
    feedback: Table  # acted cases: with and without an outcome recorded, with the total
    findings: Table  # category x partner, with all totals
    follow_up: Table  # owner x on-time/late/open/overdue, with all totals

    def tables(self) -> list[tuple[str, Table]]:
        return [
            ("cases", self.cases),
            ("trend", self.trend),
            ("feedback", self.feedback),
            ("findings", self.findings),
            ("follow-up", self.follow_up),
        ]

    def csv(self, names: Mapping[str, str]) -> str:
        """Every table's figures, one line per cell; hidden ones as "<5"."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["covenant", "year", "table", "row", "column", "value"])
        for label, table in self.tables():
            for (r, c), n in table.shown.items():
                row = names.get(r, r) if r else "totaal"
                column = names.get(c, c) if c else "totaal"
                w.writerow([self.covenant, self.year, label, row, column, "<5" if n is None else n])
        return out.getvalue()


def quarter(moment: datetime) -> str:
    return f"K{(moment.month - 1) // 3 + 1}"


QUARTERS = ("K1", "K2", "K3", "K4")

#: A cell of the whole report: (table, row, column).
Key = tuple[str, str | None, str | None]


class _Report:
    """The report's cells and lines as one system, so a figure shared by two tables is one cell."""

    def __init__(self) -> None:
        self.values: dict[Key, int] = {}
        self.lines: list[list[Key]] = []
        self.grids: dict[str, tuple[list[str], list[str], dict[Cell, Key], tuple[tuple[Cell, ...], ...]]] = {}

    def add(
        self,
        name: str,
        counts: Mapping[tuple[str, str], int],
        rows: list[str],
        columns: list[str],
        column_totals: bool = True,
        shared: Mapping[Cell, Key] | None = None,
    ) -> None:
        full, lines = grid(counts, rows, columns, column_totals)
        keys: dict[Cell, Key] = {cell: (shared or {}).get(cell, (name, *cell)) for cell in full}
        for cell, n in full.items():
            if keys[cell] in self.values and self.values[keys[cell]] != n:
                raise ValueError(f"a shared figure differs between tables: {keys[cell]}")
            self.values[keys[cell]] = n
        self.lines += [[keys[c] for c in line] for line in lines]
        self.grids[name] = (rows, columns, keys, tuple(lines))

    def tables(self) -> dict[str, Table]:
        hidden = suppress_cells(self.values, self.lines)
        return {
            name: Table(
                tuple(rows),
                tuple(columns),
                {cell: None if key in hidden else self.values[key] for cell, key in keys.items()},
                lines,
            )
            for name, (rows, columns, keys, lines) in self.grids.items()
        }


def team_report(r: TeamRecords, now: datetime) -> TeamReport:
    y = r.year
    first_action: dict[str, datetime] = {}
    for case_id, moment in sorted(r.acted, key=lambda a: a[1]):
        first_action.setdefault(case_id, moment)
    acted_in_year = [c for c, m in first_action.items() if m.year == y]
    opened = Counter((c.purpose, c.phase) for c in r.cases if c.opened.year == y)
    trend = Counter((f"opened-{c.opened.year}", quarter(c.opened)) for c in r.cases)
    trend.update((f"acted-{m.year}", quarter(m)) for m in first_action.values())
    with_outcome = sum(r.outcomes.get(c, False) for c in acted_in_year)
    feedback = {
        ("acted", "with-outcome"): with_outcome,
        ("acted", "without-outcome"): len(acted_in_year) - with_outcome,
    }
    found: Counter[tuple[str, str]] = Counter()
    for party, category, count in r.findings:
        found[(category, party)] += count
    follow: Counter[tuple[str, str]] = Counter()
    for a in r.action_points:
        if a.status == "done":
            follow[(a.owner, "on-time" if a.updated <= a.deadline else "late")] += 1
        elif a.status == "open":
            follow[(a.owner, "open" if a.deadline >= now else "overdue")] += 1

    report = _Report()
    report.add("cases", opened, sorted({p for p, _ in opened}), list(PHASES))
    report.add("feedback", feedback, ["acted"], ["with-outcome", "without-outcome"], column_totals=False)
    report.add(
        "trend",
        trend,
        [f"opened-{y - 1}", f"opened-{y}", f"acted-{y - 1}", f"acted-{y}"],
        list(QUARTERS),
        column_totals=False,
        shared={
            (f"opened-{y}", None): ("cases", None, None),
            (f"acted-{y}", None): ("feedback", "acted", None),
        },
    )
    report.add("findings", found, sorted({k for k, _ in found}), sorted({p for _, p in found}))
    report.add("follow-up", follow, sorted({o for o, _ in follow}), list(FOLLOW_UP))
    t = report.tables()
    return TeamReport(r.covenant, y, t["cases"], t["trend"], t["feedback"], t["findings"], t["follow-up"])
