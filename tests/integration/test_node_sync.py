"""The index's drop-folder sync of a police node against a real hub (its own process): only the
difference is sent, an unchanged export is not read again, a bad export is reported by line number
and nothing is sent, a file still being written is refused, and a sync that stops half-way (the hub
away, or the process dying after the hub applied a batch) leaves hub and node agreeing and is
finished by the next pass without applying anything twice."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from exchange.cli.main import app as cli
from exchange.crypto.subjects import SubjectKind
from exchange.node import index_runs, index_store, index_web
from exchange.node.folder_sync import ExportNotReady, read_export, sync_pass
from exchange.node.index_runs import SyncInterrupted
from exchange.node.provider_hub import HubTrouble
from exchange.node.records import IndexEntryRow
from exchange.node.settings import SyncFolder
from exchange.node.store import AuditRow
from exchange.node.sync_hub import LiveIndexHub
from exchange.node.sync_records import RunState, SyncChangesRow, SyncRunRow
from exchange.node.sync_schedule import SyncSchedule
from tests.integration.provider_support import (
    CATEGORY,
    Hub,
    PoliceNode,
    hub_fixture,  # noqa: F401  (the fixture 'hub': a hub process for this module)
    police_node,
    pseudonym,
)
from tests.pgserver import PostgresServer


def addresses(n: int, start: int = 0) -> list[str]:
    return [f"{5000 + (i // 500)} AB {1 + i % 500}" for i in range(start, start + n)]


@pytest.fixture
def node(hub: Hub, tmp_path: Path) -> Iterator[PoliceNode]:
    n = police_node(hub, tmp_path / "police")
    drop = tmp_path / "drop"
    drop.mkdir()
    folders = {CATEGORY: SyncFolder(folder=drop, kind=SubjectKind.ADDRESS)}
    n.runtime.settings = n.runtime.settings.model_copy(update={"sync_folders": folders})
    yield n
    n.client.close()
    n.runtime.engine.dispose()
    # The hub is shared by this module's tests: leave its index empty for the next one.
    left = hub.index()
    if left:
        LiveIndexHub(n.runtime).send("politie-incidenten", [], sorted(left), f"cleanup-{tmp_path.name}")


def drop(node: PoliceNode, lines: list[str], name: str = "export.txt") -> Path:
    """Write an export the way a register should: under a hidden name, then renamed into place."""
    folder = node.runtime.settings.sync_folders[CATEGORY].folder
    tmp = folder / f".{name}.tmp"
    tmp.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    os.replace(tmp, folder / name)
    return folder / name


def node_index(node: PoliceNode) -> set[str]:
    with node.runtime.sessions.begin() as s:
        return set(s.scalars(select(IndexEntryRow.pseudonym)))


def test_only_the_difference_is_sent_and_an_unchanged_export_is_not_read_again(
    hub: Hub, node: PoliceNode
) -> None:
    """The first export is sent whole; the next one adds and removes only what changed; the same file
    again sends nothing. The audit trail holds counts, never an address."""
    first = addresses(5)
    drop(node, first)
    [o] = sync_pass(node.runtime, LiveIndexHub(node.runtime))
    assert (o.state, o.additions, o.removals) == ("sent", 5, 0)
    assert hub.index() == node_index(node) == {pseudonym(a) for a in first}

    second = [*first[1:], *addresses(2, 100)]
    drop(node, second)
    [o] = sync_pass(node.runtime, LiveIndexHub(node.runtime))
    assert (o.state, o.additions, o.removals, o.unchanged) == ("sent", 2, 1, 4)
    assert hub.index() == node_index(node) == {pseudonym(a) for a in second}

    [o] = sync_pass(node.runtime, LiveIndexHub(node.runtime))
    assert o.state == "unchanged"
    with node.runtime.sessions.begin() as s:
        counts = [json.loads(r.counts) for r in s.scalars(select(AuditRow)) if r.counts]
    assert {"added": 2, "removed": 1, "unchanged": 4, "batches": 1} in counts
    assert not any(a.split()[0] in json.dumps(counts) for a in second)


def test_a_bad_export_is_reported_by_line_and_nothing_is_sent(hub: Hub, node: PoliceNode) -> None:
    """A line that is no address, or repeats one, is reported by its number; the hub's index and the
    node's stay as they were."""
    drop(node, ["5701 AB 12a", "Kerkstraat 5", "5701ab12A"])
    [o] = sync_pass(node.runtime, LiveIndexHub(node.runtime))
    assert o.state == "invalid" and o.parsed is not None
    assert [(p.number, p.code, p.first) for p in o.parsed.problems] == [
        (2, "invalid", 0),
        (3, "duplicate", 1),
    ]
    assert hub.index() == node_index(node) == set()


