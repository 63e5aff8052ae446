"""The demo and the service fixtures play on any date, not only while the shipped covenants run.

Proven by running them with the system clock set to the day after the last shipped version ends,
through libfaketime (Debian's ``faketime`` package, which tests/install_system_packages.sh installs).
Only the child processes see the faked clock; the hub in them keeps reading its clock as usual.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from exchange.policies.files import LoadedVersion
from tests.conftest import ROOT

FAKETIME = shutil.which("faketime")


def day_after_the_last_version(shipped: list[LoadedVersion]) -> date:
    """The first day on which no shipped covenant version is in force any more (ends are exclusive,
    so this is one day after the latest ``effective_until``)."""
    ends = [v.covenant.effective_until for v in shipped if v.covenant.effective_until is not None]
    assert len(ends) == len(shipped), "an open-ended shipped version: this proof needs another date"
    return max(ends) + timedelta(days=1)


def faked(day: date, *command: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with the clock starting at noon UTC on ``day`` and running on from there."""
    if FAKETIME is None:
        pytest.fail(
            "the faketime command is not installed: run 'make test' (it installs Debian's faketime) "
            "or apt-get install faketime"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXCHANGE_", "FAKETIME", "PYTEST_"))}
    env["TZ"] = "UTC"
    # libfaketime fakes the monotonic clock too (its FAKETIME_DONT_FAKE_MONOTONIC makes time.sleep fail
    # with EINVAL in 0.9.10); the demo and the module chosen below wait on nothing that minds.
    return subprocess.run(
        [FAKETIME, f"{day.isoformat()} 12:00:00", *command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_demo_plays_after_every_shipped_covenant_ended(
    shipped: list[LoadedVersion], tmp_path: Path
) -> None:
    """`exchange demo` plays through to a verified log on the day after the last shipped version
    ends, on covenant copies whose dates are moved to that day."""
    day = day_after_the_last_version(shipped)
    p = faked(
        day,
        sys.executable,
        "-m",
        "exchange.cli.main",
        "demo",
        "--exit",
        "--workdir",
        str(tmp_path / "demo"),
        cwd=ROOT,
        timeout=300,
    )
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    # The clock really was faked: the action point's deadline is three weeks after that day.
    assert f"deadline {day + timedelta(days=21)}: done" in p.stdout
    assert "demo covenants: copies of convenant/ with dates moved to today" in p.stdout
    assert re.search(r"witnessed by helmond and politie-oost-brabant; verify: ok, \d+ events", p.stdout)
    assert (
        "told to every party that contributed or answered a hit: politie-oost-brabant, senzer, vrbzo"
        in p.stdout
    )


def test_the_service_fixture_serves_after_every_shipped_covenant_ended(
    shipped: list[LoadedVersion], tmp_path: Path
) -> None:
    """The suite's service fixture (the covenants copied for today) opens and works PIT cases on
    that day too: one API test module, on SQLite, under the same faked clock."""
    day = day_after_the_last_version(shipped)
    p = faked(
        day,
        sys.executable,
        "-m",
        "pytest",
        "tests/integration/test_cases_api.py",
        "-k",
        "sqlite",
        "-x",
        "--basetemp",
        str(tmp_path / "pytest"),
        cwd=ROOT,
        timeout=600,
    )
    assert p.returncode == 0, p.stdout[-5000:] + p.stderr[-2000:]
    assert re.search(r"\b[1-9]\d* passed", p.stdout) and "failed" not in p.stdout, p.stdout[-2000:]
