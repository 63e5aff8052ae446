"""Run every coverage-guided fuzz target (tests/fuzz/harness.py) for a few seconds: no parser may
answer garbage with anything but its documented error. Crashing inputs are kept as artefacts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fuzz import TARGET_NAMES

SECONDS = 5


@pytest.mark.parametrize("target", TARGET_NAMES)
def test_fuzz_target(target: str, tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.fuzz.harness",
            target,
            f"-max_total_time={SECONDS}",
            f"-artifact_prefix={tmp_path}/",
            # Linux keeps ru_maxrss across exec, and libFuzzer measures its RSS with it: the child
            # starts with the peak of the pytest process that forked it (about 1 GB late in a full
            # run), so the limit sits above that.
            "-rss_limit_mb=4096",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    crashes = list(tmp_path.glob("crash-*"))
    assert run.returncode == 0 and not crashes, run.stderr[-3000:]
    done = [line for line in run.stderr.splitlines() if line.startswith("Done ")]
    assert done, run.stderr[-2000:]  # e.g. 'Done 850000 runs in 6 second(s)'