def test_a_file_written_in_place_is_not_read_half(tmp_path: Path) -> None:
    """An export whose size changes while it is read is refused, with the rename-into-place advice."""
    path = tmp_path / "export.txt"
    path.write_text("5701 AB 12\n", encoding="utf-8")
    real = Path.read_bytes

    def growing(p: Path) -> bytes:
        data = real(p)
        with p.open("a", encoding="utf-8") as f:
            f.write("5701 AB 13\n")
        return data

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Path, "read_bytes", growing)
        with pytest.raises(ExportNotReady, match="rename it into place"):
            read_export(path)


def test_hidden_and_temporary_files_are_not_taken(hub: Hub, node: PoliceNode) -> None:
    """Only a complete export counts: a file still under its temporary name is left alone."""
    folder = node.runtime.settings.sync_folders[CATEGORY].folder
    (folder / ".export.txt.tmp").write_text("5701 AB 12\n", encoding="utf-8")
    (folder / "export.txt.part").write_text("5701 AB 12\n", encoding="utf-8")
    [o] = sync_pass(node.runtime, LiveIndexHub(node.runtime))
    assert o.state == "no-file"
    assert hub.index() == set()


class FailingHub(LiveIndexHub):
    """The real hub, except that the ``fail_at``-th batch fails: before it reaches the hub (the hub
    away), or after the hub applied it (the node's process dies before it records the answer)."""

    def __init__(self, node: PoliceNode, fail_at: int, after: bool) -> None:
        super().__init__(node.runtime)
        self.fail_at, self.after, self.calls = fail_at, after, 0
        self.keys_sent: list[str] = []

    def send(self, category: str, add: list[str], remove: list[str], key: str) -> None:
        self.calls += 1
        self.keys_sent.append(key)
        if self.calls == self.fail_at and not self.after:
            raise HubTrouble("unreachable")
        super().send(category, add, remove, key)
        if self.calls == self.fail_at:
            raise KeyboardInterrupt  # the process is killed between the hub's answer and the node's commit


@pytest.mark.parametrize("after", [False, True], ids=["hub-away", "killed-after-hub-applied"])
def test_a_sync_stopped_half_way_is_finished_by_the_next_pass(
    hub: Hub, node: PoliceNode, monkeypatch: pytest.MonkeyPatch, after: bool
) -> None:
    """A change set of four batches stops at the third. Whatever the hub holds then, the node holds
    too (or the hub holds one batch more, applied once); the next pass resends from the first batch
    the node did not record, with the same Idempotency-Keys, and both end at the export."""
    monkeypatch.setattr(index_runs, "BATCH_SIZE", 3)
    monkeypatch.setattr(index_runs, "APPLY_EVERY", 3)  # each accepted batch applied at once
    drop(node, addresses(4))
    sync_pass(node.runtime, LiveIndexHub(node.runtime))
    wanted = addresses(8, 2)  # removes 2, keeps 2, adds 6: batches [add 3] [add 3] [remove 2]
    drop(node, wanted)
    failing = FailingHub(node, 2, after)
    with pytest.raises(SyncInterrupted if not after else KeyboardInterrupt):
        sync_pass(node.runtime, failing)
    at_node = node_index(node)
    assert len(at_node) == 4 + 3
    assert hub.index() == (at_node if not after else at_node | {pseudonym(a) for a in addresses(3, 7)})
    with node.runtime.sessions.begin() as s:
        [run] = [r for r in s.scalars(select(SyncRunRow)) if r.state == RunState.RUNNING]
        assert (run.batches, run.batches_done) == (3, 1)

    again = FailingHub(node, 0, False)
    resumed, then = sync_pass(node.runtime, again)
    assert then.state == "unchanged"  # the export that run came from is not planned a second time
    assert (resumed.state, resumed.additions, resumed.removals) == ("sent", 6, 2)
    assert again.keys_sent == [*failing.keys_sent[1:], index_runs.batch_key(run.id, 2)]
    assert hub.index() == node_index(node) == {pseudonym(a) for a in wanted}
    with node.runtime.sessions.begin() as s:
        assert s.scalars(select(SyncChangesRow)).all() == []  # no second copy of the texts once done


