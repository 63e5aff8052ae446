"""A covenant version as one bundle of its files, checked and compiled the way ``exchange convenant
check`` and ``test`` do: what a jurist sends as a revision proposal, and what the hub re-checks.

Pure: the bundle is a mapping of file name to text. The policy digest of the compiled version is the
bundle's identity; the proposer states it and the hub compiles the files itself and compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exchange.policies.compiler import CompiledPolicy, compile_covenant
from exchange.policies.engine import DecisionEngine
from exchange.policies.model import Covenant, PartyRole, Scenario
from exchange.policies.reader import COVENANT_FILE, FLOWS_FILE, SCENARIOS_FILE, read_covenant, read_scenarios
from exchange.policies.scenarios import SuiteReport, run_scenarios
from exchange.policies.yamlsource import CovenantFileError, Problem

README_FILE = "README.md"
#: The files a version directory may hold, in the order they are shown.
BUNDLE_FILES = (COVENANT_FILE, FLOWS_FILE, SCENARIOS_FILE, README_FILE)
#: Per file; the shipped covenants' largest file is under 10 KiB.
MAX_FILE_CHARS = 256 * 1024


@dataclass(frozen=True, slots=True)
class CheckedBundle:
    files: dict[str, str]
    covenant: Covenant
    scenarios: tuple[Scenario, ...]
    compiled: CompiledPolicy
    suite: SuiteReport

    @property
    def signatories(self) -> tuple[str, ...]:
        """The parties that signed this version: every one must approve it."""
        return tuple(str(p.id) for p in self.covenant.parties.values() if p.role is PartyRole.SIGNATORY)


def check_bundle(files: dict[str, str], source: str = "bundle") -> CheckedBundle:
    """Read, compile and test a bundle. Raises :class:`CovenantFileError` listing every problem,
    including scenarios that fail: a version whose own expectations fail is not put up for signing."""
    problems = [
        Problem(
            f"{source}/{name}", 0, f"'{name}' is not a covenant file (allowed: {', '.join(BUNDLE_FILES)})"
        )
        for name in files
        if name not in BUNDLE_FILES
    ]
    problems += [
        Problem(f"{source}/{name}", 0, f"file is larger than {MAX_FILE_CHARS // 1024} KiB")
        for name, text in files.items()
        if len(text) > MAX_FILE_CHARS
    ]
    if COVENANT_FILE not in files:
        problems.append(Problem(f"{source}/{COVENANT_FILE}", 0, f"the bundle has no {COVENANT_FILE}"))
    if problems:
        raise CovenantFileError(problems)
    covenant = read_covenant({k: v for k, v in files.items() if k in (COVENANT_FILE, FLOWS_FILE)}, source)
    scenarios: tuple[Scenario, ...] = ()
    if SCENARIOS_FILE in files:
        scenarios = tuple(read_scenarios(files[SCENARIOS_FILE], f"{source}/{SCENARIOS_FILE}"))
    compiled = compile_covenant(covenant)
    suite = run_scenarios(DecisionEngine([compiled]), covenant, list(scenarios))
    failed = [r for r in suite.results if not r.passed]
    if failed:
        raise CovenantFileError(
            [
                Problem(f"{source}/{SCENARIOS_FILE}", r.scenario.line, f"scenario '{r.scenario.name}': {f}")
                for r in failed
                for f in r.failures
            ]
        )
    return CheckedBundle(dict(files), covenant, scenarios, compiled, suite)


def suite_summary(suite: SuiteReport) -> dict[str, Any]:
    """The scenario results as stored with a proposal: counts, coverage per article, untested flows."""
    flows_per_article: dict[str, int] = {}
    for f in suite.covenant.flows:
        flows_per_article[str(f.article)] = flows_per_article.get(str(f.article), 0) + 1
    return {
        "passed": sum(r.passed for r in suite.results),
        "total": len(suite.results),
        "articles": {
            number: {"scenarios": suite.article_hits.get(number, 0), "flows": flows}
            for number, flows in sorted(flows_per_article.items())
        },
        "untested_flows": list(suite.untested_flows),
    }
