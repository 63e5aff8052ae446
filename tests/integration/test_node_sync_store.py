"""The node's store under the index sync, on SQLite and PostgreSQL: migration n0010_index_bulk turns an
existing store's entries into the bulk layout with every entry kept, a web upload and a sync writing
the same entry at the same moment both succeed, and pseudonym keys fetched from the hub are kept
sealed and used again after a restart."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, insert, inspect, select

from exchange.crypto.pseudonym import PseudonymKey
from exchange.errors import InvalidInputError
from exchange.node import index_runs, index_store, index_sync
from exchange.node.folder_sync import newest_key
from exchange.node.index_runs import ChangeSet
from exchange.node.records import IndexEntryRow, IndexUploadRow, UploadState
from exchange.node.runtime import bind_data_key, open_party_keystore, start
from exchange.node.sealing import seal
from exchange.node.store import MIGRATIONS, make_engine, sessions
from tests.integration.node_support import node_settings
from tests.pgserver import PostgresServer

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
CATEGORY, OTHER = "politie-incidenten", "politie-meldingen"
P1, P2, P3 = (f"v1:{c * 43}" for c in "ABC")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'node' / 'node.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database(f"n{uuid.uuid4().hex[:12]}")


def upgrade_to(engine: Engine, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("version_table", "node_alembic_version")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def count(engine: Engine) -> int:
    with sessions(engine).begin() as s:
        return int(s.scalar(select(func.count()).select_from(IndexEntryRow)) or 0)


def test_n0010_converts_an_existing_store(tmp_path: Path, store_url: str) -> None:
    """A store at n0009 with entries in two categories (one pseudonym in both) is upgraded at start:
    every entry, id and sealed text kept; one unique index on (pseudonym, category), an index on the
    category, the old pseudonym index gone; the entries open, list and take bulk writes."""
    settings = node_settings(tmp_path, store_url=store_url)
    engine = make_engine(settings.database_url())
    upgrade_to(engine, "n0009_forwards")
    keystore = open_party_keystore(settings, "helmond")
    with sessions(engine).begin() as s:
        key = bind_data_key(s, keystore)
        s.execute(
            insert(IndexEntryRow),
            [
                {
                    "category": c,
                    "covenant": "pit",
                    "pseudonym": p,
                    "sealed": seal(key, t.encode()),
                    "added": NOW,
                }
                | {"kind": k}
                for c, p, t, k in [
                    (CATEGORY, P1, "5701 AB 1", "address"),
                    (CATEGORY, P2, "5701 AB 2", None),
                    (OTHER, P1, "5701 AB 1", "address"),
                ]
            ],
        )
    engine.dispose()

    rt = start(settings)
    indexes = {i["name"]: i for i in inspect(rt.engine).get_indexes("node_index_entries")}
    uniques = {
        u["name"]: u["column_names"] for u in inspect(rt.engine).get_unique_constraints("node_index_entries")
    }
    assert "ix_node_index_entries_pseudonym" not in indexes
    assert indexes["ix_node_index_entries_category"]["column_names"] == ["category"]
    assert uniques["uq_node_index_entry"] == ["pseudonym", "category"]
    assert "node_pseudonym_keys" in inspect(rt.engine).get_table_names()
    with rt.sessions.begin() as s:
        assert sorted(index_sync.held(s, CATEGORY)) == [P1, P2]
        assert index_sync.addresses(s, rt.data_key, [P2]) == {P2: "5701 AB 2"}
        assert [k for _, _, k in sorted(index_store.entries(s, CATEGORY))] == ["address", None]
    with rt.sessions.begin() as s:  # an entry it holds is kept as it is; a new one is added
        index_store.add(s, rt.data_key, CATEGORY, "pit", "address", [(P1, "changed"), (P3, "5701 AB 3")], NOW)
    with rt.sessions.begin() as s:
        assert index_sync.addresses(s, rt.data_key, [P1, P3]) == {P1: "5701 AB 1", P3: "5701 AB 3"}
    assert count(rt.engine) == 4
    rt.engine.dispose()


def test_an_upload_and_a_sync_adding_the_same_entry_at_once_both_succeed(
    tmp_path: Path, store_url: str
) -> None:
    """Two threads, each in its own transaction, add the same pseudonym after the hub accepted it: a
    confirmed web upload (with one more) and a sync's batch (with another). Neither fails half-way:
    the upload is marked sent, and the node holds each entry once."""
    rt = start(node_settings(tmp_path, store_url=store_url))
    with rt.sessions.begin() as s:
        s.add(
            IndexUploadRow(
                id="u1", category=CATEGORY, covenant="pit", kind="address", user_id=1, created=NOW,
                state=UploadState.PREVIEW, changes=b"", additions=2, removals=0, unchanged=0,
            )
        )  # fmt: skip
    both = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            with rt.sessions.begin() as s:
                row = s.get(IndexUploadRow, "u1")
                assert row is not None
                both.wait()
                changes = index_sync.Changes([(P1, "5701 AB 1"), (P2, "5701 AB 2")], [])
                index_sync.apply(s, rt.data_key, row, changes, NOW)
        except BaseException as exc:  # the test reports it below
            errors.append(exc)

    def sync() -> None:
        try:
            with rt.sessions.begin() as s:
                both.wait()
                cs = ChangeSet("address", [(P1, "5701 AB 1"), (P3, "5701 AB 3")], [])
                index_runs.apply_batch(s, rt.data_key, CATEGORY, "pit", cs, cs.add, [], NOW)
        except BaseException as exc:  # the test reports it below
            errors.append(exc)

    threads = [threading.Thread(target=upload), threading.Thread(target=sync)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with rt.sessions.begin() as s:
        assert sorted(index_sync.held(s, CATEGORY)) == [P1, P2, P3]
        row = s.get(IndexUploadRow, "u1")
        assert row is not None and row.state == UploadState.SENT
    rt.engine.dispose()


class KeysOnlyHub:
    """The hub's answer to a key fetch, already checked against the custodian (as
    :class:`~exchange.node.sync_hub.LiveIndexHub` checks it; tests/integration/test_node_rotation.py
    does it against a real hub); this test is about what the node keeps."""

    def __init__(self, keys: list[PseudonymKey]) -> None:
        self.key_list = keys

    def send(self, category: str, add: list[str], remove: list[str], key: str) -> None:
        raise AssertionError("nothing is sent in this test")

    def keys(self, covenant: str) -> list[PseudonymKey]:
        return self.key_list


def test_fetched_pseudonym_keys_survive_a_restart_sealed(tmp_path: Path) -> None:
    """A key version fetched during a sync is the newest after a restart too, without a sync; the
    store holds it sealed (its bytes are not in node.db or its WAL) and the keystore file is untouched."""
    settings = node_settings(tmp_path)
    v1, v2 = PseudonymKey("pit", 1, b"\x51" * 32), PseudonymKey("pit", 2, b"\x52" * 32)
    keystore_before = settings.keystore.read_bytes()
    rt = start(settings)
    with pytest.raises(InvalidInputError):
        rt.keystore.pseudonym_key("pit")
    assert newest_key(rt, KeysOnlyHub([v1, v2]), "pit") == v2
    assert newest_key(rt, KeysOnlyHub([v1, v2]), "pit") == v2  # fetched again: stored once
    rt.engine.dispose()

    again = start(settings)
    assert again.keystore.pseudonym_key("pit") == v2
    assert again.keystore.pseudonym_key("pit", 1) == v1
    stored = b"".join(p.read_bytes() for p in settings.data_dir.glob("node.db*"))
    assert v1.key not in stored and v2.key not in stored
    assert settings.keystore.read_bytes() == keystore_before
    again.engine.dispose()
