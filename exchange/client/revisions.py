"""A party's side of covenant revisions: propose a version directory as one bundle, approve,
withdraw, list and show proposals, and the lines a person reads about them.

A proposal is checked here first, as ``exchange convenant check`` and ``test`` would (every problem
with its file and line, before anything is sent); the hub compiles the files again and refuses a
digest that differs. Each function sends one step and returns the hub's answer as JSON, or raises
:class:`~exchange.client.texts.HubAnswerError` with the hub's problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exchange.client.http import ExchangeClient
from exchange.client.texts import hub_answer
from exchange.policies.bundle import CheckedBundle, check_bundle
from exchange.policies.files import bundle_files

BASE = "/v1/covenant-versions"
_YOURS = {
    "approve": "your party is asked to approve",
    "approved": "your party approved",
    "informed": "your party is informed (a case-by-case partner is not asked)",
    "not-asked": "no longer open",
}


def prepare(directory: Path) -> CheckedBundle:
    """Read, check, compile and test a version directory, as the hub will."""
    return check_bundle(bundle_files(directory), str(directory))


def propose(client: ExchangeClient, bundle: CheckedBundle) -> Any:
    body = {"files": bundle.files, "digest": str(bundle.compiled.digest)}
    return hub_answer(client.post(BASE, body), 201)


def approve(client: ExchangeClient, digest: str) -> Any:
    return hub_answer(client.post(f"{BASE}/{digest}/approval", {}))


def withdraw(client: ExchangeClient, digest: str) -> Any:
    return hub_answer(client.post(f"{BASE}/{digest}/withdrawal", {}))


def listing(client: ExchangeClient, state: str | None = None) -> list[Any]:
    path = BASE if state is None else f"{BASE}?state={state}"
    versions: list[Any] = hub_answer(client.get(path))["versions"]
    return versions


def show(client: ExchangeClient, digest: str) -> Any:
    return hub_answer(client.get(f"{BASE}/{digest}"))


def summary_line(v: dict[str, Any]) -> str:
    waiting = ", ".join(v["waiting_for"]) or "nobody"
    return (
        f"{v['covenant'].upper()} {v['version']} ({v['digest'][:19]}…): {v['state']}, takes effect on "
        f"{v['effective_from']}; waiting for {waiting}; {_YOURS.get(v['yours'], v['yours'])}"
    )


def detail_lines(v: dict[str, Any]) -> list[str]:
    """A proposal as a person reads it: state, approvals, scenario results and impact."""
    lines = [
        summary_line(v),
        f"  digest: {v['digest']}",
        f"  proposed by {v['proposed_by']} ({v['proposed_user']}) on {v['proposed']}; "
        f"replaces {v['previous'].get('version', '?')}",
        "  signatories: " + ", ".join(v["signatories"]),
    ]
    lines += [
        f"  approved by {a['party']} ({a['role']} {a['user']}) on {a['approved']}" for a in v["approvals"]
    ]
    if v["joining"]:
        lines.append("  parties it adds (they sign by joining): " + ", ".join(v["joining"]))
    s = v["scenarios"]
    if s:
        lines.append(f"  scenarios: {s.get('passed')} of {s.get('total')} pass")
        if s.get("untested_flows"):
            lines.append("  flows without a scenario: " + ", ".join(s["untested_flows"]))
    return lines + impact_lines(v.get("impact") or {})


def impact_lines(impact: dict[str, Any], limit: int = 20) -> list[str]:
    """A proposal's impact report as lines: what changes for past decisions and hit/no-hit answers,
    by case and party (the report holds no subjects)."""
    if not impact:
        return []
    d, a = impact["decisions"], impact["answers"]
    lines = [
        f"  impact against {impact.get('against_label') or 'the logged outcomes'}: "
        f"{d['changed']} of {d['replayed']} past decisions change; of {a['replayed']} hit/no-hit "
        f"answers {a['no_longer_answered']} would no longer be given, {a['newly_answered']} would now be",
    ]
    for r in a["rows"][:limit]:
        change = "now answered" if r["change"] == "newly-answered" else "no longer answered"
        lines.append(
            f"    case {r['case']}: {r['requester']} ({r['role']}) <- {r['provider']} '{r['category']}' "
            f"in {r['phase']}: {change} ({r['answers']} answer(s))"
        )
    for r in d["rows"][:limit]:
        now = "allowed" if r["now_allowed"] else f"denied ({r['now_code']})"
        lines.append(
            f"    decision #{r['index']}: {r['requester']} ({r['role']}) <- {r['provider']} "
            f"'{r['category']}' in {r['phase']}: now {now}"
        )
    lines.append("  cases affected: " + (", ".join(impact.get("cases", ())) or "none"))
    lines.append("  parties affected: " + (", ".join(impact.get("parties", ())) or "none"))
    return lines
