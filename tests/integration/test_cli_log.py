"""`exchange db` and `exchange log` as an operator and a privacy officer run them."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from exchange.audit.witness import witness
from exchange.crypto import sodium
from tests.conftest import ROOT
from tests.integration.test_audit_store import tile_rows


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


def _logged(tmp_path: Path, views: int) -> str:
    """A migrated database with a log key, ``views`` logged searches and a checkpoint; the log's
    public key as `log init-key` prints it."""
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    created = cli(tmp_path, "log", "init-key")
    assert created.returncode == 0
    for i in range(views):
        assert cli(tmp_path, "log", "search", "--as", "helmond", "--user", f"po-{i}").returncode == 0
    assert cli(tmp_path, "log", "checkpoint").returncode == 0
    (line,) = [x for x in created.stdout.splitlines() if x.startswith("verifier: ")]
    return line.split()[-1]


def test_verify_with_the_logs_public_key_alone(tmp_path: Path) -> None:
    """An auditor without the signing key verifies with --log-public (the key, or a file holding the
    line init-key printed); without either, verify says how; a wrong key fails the checkpoint."""
    public = _logged(tmp_path, 3)
    (tmp_path / "log-key").unlink()
    missing = cli(tmp_path, "log", "verify", "--quiet")
    assert missing.returncode == 2 and "--log-public" in missing.stderr
    ok = cli(tmp_path, "log", "verify", "--quiet", "--log-public", public)
    assert ok.returncode == 0, ok.stderr
    assert "ok: 3 entries" in ok.stdout and "1 checkpoint(s) consistent" in ok.stdout
    published = tmp_path / "log.pub"
    published.write_text(f"verifier: exchange.test/log {public}\n")
    assert cli(tmp_path, "log", "verify", "--quiet", "--log-public", str(published)).returncode == 0
    other = base64.b64encode(b"\x05" * 32).decode()
    wrong = cli(tmp_path, "log", "verify", "--quiet", "--log-public", other)
    assert wrong.returncode == 1
    assert (
        "FAILED at entry 3: log entry 3: checkpoint at size 3: the checkpoint is not signed by the log's key"
        in (wrong.stderr)
    )
    garbage = cli(tmp_path, "log", "verify", "--quiet", "--log-public", "not-a-key")
    assert garbage.returncode == 2 and "--log-public is not the log's public key" in garbage.stderr


def test_verify_reports_a_changed_storage_type_as_a_failed_entry(tmp_path: Path) -> None:
    """An event blob turned into text and a head size turned into a word: one FAILED line naming
    the entry and what is wrong, exit 1, no traceback."""
    _logged(tmp_path, 4)
    with sqlite3.connect(tmp_path / "x.db") as conn:
        conn.execute("UPDATE log_entries SET event = CAST(event AS TEXT) WHERE idx = 2")
    bad = cli(tmp_path, "log", "verify", "--quiet")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.strip() == "FAILED at entry 2: log entry 2: the event is stored as text, not as bytes"
    with sqlite3.connect(tmp_path / "x.db") as conn:
        conn.execute("UPDATE log_entries SET event = CAST(event AS BLOB) WHERE idx = 2")
        conn.execute("UPDATE log_head SET size = 'four'")
    head = cli(tmp_path, "log", "verify", "--quiet")
    assert head.returncode == 1 and "Traceback" not in head.stderr
    assert "FAILED at entry 4: log entry 4: the head's size is stored as text, not an integer" in head.stderr


def test_plain_verify_checks_stored_witness_cosignatures(tmp_path: Path) -> None:
    """Without cosignatures verify says plainly that truncation would pass; with one stored, a log
    truncated together with its checkpoints fails plain verify at the first missing entry."""
    from exchange.audit.checkpoint import NoteVerifier
    from exchange.storage.audit_store import AuditLog
    from exchange.storage.db import make_engine, session_factory

    public = _logged(tmp_path, 5)
    alone = cli(tmp_path, "log", "verify", "--quiet")
    assert alone.returncode == 0 and "note: no witness cosignatures are stored" in alone.stdout
    assert "--witnessed" in alone.stdout

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    log = AuditLog("exchange.test/log")
    w_public, w_secret = sodium.sign_keypair_from_seed(b"\x0b" * 32)
    with session_factory(engine).begin() as s:
        latest = log.latest_checkpoint(s)
        assert latest is not None and latest.size == 5
        verifier = NoteVerifier("exchange.test/log", base64.b64decode(public))
        _, line = witness(
            latest.note, [], None, verifier, "helmond.test/w", w_public, w_secret, 1_700_000_000
        )
        log.register_witness(s, "helmond.test/w", "helmond", w_public)
        log.add_cosignature(s, latest.size, line.render())
        root_at_3 = log.root(s, 3)
    engine.dispose()
    seen = cli(tmp_path, "log", "verify", "--quiet")
    assert (
        seen.returncode == 0
        and "contains the checkpoint of size 5 cosigned by witness helmond.test/w" in (seen.stdout)
    )
    assert "note: no witness" not in seen.stdout

    with sqlite3.connect(tmp_path / "x.db") as conn:  # the sqlite3 shell: foreign keys not enforced
        conn.execute("DELETE FROM log_entries WHERE idx >= 3")
        leaves = [row[0] for row in conn.execute("SELECT leaf_hash FROM log_entries ORDER BY idx")]
        conn.execute("DELETE FROM log_tiles")
        conn.executemany(
            "INSERT INTO log_tiles (level, idx, hashes, nodes) VALUES (?, ?, ?, ?)", tile_rows(leaves)
        )
        conn.execute("DELETE FROM log_checkpoints")
        conn.execute("UPDATE log_head SET size = 3, root = ?", (root_at_3,))
    cut = cli(tmp_path, "log", "verify", "--quiet")
    assert cut.returncode == 1
    assert "FAILED at entry 3" in cut.stderr
    assert "witness 'helmond.test/w' cosigned a checkpoint of size 5 but the log has 3 entries" in cut.stderr
