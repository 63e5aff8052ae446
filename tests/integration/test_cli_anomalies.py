"""`exchange log anomalies` and `exchange log acknowledge` as a privacy officer runs them."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, session_factory
from tests.integration.test_cli_log import cli

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def two_queries(tmp_path: Path) -> None:
    """Two hit/no-hit queries by helmond/u-1 of 78 answers each."""
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with session_factory(engine).begin() as s:
        log = AuditLog("exchange.test/log")
        for q in range(2):
            for i in range(78):
                log.append(
                    s,
                    Event(
                        T0 + timedelta(seconds=q),
                        f"tr-{q}",
                        Action.HIT_QUERY,
                        Actor("helmond", "u-1", "coordinator"),
                        Outcome.NO_HIT,
                        case="case-1",
                        counterparty=f"p-{i}",
                    ),
                )
    engine.dispose()


def test_anomalies_count_requests_and_acknowledged_flags_are_shown_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two queries are no burst; with EXCHANGE_ANOMALY_BURST_REQUESTS=1 they are one. Acknowledging
    it as the party's officer lists it apart with who and the note, and logs it without the note."""
    two_queries(tmp_path)
    quiet = cli(tmp_path, "log", "anomalies", "--as", "helmond", "--user", "po")
    assert quiet.returncode == 0 and quiet.stdout.endswith("0 anomalies\n")
    monkeypatch.setenv("EXCHANGE_ANOMALY_BURST_REQUESTS", "1")
    shown = cli(tmp_path, "log", "anomalies", "--as", "helmond", "--user", "po")
    assert shown.returncode == 0 and "1 anomalies" in shown.stdout, shown.stderr
    match = re.search(r"(an-[0-9a-f]{32}) burst +helmond/u-1 .*2 requests about 0 subjects", shown.stdout)
    assert match, shown.stdout
    flag = match.group(1)

    def ack(party: str, note: str) -> tuple[int, str, str]:
        r = cli(tmp_path, "log", "acknowledge", "--as", party, "--user", "po", "--flag", flag, "--note", note)
        return r.returncode, r.stdout, r.stderr

    assert ack("senzer", "Not ours.")[::2] == (2, f"error: no anomaly flag {flag} of your party\n")
    assert "at most 1000" in ack("helmond", "x" * 1001)[2]
    code, out, _ = ack("helmond", "Asked twice by the case table; expected.")
    assert code == 0 and "acknowledged by po at" in out
    after = cli(tmp_path, "log", "anomalies", "--as", "helmond", "--user", "po").stdout
    assert "0 anomalies\nacknowledged (1):\n" in after
    assert "Asked twice by the case table; expected." in after
    with sqlite3.connect(tmp_path / "x.db") as conn:
        (raw,) = conn.execute(
            "SELECT event FROM log_entries WHERE reason_code = 'anomaly-acknowledged'"
        ).fetchone()
    event = json.loads(raw)
    assert event["details"] == {"view": "anomaly-acknowledgement", "flag": flag, "kind": "burst"}
    assert (event["channel"], event["actor"]["party"]) == ("cli", "helmond")
    assert b"case table" not in raw
