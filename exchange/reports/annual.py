"""The figures intervention teams publish every year, from case metadata only.

Input is what the storage layer reads for one party's cases and one calendar year (codes, party
ids, dates, counts); no pseudonym, address or dossier content enters, so none can come out. The
report counts:

- actions: cases whose move into the action phase was logged in the year, per coordinating
  municipality and per theme (the case's purpose);
- findings: the abstracted outcome codes fed back in the year, the kinds of follow-up actions
  that fell due in it, and the counts the parties registered per category and violation code;
- results per party: cases acted on with the party at the table, items it contributed, follow-up
  actions it owned and how many it completed on time;
- follow-up: action points due in the year, completed on time, late, still open or overdue;
- feedback: acted cases with an outcome recorded, and contributing parties told of it;
- decisions: covenant decisions in the year, allowed per article and denied per reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from exchange.storage.readmodels import ActedCase, ActionPointFact, DecisionFact, YearRecords

__all__ = ["ActedCase", "ActionPointFact", "AnnualReport", "DecisionFact", "YearRecords", "annual_report"]


@dataclass(frozen=True, slots=True)
class PartyFigures:
    party: str
    cases: int
    items: int
    actions_owned: int
    actions_done: int
    actions_on_time: int


@dataclass(frozen=True, slots=True)
class AnnualReport:
    party: str
    year: int
    actions_total: int
    actions_per_municipality: list[tuple[str, int]]
    actions_per_theme: list[tuple[str, int]]
    findings: list[tuple[str, int]]
    follow_up_kinds: list[tuple[str, int]]
    per_party: list[PartyFigures]
    follow_up: dict[str, int]
    feedback: dict[str, int]
    allowed_per_article: list[tuple[str, int]]
    denied_per_reason: list[tuple[str, int]]
    #: Findings registered in the year, summed per "category/code", most found first.
    violations: list[tuple[str, int]] = field(default_factory=list)

    @property
    def on_time_share(self) -> float | None:
        """Completed on time, as a share of the action points that were due and not cancelled."""
        due = self.follow_up["due"] - self.follow_up["cancelled"]
        return self.follow_up["on_time"] / due if due else None

    def rows(self) -> list[tuple[str, str, int]]:
        """(section, key, value) for a CSV export: one line per figure."""
        out: list[tuple[str, str, int]] = [("actions", "total", self.actions_total)]
        for section, pairs in (
            ("actions-per-municipality", self.actions_per_municipality),
            ("actions-per-theme", self.actions_per_theme),
            ("findings", self.findings),
            ("follow-up-kinds", self.follow_up_kinds),
            ("allowed-per-article", self.allowed_per_article),
            ("denied-per-reason", self.denied_per_reason),
            ("violations", self.violations),
        ):
            out.extend((section, key, n) for key, n in pairs)
        out.extend(("follow-up", k, v) for k, v in self.follow_up.items())
        out.extend(("feedback", k, v) for k, v in self.feedback.items())
        for p in self.per_party:
            out.extend(
                (f"party:{p.party}", k, v)
                for k, v in (
                    ("cases", p.cases),
                    ("items", p.items),
                    ("actions-owned", p.actions_owned),
                    ("actions-done", p.actions_done),
                    ("actions-on-time", p.actions_on_time),
                )
            )
        return out


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def _on_time(a: ActionPointFact) -> bool:
    return a.status == "done" and a.updated <= a.deadline


def annual_report(r: YearRecords, now: datetime) -> AnnualReport:
    """Count the year's records. ``now`` decides which open action points are overdue."""
    follow_up = {
        "due": len(r.action_points),
        "on_time": sum(_on_time(a) for a in r.action_points),
        "late": sum(a.status == "done" and not _on_time(a) for a in r.action_points),
        "open": sum(a.status == "open" and a.deadline >= now for a in r.action_points),
        "overdue": sum(a.status == "open" and a.deadline < now for a in r.action_points),
        "cancelled": sum(a.status == "cancelled" for a in r.action_points),
    }
    contributors = sum(len(c.contributors) for c in r.acted)
    feedback = {
        "acted_cases": len(r.acted),
        "with_outcome": sum(c.outcome is not None for c in r.acted),
        "contributors": contributors,
        "contributors_told": sum(len(set(c.contributors) & set(c.told)) for c in r.acted),
    }
    parties = sorted(
        {p for c in r.acted for p in c.parties} | set(r.contributions) | {a.owner for a in r.action_points}
    )
    items = Counter(r.contributions)
    per_party = [
        PartyFigures(
            p,
            sum(p in c.parties for c in r.acted),
            items[p],
            sum(a.owner == p for a in r.action_points),
            sum(a.owner == p and a.status == "done" for a in r.action_points),
            sum(a.owner == p and _on_time(a) for a in r.action_points),
        )
        for p in parties
    ]
    violations: Counter[str] = Counter()
    for category, code, count in r.violations:
        violations[f"{category}/{code}"] += count
    allowed: Counter[str] = Counter()
    denied: Counter[str] = Counter()
    for d in r.decisions:
        if d.allowed:
            for article in d.articles or ("(geen)",):
                allowed[article] += 1
        else:
            denied[d.reason_code or "denied"] += 1
    return AnnualReport(
        party=r.party,
        year=r.year,
        actions_total=len(r.acted),
        actions_per_municipality=_ranked(Counter(c.coordinator for c in r.acted)),
        actions_per_theme=_ranked(Counter(c.purpose for c in r.acted)),
        findings=_ranked(Counter(r.outcomes)),
        follow_up_kinds=_ranked(Counter(a.kind for a in r.action_points)),
        per_party=per_party,
        follow_up=follow_up,
        feedback=feedback,
        allowed_per_article=sorted(allowed.items(), key=lambda kv: (len(kv[0]), kv[0])),
        denied_per_reason=_ranked(denied),
        violations=_ranked(violations),
    )
