"""Migration 0019 and `exchange log migrate-tiles`: a log written the old way (one log_nodes row per
tree node) becomes hash tiles, checked against its head and newest signed checkpoint before and
after; a tree that does not give those roots is refused and left as it was."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from pymerkle import InmemoryTree
from sqlalchemy import Engine, inspect, text

from exchange.audit.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from exchange.audit.merkle import leaf_hash, node_hash, root_from_leaf_hashes, verify_inclusion
from exchange.errors import StorageError
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, session_factory
from exchange.storage.log_append import COLUMN_NAMES, entry_values
from exchange.storage.log_migrate import MigrationRefused, migrate_to_tiles
from exchange.storage.schema import MIGRATIONS, upgrade
from tests.conftest import ROOT
from tests.integration.test_audit_store import ev, tile_rows

ORIGIN = "exchange.test/log"
SEED = bytes(range(32))
SIGNER = NoteSigner.from_seed(ORIGIN, SEED)
SIZE = 600  # two full tiles, a partial one, and a partial tile above
SIGNED = 555
NODES = SIZE - 4  # one per node above the leaves: n minus the number of ones in 600's binary digits


def old_log(engine: Engine, n: int = SIZE, signed: int = SIGNED) -> list[bytes]:
    """Write ``n`` entries, their log_nodes rows, the head and a checkpoint at ``signed`` as the
    appender before migration 0019 did; returns the events' bytes."""
    upgrade(engine, "0018b")
    events = [ev(i) for i in range(n)]
    data = [e.canonical() for e in events]
    hashes = [leaf_hash(d) for d in data]
    nodes, stack = [], []  # type: ignore[var-annotated]
    for i, h in enumerate(hashes):
        level, current = 0, h
        while stack and stack[-1][0] == level:
            current = node_hash(stack.pop()[1], current)
            level += 1
            nodes.append({"level": level, "idx": i >> level, "hash": current})
        stack.append((level, current))
    cols = ", ".join(COLUMN_NAMES)
    marks = ", ".join(f":{c}" for c in COLUMN_NAMES)
    with engine.begin() as c:
        c.execute(
            text(
                f"INSERT INTO log_entries (idx, leaf_hash, event, {cols}) VALUES (:idx, :leaf, :event, {marks})"  # noqa: S608 - constant column names
            ),
            [
                {
                    "idx": i,
                    "leaf": hashes[i],
                    "event": data[i],
                    **dict(zip(COLUMN_NAMES, entry_values(e), strict=True)),
                }
                for i, e in enumerate(events)
            ],
        )
        c.execute(text("INSERT INTO log_nodes (level, idx, hash) VALUES (:level, :idx, :hash)"), nodes)
        c.execute(
            text("UPDATE log_head SET size = :n, root = :r"), {"n": n, "r": root_from_leaf_hashes(hashes)}
        )
        cp = Checkpoint(ORIGIN, signed, root_from_leaf_hashes(hashes[:signed]))
        c.execute(
            text("INSERT INTO log_checkpoints (size, root, note, created) VALUES (:s, :r, :n, :t)"),
            {"s": signed, "r": cp.root, "n": sign_checkpoint(cp, SIGNER).render(), "t": datetime.now(UTC)},
        )
    return data


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(f"m{uuid.uuid4().hex[:12]}")
    e = make_engine(url)
    yield e
    e.dispose()