def test_accepted_batches_are_applied_together_and_a_killed_run_is_replayed(
    hub: Hub, node: PoliceNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node applies the hub's accepted batches to its entries a group at a time. Killed after
    the hub applied the second batch of a group, the node still holds what it held and records no
    batch done; the next pass sends the group again with the same Idempotency-Keys (the hub answers
    the first two as replays) and both sides end at the export."""
    monkeypatch.setattr(index_runs, "BATCH_SIZE", 3)
    monkeypatch.setattr(index_runs, "APPLY_EVERY", 9)
    drop(node, addresses(4))
    sync_pass(node.runtime, LiveIndexHub(node.runtime))
    wanted = addresses(8, 2)  # batches [add 3] [add 3] [remove 2]
    drop(node, wanted)
    failing = FailingHub(node, 2, True)
    with pytest.raises(KeyboardInterrupt):
        sync_pass(node.runtime, failing)
    assert node_index(node) == {pseudonym(a) for a in addresses(4)}
    assert hub.index() == node_index(node) | {pseudonym(a) for a in addresses(6, 4)}
    with node.runtime.sessions.begin() as s:
        [run] = [r for r in s.scalars(select(SyncRunRow)) if r.state == RunState.RUNNING]
        assert (run.batches, run.batches_done) == (3, 0)
    again = FailingHub(node, 0, False)
    resumed, then = sync_pass(node.runtime, again)
    assert (resumed.state, resumed.additions, resumed.removals, then.state) == ("sent", 6, 2, "unchanged")
    assert again.keys_sent == [index_runs.batch_key(run.id, n) for n in range(3)]
    assert again.keys_sent[:2] == failing.keys_sent
    assert hub.index() == node_index(node) == {pseudonym(a) for a in wanted}


def cli_env(node: PoliceNode) -> dict[str, str]:
    s = node.runtime.settings
    folder = s.sync_folders[CATEGORY].folder
    return {
        "EXCHANGE_NODE_PARTY": s.party,
        "EXCHANGE_NODE_HUB_URL": s.hub_url,
        "EXCHANGE_NODE_KEYSTORE": str(s.keystore),
        "EXCHANGE_NODE_PASSPHRASE_FILE": str(s.passphrase_file),
        "EXCHANGE_NODE_DATA_DIR": str(s.data_dir),
        "EXCHANGE_NODE_CONVENANT_DIR": str(s.convenant_dir),
        "EXCHANGE_NODE_SYNC_FOLDERS": json.dumps({CATEGORY: {"folder": str(folder), "kind": "address"}}),
    }


def test_the_command_shows_progress_and_fails_with_the_report(hub: Hub, node: PoliceNode) -> None:
    """``exchange node sync`` prints progress and the counts; a bad export exits 1 with each bad line
    by number (and no address); the hub being away exits 2 saying what to do."""
    env = cli_env(node)
    drop(node, addresses(3))
    result = CliRunner().invoke(cli, ["node", "sync"], env=env)
    assert result.exit_code == 0, result.output
    assert "pit:politie-incidenten: 3/3 pseudonymised" in result.output
    assert "pit:politie-incidenten: 3/3 sent to the hub" in result.output
    assert "pit:politie-incidenten: synced: 3 added, 0 removed, 0 unchanged" in result.output
    assert hub.index() == {pseudonym(a) for a in addresses(3)}

    drop(node, ["5701 AB 12", "Kerkstraat 5"])
    result = CliRunner().invoke(cli, ["node", "sync"], env=env)
    assert result.exit_code == 1
    assert "line 2: not a valid subject of this kind" in result.output
    assert "Kerkstraat" not in result.output

    drop(node, addresses(4))
    result = CliRunner().invoke(
        cli, ["node", "sync"], env={**env, "EXCHANGE_NODE_HUB_URL": "http://127.0.0.1:9"}
    )
    assert result.exit_code == 2
    assert "(unreachable); nothing was sent. Check EXCHANGE_NODE_HUB_URL" in result.output


def test_the_index_page_shows_the_syncs_by_name_with_counts(hub: Hub, node: PoliceNode) -> None:
    """After a sync, /index lists it: the category's name from the covenant files, when, what, and
    the counts in Dutch; no address appears on the page outside the staff's own preview."""
    drop(node, addresses(3))
    sync_pass(node.runtime, LiveIndexHub(node.runtime))
    page = node.client.get("/index").text
    assert "Automatische synchronisatie" in page and "Uit de exportmap" in page and "Klaar" in page
    row = page[page.index("Uit de exportmap") :]
    assert re.search(r">3</td>\s*<td[^>]*>0</td>\s*<td[^>]*>0</td>", row)
    assert "politie-incidenten</td>" not in page  # the name, not the id
    assert "5000 AB" not in page


def test_the_scheduled_job_syncs_and_survives_a_hub_outage(
    hub: Hub, node: PoliceNode, caplog: pytest.LogCaptureFixture
) -> None:
    """The job inside ``serve`` runs a pass every interval: with the hub away it logs why (no
    subject) and keeps going; when the hub is back the next pass sends the export."""
    drop(node, addresses(2))
    node.hub_away()
    schedule = SyncSchedule(node.runtime, 0.2)
    schedule.run_once()
    assert "index sync did not finish" in caplog.text and "5000" not in caplog.text
    node.hub_back()
    schedule.start()
    try:
        deadline = time.monotonic() + 30
        while hub.index() != {pseudonym(a) for a in addresses(2)} and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        schedule.stop()
    assert hub.index() == node_index(node) == {pseudonym(a) for a in addresses(2)}


def test_a_sync_and_a_resumed_run_on_a_postgresql_store(
    hub: Hub, tmp_path: Path, pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same on the node's PostgreSQL store: a run of two batches stopped after the first, then
    finished by the next pass; both sides end at the export."""
    node = police_node(hub, tmp_path / "pg", pg_server.create_database(f"n{uuid.uuid4().hex[:12]}"))
    folder = tmp_path / "pgdrop"
    folder.mkdir()
    folders = {CATEGORY: SyncFolder(folder=folder, kind=SubjectKind.ADDRESS)}
    node.runtime.settings = node.runtime.settings.model_copy(update={"sync_folders": folders})
    monkeypatch.setattr(index_runs, "BATCH_SIZE", 3)
    try:
        drop(node, addresses(5))
        with pytest.raises(SyncInterrupted, match="batch 2 of 2"):
            sync_pass(node.runtime, FailingHub(node, 2, False))
        assert hub.index() == node_index(node) and len(node_index(node)) == 3
        sync_pass(node.runtime, LiveIndexHub(node.runtime))
        assert hub.index() == node_index(node) == {pseudonym(a) for a in addresses(5)}
        LiveIndexHub(node.runtime).send("politie-incidenten", [], sorted(hub.index()), "cleanup-pg")
    finally:
        node.client.close()
        node.runtime.engine.dispose()


def test_an_upload_confirmed_while_a_sync_writes_the_category_waits_or_is_kept(
    hub: Hub, node: PoliceNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync holds the category's lock while it writes its entries; an upload confirmed meanwhile
    waits for it, and when the sync takes longer it stays unsent with a Dutch message (nothing sent,
    nothing half-written); confirmed again afterwards it goes through."""
    monkeypatch.setattr(index_web, "LOCK_WAIT_SECONDS", 0.05)
    token = node.csrf("/index")
    r = node.client.post(
        "/index",
        data={"csrf": token, "category": CATEGORY, "kind": "address"},
        files={"file": ("adressen.txt", b"5701 AB 12\n", "text/plain")},
    )
    location = r.headers["location"]
    with index_store.category_lock("politie-incidenten"):
        node.client.post(location + "/verzenden", data={"csrf": node.csrf(location)})
    page = node.client.get(location).text
    assert "wordt op dit moment gesynchroniseerd" in page and "Er is niets verzonden" in page
    assert hub.index() == node_index(node) == set()
    node.client.post(location + "/verzenden", data={"csrf": node.csrf(location)})
    assert hub.index() == node_index(node) == {pseudonym("5701 AB 12")}
