"""Covenant revision bundles for the tests: the PIT version in force today (the rebased copy),
relabelled, dated and optionally without one flow, as a jurist would edit it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from exchange.policies.bundle import check_bundle
from exchange.policies.files import bundle_files
from exchange.policies.yamlsource import CovenantFileError
from tests.conftest import convenant_today

#: The signatories of PIT 2021: each must approve a revision.
SIGNATORIES = (
    "asten",
    "deurne",
    "gemert-bakel",
    "helmond",
    "laarbeek",
    "someren",
    "politie-oost-brabant",
    "vrbzo",
    "senzer",
)
#: Senzer's benefit status to the municipalities, for fraud (PIT 2021 art. 7).
DROPPED_FLOW = "bijstand-naar-gemeenten"


def pit_dir() -> Path:
    return convenant_today() / "pit" / "2021"


def revision(version: str, effective_from: date, drop_flow: str | None = None) -> dict[str, str]:
    """PIT 2021's files as version ``version`` from ``effective_from``; without ``drop_flow`` and the
    scenarios that expect it; scenario moments removed (they run on the new effective_from)."""
    files = bundle_files(pit_dir())
    cov = files["covenant.yaml"]
    cov = re.sub(r"(?m)^version: .*$", f'version: "{version}"', cov)
    cov = re.sub(r"(?m)^effective_from: .*$", f"effective_from: {effective_from.isoformat()}", cov)
    files["covenant.yaml"] = cov
    if drop_flow is not None:
        flows = files["flows.yaml"]
        start = flows.index(f"- id: {drop_flow}")
        nxt = flows.find("\n  - id: ", start + 1)
        files["flows.yaml"] = flows[:start].rstrip(" ") + (flows[nxt + 1 :] if nxt != -1 else "")
    scenarios = re.sub(r',\s*moment: "[^"]*"', "", files["scenarios.yaml"])
    files["scenarios.yaml"] = _without_failing(files, scenarios)
    return files


def _without_failing(files: dict[str, str], scenarios: str) -> str:
    """The scenarios that still hold under the edited flows (a jurist updates the rest)."""
    blocks = re.split(r"(?m)^(?=  - name: )", scenarios)
    head, items = blocks[0], blocks[1:]
    kept = []
    for item in items:
        trial = {**files, "scenarios.yaml": head + item}
        try:
            check_bundle(trial)
        except CovenantFileError:  # a scenario the edit breaks is left out
            continue
        kept.append(item)
    return head + "".join(kept)


def digest_of(files: dict[str, str]) -> str:
    return str(check_bundle(files).compiled.digest)
