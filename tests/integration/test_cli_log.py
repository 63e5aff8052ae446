"""`exchange db` and `exchange log` as an operator and a privacy officer run them."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "EXCHANGE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "EXCHANGE_LOG_KEY_FILE": str(tmp_path / "log-key"),
        "EXCHANGE_LOG_ORIGIN": "exchange.test/log",
    }
    return subprocess.run(
        [sys.executable, "-m", "exchange.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )


def test_log_lifecycle_and_tamper_detection(tmp_path: Path) -> None:
    """Set up, log views, checkpoint, prove, verify; flipping one stored byte makes verify fail naming it."""
    assert (
        "no exchange schema yet" in cli(tmp_path, "log", "search", "--as", "helmond", "--user", "po").stderr
    )
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    assert "no log signing key" in cli(tmp_path, "log", "checkpoint").stderr
    assert cli(tmp_path, "log", "init-key").returncode == 0
    assert "exists already" in cli(tmp_path, "log", "init-key").stderr
    for i in range(6):  # each search is itself logged
        assert cli(tmp_path, "log", "search", "--as", "helmond", "--user", f"po-{i}").returncode == 0
    cp = cli(tmp_path, "log", "checkpoint")
    assert cp.returncode == 0 and cp.stdout.splitlines()[1] == "6"
    proof = json.loads(cli(tmp_path, "log", "prove", "--index", "3").stdout)
    assert proof["event"]["action"] == "log-view" and proof["event"]["actor"]["user"] == "po-3"
    ok = cli(tmp_path, "log", "verify")
    assert ok.returncode == 0 and "ok: 6 entries" in ok.stdout and "1 checkpoint(s)" in ok.stdout
    shown = cli(tmp_path, "log", "search", "--as", "helmond", "--user", "po-x", "--format", "json")
    # The rows are what existed before this search; the search's own view event follows them.
    assert [r["actor_user"] for r in json.loads(shown.stdout)] == [f"po-{i}" for i in range(6)]
    with sqlite3.connect(tmp_path / "x.db") as conn:
        (raw,) = conn.execute("SELECT event FROM log_entries WHERE idx = 4").fetchone()
        raw = bytearray(raw)
        raw[raw.index(b"po-4")] = ord("P")
        conn.execute("UPDATE log_entries SET event = ? WHERE idx = 4", (bytes(raw),))
    bad = cli(tmp_path, "log", "verify")
    assert bad.returncode == 1
    assert "FAILED at entry 4" in bad.stderr


def test_report_and_anomalies_commands(tmp_path: Path) -> None:
    """The access report needs exactly one subject form; anomalies run and are logged as a view."""
    cli(tmp_path, "db", "upgrade")
    neither = cli(tmp_path, "log", "report", "--as", "helmond", "--user", "po")
    assert neither.returncode == 2 and "either --pseudonym or --address" in neither.stderr
    bad = cli(tmp_path, "log", "report", "--as", "helmond", "--user", "po", "--pseudonym", "1234AB 5")
    assert bad.returncode == 2 and "pseudonym looks like" in bad.stderr
    rep = cli(
        tmp_path,
        "log",
        "report",
        "--as",
        "helmond",
        "--user",
        "po",
        "--pseudonym",
        "v1:KXfsiYLC-_oXZ-l23DKAUBL4dKMb-hnpXBSvJEO8CXs",
    )
    assert rep.returncode == 0 and "0 entries" in rep.stdout
    an = cli(tmp_path, "log", "anomalies", "--as", "helmond", "--user", "po")
    assert an.returncode == 0 and "anomalies" in an.stdout
    fmt = cli(tmp_path, "log", "search", "--as", "helmond", "--user", "po", "--format", "xml")
    assert fmt.returncode == 2 and "table, csv or json" in fmt.stderr


def test_convenant_impact_against_the_log(tmp_path: Path) -> None:
    """`convenant impact` replays logged decisions under another version and lists the changes."""
    from datetime import UTC, datetime

    from exchange.audit.events import Action, Actor, Event, Outcome
    from exchange.storage.audit_store import AuditLog
    from exchange.storage.db import make_engine, session_factory

    assert cli(tmp_path, "db", "upgrade").returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with session_factory(engine).begin() as s:
        AuditLog("exchange.test/log").append(
            s,
            Event(
                datetime(2022, 3, 1, tzinfo=UTC),
                "tr-1",
                Action.DECISION,
                Actor("someren", "u-1", "employee"),
                Outcome.ALLOWED,
                counterparty="senzer",
                category="bijstand-status",
                purpose="uitkeringsfraude",
                phase="action",
                covenant="pit/2021",
                articles=("7",),
            ),
        )
    engine.dispose()
    out = cli(tmp_path, "convenant", "impact", "convenant/pit/2016")
    assert out.returncode == 0, out.stderr
    assert "#0: someren (employee) <- senzer 'bijstand-status'" in out.stdout
    assert "'senzer' is not a party to PIT 2016" in out.stdout
    assert "1 of 1 past PIT decisions would change under PIT 2016" in out.stdout


def test_production_refuses_placeholder_secrets(tmp_path: Path) -> None:
    """`exchange serve` without a metrics token, and a checkpoint with an all-zero key, both refuse to
    start in production mode and say what is wrong; nothing is served or signed."""
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXCHANGE_")}
    env.update(EXCHANGE_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", EXCHANGE_MODE="production")
    served = subprocess.run(
        [sys.executable, "-m", "exchange.cli.main", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=60,
    )
    assert served.returncode == 2
    assert "refusing to start in production mode" in served.stderr
    assert "EXCHANGE_METRICS_TOKEN is not set" in served.stderr
    key = tmp_path / "log-key"
    key.write_text("00" * 32)
    key.chmod(0o600)
    refused = cli(tmp_path, "log", "checkpoint")
    assert refused.returncode == 2 and "placeholder key" in refused.stderr


def test_restore_drill_against_witnessed_checkpoints(tmp_path: Path) -> None:
    """Back up, go on logging, restore the backup: `log verify --witnessed` finds the entries parties
    witnessed after the backup missing (exit 1); against the older witnessed checkpoint it is ok; a
    different root at a witnessed size is reported as a fork."""
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    assert cli(tmp_path, "log", "init-key").returncode == 0

    def log_views(n: int) -> None:
        for i in range(n):
            assert cli(tmp_path, "log", "search", "--as", "helmond", "--user", f"po-{i}").returncode == 0

    def witnessed(name: str) -> Path:
        note = cli(tmp_path, "log", "checkpoint").stdout.splitlines()
        state = tmp_path / name
        state.write_text(json.dumps({"origin": note[0], "size": int(note[1]), "root": note[2]}))
        return state

    log_views(4)
    early = witnessed("early.json")
    with sqlite3.connect(tmp_path / "x.db") as live, sqlite3.connect(tmp_path / "backup.db") as backup:
        live.backup(backup)
    log_views(3)
    late = witnessed("late.json")
    assert cli(tmp_path, "log", "verify", "--witnessed", str(early), "--witnessed", str(late)).returncode == 0

    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"x.db{suffix}").unlink(missing_ok=True)
    (tmp_path / "backup.db").rename(tmp_path / "x.db")
    lost = cli(tmp_path, "log", "verify", "--quiet", "--witnessed", str(late))
    assert lost.returncode == 1
    assert "the log has 4 entries but late.json cosigned a checkpoint of size 7" in lost.stderr
    assert "entries 4 to 6 are missing" in lost.stderr
    ok = cli(tmp_path, "log", "verify", "--quiet", "--witnessed", str(early))
    assert ok.returncode == 0 and "contains the checkpoint of size 4 witnessed in early.json" in ok.stdout

    forked = json.loads(early.read_text())
    forked["root"] = base64.b64encode(b"\x01" * 32).decode()
    (tmp_path / "forked.json").write_text(json.dumps(forked))
    fork = cli(tmp_path, "log", "verify", "--quiet", "--witnessed", str(tmp_path / "forked.json"))
    assert fork.returncode == 1 and "a fork" in fork.stderr
    (tmp_path / "broken.json").write_text("{")
    broken = cli(tmp_path, "log", "verify", "--witnessed", str(tmp_path / "broken.json"))
    assert broken.returncode == 2 and "witness state file is damaged" in broken.stderr
