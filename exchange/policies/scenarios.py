"""Run a covenant's scenarios and report coverage per article and flows without a scenario."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time

from exchange.policies.decision import Decision, DecisionRequest, parse_moment
from exchange.policies.engine import LEGAL_TIMEZONE, DecisionEngine
from exchange.policies.model import Covenant, Scenario


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    scenario: Scenario
    decision: Decision
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(slots=True)
class SuiteReport:
    covenant: Covenant
    results: list[ScenarioResult] = field(default_factory=list)
    article_hits: dict[str, int] = field(default_factory=dict)
    untested_flows: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def render(self) -> str:
        c = self.covenant
        lines = [f"{c.label}: {c.title}"]
        for r in self.results:
            mark = "ok  " if r.passed else "FAIL"
            lines.append(f"  {mark} {r.scenario.name}")
            lines.extend(f"       {f}" for f in r.failures)
        ok = sum(r.passed for r in self.results)
        lines.append(f"  {ok} of {len(self.results)} scenarios pass")
        lines.append("  coverage per article (scenarios that allow under it / flows citing it):")
        flows_per_article: dict[str, int] = defaultdict(int)
        for f in c.flows:
            flows_per_article[f.article] += 1
        for number in c.articles:
            if flows_per_article.get(number):
                hits = self.article_hits.get(number, 0)
                lines.append(
                    f"    art. {number:<4} {hits} scenario(s), {flows_per_article[number]} flow(s)"
                    + ("  <- not covered" if hits == 0 else "")
                )
        if self.untested_flows:
            lines.append("  flows without a scenario: " + ", ".join(self.untested_flows))
        else:
            lines.append("  every flow has a scenario")
        return "\n".join(lines)


def _moment(c: Covenant, s: Scenario) -> datetime:
    if s.moment:
        return parse_moment(s.moment)
    return datetime.combine(c.effective_from, time(12, 0), LEGAL_TIMEZONE)


def run_scenarios(engine: DecisionEngine, covenant: Covenant, scenarios: list[Scenario]) -> SuiteReport:
    """Decide every scenario under exactly this covenant version and compare with the expectation."""
    report = SuiteReport(covenant)
    covered_flows: set[str] = set()
    for s in scenarios:
        request = DecisionRequest(
            requester=s.requester,
            role=s.role,
            provider=s.provider,
            category=s.category,
            purpose=s.purpose,
            phase=s.phase,
            covenant=str(covenant.ref),
            moment=_moment(covenant, s),
        )
        d = engine.decide(request)
        failures: list[str] = []
        if d.allowed != s.expect_allow:
            want = "allow" if s.expect_allow else "deny"
            failures.append(f"expected {want}, got {'allow' if d.allowed else 'deny'}: {d.reason}")
        elif d.allowed:
            if s.form is not None and d.form is not s.form:
                failures.append(f"expected form '{s.form}', got '{d.form}'")
            if s.article is not None and s.article not in d.articles:
                failures.append(f"expected article {s.article}, allowed under {', '.join(d.articles)}")
            for g in d.grants:
                covered_flows.add(g.flow)
                report.article_hits[g.article] = report.article_hits.get(g.article, 0) + 1
        report.results.append(ScenarioResult(s, d, tuple(failures)))
    report.untested_flows = [f.id for f in covenant.flows if f.id not in covered_flows]
    return report
