"""Re-pseudonymising a police node's index on a real key rotation at a real hub (its own process):
the custodian (Helmond) distributes PIT's key, the node syncs, the custodian rotates; the node's
next pass fetches the new version, re-pseudonymises every entry within the overlap, and the hub ends
holding the subjects under the new version only, while queries kept answering hit throughout."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from exchange.cli.main import app as cli
from exchange.client.pseudonym_keys import distribute
from exchange.crypto.keystore import Keystore
from exchange.crypto.pseudonym import PseudonymKey, pseudonymise
from exchange.crypto.subjects import SubjectKind, normalise_address
from exchange.node import index_runs
from exchange.node.folder_sync import sync_pass
from exchange.node.records import IndexEntryRow
from exchange.node.settings import SyncFolder
from exchange.node.sync_hub import LiveIndexHub
from tests.integration.provider_support import (
    CATEGORY,
    PIT_KEY,
    Hub,
    PoliceNode,
    hub_fixture,  # noqa: F401  (the fixture 'hub': a hub process for this module)
    police_node,
)

ADDRESSES = [f"5701 AB {n}" for n in range(1, 8)]


@pytest.fixture
def node(hub: Hub, tmp_path: Path) -> Iterator[PoliceNode]:
    n = police_node(hub, tmp_path / "police")
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / ".export.txt").write_text("\n".join(ADDRESSES) + "\n", encoding="utf-8")
    os.replace(drop / ".export.txt", drop / "export.txt")
    folders = {CATEGORY: SyncFolder(folder=drop, kind=SubjectKind.ADDRESS)}
    n.runtime.settings = n.runtime.settings.model_copy(update={"sync_folders": folders})
    yield n
    n.client.close()
    n.runtime.engine.dispose()


def under(key: PseudonymKey) -> set[str]:
    return {str(pseudonymise(normalise_address(a), key)) for a in ADDRESSES}


def test_a_new_key_version_re_pseudonymises_the_whole_index(
    hub: Hub, node: PoliceNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the custodian's rotation, ``sync --rotate`` (folders off) moves every entry to the new
    version in batches, additions first; the hub's index and the node's hold the new pseudonyms only,
    and progress is reported for both stages."""
    custodian = Keystore(hub.keys["helmond"], (PIT_KEY,))

    def save(store: Keystore) -> None:
        nonlocal custodian
        custodian = store

    distribute(hub.client("helmond"), custodian, "pit", save)  # v1 on record: the node's own PIT_KEY
    sync_pass(node.runtime, LiveIndexHub(node.runtime))
    assert hub.index() == under(PIT_KEY)

    distribute(hub.client("helmond"), custodian, "pit", save, new_version=True, overlap_days=30)
    v2 = custodian.pseudonym_key("pit")
    assert v2.version == 2

    monkeypatch.setattr(index_runs, "BATCH_SIZE", 4)
    seen: list[tuple[str, int, int]] = []
    hub_during: list[set[str]] = []
    live = LiveIndexHub(node.runtime)

    class Watching(LiveIndexHub):
        def send(self, category: str, add: list[str], remove: list[str], key: str) -> None:
            live.send(category, add, remove, key)
            hub_during.append(hub.index())

    outcomes = sync_pass(
        node.runtime,
        Watching(node.runtime),
        lambda _c, stage, done, total: seen.append((stage, done, total)),
        False,
    )
    assert [(o.state, o.reason, o.additions, o.removals) for o in outcomes] == [("sent", "rotation", 7, 7)]
    assert hub.index() == under(v2)
    with node.runtime.sessions.begin() as s:
        assert set(s.scalars(select(IndexEntryRow.pseudonym))) == under(v2)
    # While it ran, every address stayed findable under one version or the other.
    pairs = [
        (str(pseudonymise(normalise_address(a), PIT_KEY)), str(pseudonymise(normalise_address(a), v2)))
        for a in ADDRESSES
    ]
    assert len(hub_during) == 4
    for held in hub_during:
        assert all(old in held or new in held for old, new in pairs)
    assert ("pseudonymise", 7, 7) in seen and ("send", 14, 14) in seen
    assert node.runtime.keystore.pseudonym_key("pit").version == 2

    # The next pass of the drop folder pseudonymises the same export under v2: nothing to change.
    [again] = sync_pass(node.runtime, LiveIndexHub(node.runtime))
    assert (again.state, again.additions, again.removals) == ("sent", 0, 0)


def test_the_command_re_pseudonymises_on_a_further_rotation(hub: Hub, node: PoliceNode) -> None:
    """``exchange node sync --rotate`` (its own process state, keys fetched from the hub) moves the
    index to the next version with progress, then says there is nothing left to do."""
    custodian = Keystore(hub.keys["helmond"], (PIT_KEY,))

    def save(store: Keystore) -> None:
        nonlocal custodian
        custodian = store

    distribute(hub.client("helmond"), custodian, "pit", save)
    sync_pass(node.runtime, LiveIndexHub(node.runtime))
    distribute(hub.client("helmond"), custodian, "pit", save, new_version=True, overlap_days=30)
    newest = custodian.pseudonym_key("pit")
    s = node.runtime.settings
    env = {
        "EXCHANGE_NODE_PARTY": s.party,
        "EXCHANGE_NODE_HUB_URL": s.hub_url,
        "EXCHANGE_NODE_KEYSTORE": str(s.keystore),
        "EXCHANGE_NODE_PASSPHRASE_FILE": str(s.passphrase_file),
        "EXCHANGE_NODE_DATA_DIR": str(s.data_dir),
        "EXCHANGE_NODE_CONVENANT_DIR": str(s.convenant_dir),
    }
    result = CliRunner().invoke(cli, ["node", "sync", "--rotate"], env=env)
    assert result.exit_code == 0, result.output
    assert "pit:politie-incidenten: 7/7 pseudonymised" in result.output
    assert "pit:politie-incidenten: re-pseudonymised: 7 added, 7 removed, 0 unchanged" in result.output
    assert hub.index() == under(newest)
    again = CliRunner().invoke(cli, ["node", "sync", "--rotate"], env=env)
    assert (
        again.exit_code == 0 and "the index is under the newest pseudonym key version already" in again.output
    )
