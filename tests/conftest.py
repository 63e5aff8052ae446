"""Shared fixtures: the shipped covenant tree, its copy dated for today, and a decision engine."""

from __future__ import annotations

import atexit
import functools
import json
import logging
import os
import shutil
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from exchange.logging_json import JsonFormatter
from exchange.policies.compiler import compile_covenant
from exchange.policies.engine import LEGAL_TIMEZONE, DecisionEngine
from exchange.policies.files import LoadedVersion, load_tree
from exchange.policies.rebase import DEMO_REFERENCE_DATE, shift_days, write_rebased_tree

ROOT = Path(__file__).resolve().parent.parent
#: The shipped covenants, with their real dates: for tests that pass explicit moments.
CONVENANT = ROOT / "convenant"


@functools.cache
def _today() -> date:
    return datetime.now(LEGAL_TIMEZONE).date()  # one day for the whole run, even across midnight


@functools.cache
def convenant_today() -> Path:
    """The shipped tree with every date moved as ``exchange demo`` moves it, so that the versions in
    force on the demo's reference day are in force today: for every test that serves the covenants
    on the real clock, which must pass on any date (docs/adr/0011-demo-covenant-copies.md). Made
    once per test process (the service processes that tests start read it too), removed at exit."""
    root = Path(tempfile.mkdtemp(prefix="exchange-convenant-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    write_rebased_tree(CONVENANT, root / "convenant", reference=DEMO_REFERENCE_DATE, today=_today())
    return root / "convenant"


def moved(moment: str) -> str:
    """A moment written in the shipped files' dates, moved as :func:`convenant_today` moves them: for
    a test that asks the service serving the copy about a fixed moment of the shipped story."""
    days = shift_days(DEMO_REFERENCE_DATE, _today())
    return (datetime.fromisoformat(moment) + timedelta(days=days)).isoformat()


@pytest.fixture(scope="session")
def shipped() -> list[LoadedVersion]:
    return load_tree(CONVENANT)


@pytest.fixture(scope="session")
def engine(shipped: list[LoadedVersion]) -> DecisionEngine:
    return DecisionEngine(compile_covenant(v.covenant) for v in shipped)


# -- The log gate ---------------------------------------------------------------------------------
# Every application log record the test process writes, in the service's JSON format, is kept and
# scanned when the run ends; a postcode with a house number, a BSN-like number or key material in
# any of them fails the run. (Processes the suite starts, such as the multi-worker service, log to
# their own stderr, which these tests read or discard; the same formatter writes those lines.)


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    #: The tests' own HTTP client logs each URL it calls; those lines are the caller's, not the service's.
    CLIENT_SIDE = ("httpx", "httpcore")

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(self.CLIENT_SIDE):
            return
        try:
            self.lines.append(self.format(record))
        except Exception:  # pragma: no cover - a broken record must not break the run
            self.lines.append('{"message": "<unformattable record>"}')


_COLLECTOR = _LogCollector()


#: Under pytest-xdist (``make test`` runs two workers) each worker writes its records here at its end
#: and the controller scans them all with its own; the directory is made before the workers start,
#: which inherit the environment.
_GATE_DIR = "EXCHANGE_TEST_LOG_GATE_DIR"


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if not _is_worker(config) and _GATE_DIR not in os.environ:
        gate = tempfile.mkdtemp(prefix="exchange-log-gate-")
        atexit.register(shutil.rmtree, gate, ignore_errors=True)
        os.environ[_GATE_DIR] = gate
    root = logging.getLogger()
    root.addHandler(_COLLECTOR)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.logscan import scan

    if _is_worker(session.config):
        worker = session.config.workerinput["workerid"]  # type: ignore[attr-defined]  # set by xdist
        Path(os.environ[_GATE_DIR], f"{worker}.jsonl").write_text("\n".join(_COLLECTOR.lines))
        return
    for part in sorted(Path(os.environ.get(_GATE_DIR, "/nonexistent")).glob("*.jsonl")):
        _COLLECTOR.lines += [line for line in part.read_text().splitlines() if line]
    findings = scan("\n".join(_COLLECTOR.lines))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line(f"log gate: {len(_COLLECTOR.lines)} application log records scanned")
    if findings:
        if reporter is not None:
            reporter.write_line(f"log gate FAILED: {len(findings)} finding(s) in application logs:", red=True)
            for f in findings[:20]:
                record = json.loads(_COLLECTOR.lines[f.line - 1])  # one JSON record per line
                reporter.write_line(f"  {f} (logger {record.get('logger')})")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