def test_an_old_log_converts_to_tiles_and_goes_on(engine: Engine) -> None:
    """After 0019 and the conversion, the tiles are pymerkle's tree of the same events, log_nodes is
    empty, the log verifies, and appends and proofs go on; a second run checks and changes nothing."""
    data = old_log(engine)
    upgrade(engine)
    sessions = session_factory(engine)
    # Not converted yet: verification says what to run, rather than that every tile is missing.
    with (
        pytest.raises(StorageError, match=r"before migration 0019.*run 'exchange log migrate-tiles'"),
        sessions.begin() as s,
    ):
        AuditLog(ORIGIN).verify(s, SIGNER.verifier)
    stages = []
    with sessions.begin() as s:
        report = migrate_to_tiles(s, ORIGIN, SIGNER.verifier, lambda *a: stages.append(a), batch=256)
    assert (report.size, report.checkpoint, report.tiles, report.nodes) == (SIZE, SIGNED, 4, NODES)
    assert stages[0] == ("before", SIZE, SIGNED) and stages[-1] == ("tiles", SIZE, SIZE)
    tree = InmemoryTree.init_from_entries(data, algorithm="sha256")
    with engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM log_nodes")).scalar_one() == 0
        stored = sorted(
            (int(r[0]), int(r[1]), bytes(r[2]), bytes(r[3]))
            for r in c.execute(text("SELECT level, idx, hashes, nodes FROM log_tiles"))
        )
    assert stored == sorted(tile_rows([bytes(tree.get_leaf(i + 1)) for i in range(SIZE)]))
    log = AuditLog(ORIGIN)
    with sessions.begin() as s:
        assert log.verify(s, SIGNER.verifier).size == SIZE
        assert log.append(s, ev(SIZE)).index == SIZE
    with sessions.begin() as s:
        root = log.root(s)
        verify_inclusion(leaf_hash(data[7]), 7, SIZE + 1, log.prove_inclusion(s, 7), root)
        assert log.root(s, SIZE) == bytes(tree.get_state())
    with sessions.begin() as s:
        again = migrate_to_tiles(s, ORIGIN, SIGNER.verifier)
    assert again.already and again.size == SIZE + 1


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "UPDATE log_nodes SET hash = :z WHERE level = 6 AND idx = 8",
            "stored subtrees do not give the head's root",
        ),
        ("UPDATE log_entries SET leaf_hash = :z WHERE idx = 556", "leaf hashes do not give the head's root"),
        ("UPDATE log_checkpoints SET root = :z", r"newest checkpoint \(size 555\) does not match"),
    ],
)
def test_a_tree_that_contradicts_its_roots_is_refused_and_kept(
    engine: Engine, sql: str, message: str
) -> None:
    """A damaged old tree, leaf hash or checkpoint: refused, log_nodes kept, no tile written."""
    old_log(engine)
    upgrade(engine)
    with engine.begin() as c:
        c.execute(text(sql), {"z": bytes(32)})
    with pytest.raises(MigrationRefused, match=message), session_factory(engine).begin() as s:
        migrate_to_tiles(s, ORIGIN, SIGNER.verifier)
    with engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM log_nodes")).scalar_one() == NODES
        assert c.execute(text("SELECT COUNT(*) FROM log_tiles")).scalar_one() == 0


def test_the_command_on_sqlite_and_the_downgrade(tmp_path: Path) -> None:
    """`exchange db upgrade` says the log needs tiles; `exchange log migrate-tiles` prints what it
    checked and converts; downgrading 0019 drops the table."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    old_log(engine)
    key = tmp_path / "log-key"
    key.write_text(SEED.hex() + "\n")
    key.chmod(0o600)
    env = {
        **os.environ,
        "EXCHANGE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "EXCHANGE_LOG_KEY_FILE": str(key),
        "EXCHANGE_LOG_ORIGIN": ORIGIN,
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "exchange.cli.main", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
        )

    assert (
        "the log's 600 entries have no tiles yet: run 'exchange log migrate-tiles'"
        in cli("db", "upgrade").stdout
    )
    public = base64.b64encode(SIGNER.public).decode()
    done = cli("log", "migrate-tiles", "--log-public", public)
    assert done.returncode == 0, done.stderr
    assert (
        "before: the stored subtrees give the head's root at 600 entries and the checkpoint's at 555"
        in done.stdout
    )
    assert "tiled 600 of 600 entries" in done.stderr
    assert "ok: 600 entries in 4 tiles; 596 rows of log_nodes removed" in done.stdout
    assert "ok: already in tiles" in cli("log", "migrate-tiles").stdout
    assert cli("log", "verify", "--quiet").returncode == 0
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0018b")
    assert "log_tiles" not in inspect(engine).get_table_names()
    engine.dispose()
