"""A writer killed with SIGKILL mid-append loses no acknowledged event and leaves no torn one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from exchange.audit.checkpoint import NoteSigner
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, session_factory
from exchange.storage.models import LogEntry
from exchange.storage.schema import upgrade
from tests.integration.conftest import ORIGIN

WRITER = r"""
import sys
from datetime import UTC, datetime
from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, session_factory
url, start = sys.argv[1], int(sys.argv[2])
sessions = session_factory(make_engine(url))
log = AuditLog(sys.argv[3])
i = start
while True:
    e = Event(datetime.now(UTC), f"t{i}", Action.DISCLOSURE, Actor("senzer"), Outcome.ALLOWED, case="case-1")
    with sessions.begin() as s:
        r = log.append(s, e, idempotency_key=f"k{i}")
    # Acknowledge only after the commit returned: this is what a client would have been told.
    print(i, r.index, r.duplicate, flush=True)
    i += 1
"""


def test_kill_9_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """Five rounds of SIGKILL at random moments; every acknowledged key is in the log, the log
    verifies, and retrying the first unacknowledged key never creates a second event."""
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = make_engine(url)
    upgrade(engine)
    acknowledged: dict[int, int] = {}
    next_key = 0
    rnd = random.Random(7)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for _round in range(5):
        # Start again from the last acknowledged key + 1: the first one may have been committed
        # without its acknowledgement reaching us; the idempotency key makes the retry safe.
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, url, str(next_key), ORIGIN],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        # The kill falls at a random moment of a writer that is appending: the window is counted
        # from its first acknowledgement and lasts for at least a dozen more, so how long the
        # interpreter takes to start on a busy machine changes nothing.
        seen, deadline = 0, None
        while deadline is None or time.monotonic() < deadline or seen < 12:
            line = proc.stdout.readline()
            if not line:
                break
            key, index, _dup = line.split()
            acknowledged[int(key)] = int(index)
            seen += 1
            if deadline is None:
                deadline = time.monotonic() + rnd.uniform(0.3, 1.0)
        proc.send_signal(signal.SIGKILL)
        for line in proc.stdout:  # acknowledgements already written before the kill
            key, index, _dup = line.split()
            acknowledged[int(key)] = int(index)
        proc.wait()
        next_key = max(acknowledged) + 1 if acknowledged else 0
    assert len(acknowledged) > 50
    sessions = session_factory(engine)
    with sessions.begin() as s:
        rows = {e.idempotency_key: e.idx for e in s.query(LogEntry)}
        for ack_key, ack_index in acknowledged.items():
            assert rows[f"k{ack_key}"] == ack_index
        # Keys are unique and indexes gap-free: no torn or duplicated event.
        assert sorted(rows.values()) == list(range(len(rows)))
        log = AuditLog(ORIGIN)
        signer = NoteSigner.from_seed(ORIGIN, b"\x01" * 32)
        log.sign_checkpoint(s, signer, datetime.now(UTC))
        assert log.verify(s, signer.verifier).size == len(rows)
    engine.dispose()
