"""The disclosure log on a real database: durability, fail-closed appends, tamper detection, proofs."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from exchange.audit.anomalies import Thresholds
from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.audit.merkle import root_from_leaf_hashes, verify_consistency, verify_inclusion
from exchange.audit.tile_edge import Edge
from exchange.audit.tiles import full_tiles, levels
from exchange.errors import ConflictError, NotFoundError, StorageError
from exchange.storage import audit_queries as q
from exchange.storage.audit_store import AppendResult, AuditLog, LogCorrupted
from exchange.storage.models import LogEntry, LogTile, LogWitness
from exchange.storage.unit_of_work import GroupCommitter, run_unit
from tests.integration.conftest import Db, block_log_writes, unblock_log_writes

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
P_A = "v1:KXfsiYLC-_oXZ-l23DKAUBL4dKMb-hnpXBSvJEO8CXs"
P_B = "v1:f140lHZiUTu5bA3JjiJO9Zpro_18ANJJyX4OvMyjMrA"


def ev(i: int = 0, **kw: object) -> Event:
    base: dict[str, object] = {
        "time": T0 + timedelta(seconds=i),
        "trace_id": f"tr-{i}",
        "action": Action.DECISION,
        "actor": Actor("helmond", "u-1", "coordinator"),
        "outcome": Outcome.ALLOWED,
        "case": "case-1",
    }
    base.update(kw)
    return Event(**base)  # type: ignore[arg-type]


def append_one(db: Db, i: int, s: Session) -> AppendResult:
    return db.log.append(s, ev(i))


def tamper_tile(s: Session, level: int, idx: int, position: int, value: bytes) -> None:
    """Replace hash ``position`` of stored tile ``level``/``idx``, as an operator editing the database would."""
    row = s.get(LogTile, (level, idx))
    assert row is not None
    data = bytearray(row.hashes)
    data[32 * position : 32 * position + 32] = value
    s.execute(update(LogTile).where(LogTile.level == level, LogTile.idx == idx).values(hashes=bytes(data)))


def tile_rows(leaf_hashes: list[bytes]) -> list[tuple[int, int, bytes, bytes]]:
    """(level, idx, hashes, inner nodes) of every tile of the tree of ``leaf_hashes``: what the log
    stores for it."""
    edge, full = Edge(), []  # type: ignore[var-annotated]
    for h in leaf_hashes:
        edge.add(h, full, set())
    rows = [(t.level, t.index, t.hashes, t.inner) for t in full]
    size = len(leaf_hashes)
    rows += [
        (level, full_tiles(size, level), edge.partial(level), edge.partial_inner(level))
        for level in levels(size)
        if edge.partial(level)
    ]
    return rows


def retile(leaf_hashes: list[bytes]) -> list[tuple[str, dict[str, object]]]:
    """Statements that replace the stored tiles with those of the tree of ``leaf_hashes``."""
    return [("DELETE FROM log_tiles", {})] + [
        (
            "INSERT INTO log_tiles (level, idx, hashes, nodes) VALUES (%(l)s, %(i)s, %(h)s, %(n)s)",
            {"l": level, "i": idx, "h": data, "n": nodes},
        )
        for level, idx, data, nodes in tile_rows(leaf_hashes)
    ]


def fill(db: Db, n: int, start: int = 0) -> None:
    with db.sessions.begin() as s:
        for i in range(start, start + n):
            db.log.append(s, ev(i))


def test_append_prove_and_verify(db: Db) -> None:
    """Appended events get consecutive indexes; proofs from storage verify; verify() passes."""
    fill(db, 37)
    with db.sessions.begin() as s:
        cp1 = db.log.sign_checkpoint(s, db.signer, T0)
    fill(db, 30, 37)
    with db.sessions.begin() as s:
        cp2 = db.log.sign_checkpoint(s, db.signer, T0)
        assert (cp1.size, cp2.size) == (37, 67)
        for i in (0, 36, 37, 66):
            verify_inclusion(db.log.entry(s, i).leaf_hash, i, 67, db.log.prove_inclusion(s, i), cp2.root)
        verify_consistency(37, 67, db.log.prove_consistency(s, 37, 67), cp1.root, cp2.root)
        report = db.log.verify(s, db.signer.verifier)
        assert (report.size, report.root, report.checkpoints) == (67, cp2.root, 2)
        assert db.log.sign_checkpoint(s, db.signer, T0).size == 67  # unchanged size: the same checkpoint
        with pytest.raises(NotFoundError):
            db.log.prove_inclusion(s, 67)
        with pytest.raises(NotFoundError):
            db.log.prove_consistency(s, 10, 99)
        with pytest.raises(NotFoundError):
            db.log.entry(s, 999)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("event", None, "event bytes do not match the stored leaf hash"),
        ("case_id", "case-2", "query column 'case_id' does not match the event"),
        ("subject", P_B, "query column 'subject' does not match the event"),
        ("leaf_hash", b"\x00" * 32, "event bytes do not match the stored leaf hash"),
    ],
)
def test_verify_names_the_altered_entry(db: Db, column: str, value: object, message: str) -> None:
    """Changing one stored byte or column of entry 23 makes verification fail naming entry 23."""
    fill(db, 50)
    with db.sessions.begin() as s:
        if column == "event":
            raw = bytearray(db.log.entry(s, 23).event)
            raw[raw.index(b"helmond")] ^= 0x01  # one byte: 'helmond' -> 'ielmond'
            value = bytes(raw)
        s.execute(update(LogEntry).where(LogEntry.idx == 23).values({column: value}))
    with db.sessions.begin() as s, pytest.raises(LogCorrupted, match=message) as info:
        db.log.verify(s, db.signer.verifier)
    assert info.value.index == 23


@pytest.mark.parametrize(
    ("level", "idx", "position", "message"),
    [
        (0, 0, 5, "stored tile 0/0 does not match the entries"),  # a full tile
        (0, 1, 3, "stored tile 0/1 does not match the entries"),  # the partial tile at the right edge
        (1, 0, 0, "stored tile 1/0 does not match the entries"),  # the tile above: a full tile's hash
    ],
)
def test_verify_detects_altered_tiles(db: Db, level: int, idx: int, position: int, message: str) -> None:
    """A changed hash in a full tile, in a partial tile, or in the tile above is detected."""
    fill(db, 260)
    with db.sessions.begin() as s:
        tamper_tile(s, level, idx, position, b"\x01" * 32)
    with db.sessions.begin() as s, pytest.raises(LogCorrupted, match=message):
        db.log.verify(s, db.signer.verifier)


def test_verify_detects_a_tile_too_many_and_a_rewritten_head(db: Db) -> None:
    """A stored tile the entries do not make, or a head root that is not the entries' root, is detected."""
    fill(db, 10)
    with db.sessions.begin() as s:
        s.add(LogTile(level=3, idx=0, hashes=bytes(32), nodes=b""))
    with (
        db.sessions.begin() as s,
        pytest.raises(LogCorrupted, match="stores 2 tiles where its 10 entries make 1"),
    ):
        db.log.verify(s, db.signer.verifier)
    with db.sessions.begin() as s:
        s.execute(text("DELETE FROM log_tiles WHERE level = 3"))
        s.execute(text("UPDATE log_head SET root = :r"), {"r": bytes(32)})
    with db.sessions.begin() as s, pytest.raises(LogCorrupted, match="root stored in the head"):
        db.log.verify(s, db.signer.verifier)


def test_verify_detects_deleted_entry_and_checkpoint_mismatch(db: Db) -> None:
    """A deleted entry, or a checkpoint that no longer matches the recomputed root, fails verification."""
    fill(db, 10)
    with db.sessions.begin() as s:
        db.log.sign_checkpoint(s, db.signer, T0)
    with db.sessions.begin() as s:
        s.execute(text("DELETE FROM log_entries WHERE idx = 4"))
    with db.sessions.begin() as s, pytest.raises(LogCorrupted, match="entry is missing") as info:
        db.log.verify(s, db.signer.verifier)
    assert info.value.index == 4


def test_checkpoint_refuses_rewritten_history(db: Db) -> None:
    """If history was rewritten after a checkpoint, the service refuses to sign the next one."""
    fill(db, 8)
    with db.sessions.begin() as s:
        db.log.sign_checkpoint(s, db.signer, T0)
    # Rewrite leaf 3 and the tree above it consistently, as an operator covering tracks would.
    from exchange.audit.merkle import leaf_hash

    with db.sessions.begin() as s:
        forged = ev(3, case="case-forged").canonical()
        h = leaf_hash(forged)
        s.execute(
            update(LogEntry).where(LogEntry.idx == 3).values(event=forged, leaf_hash=h, case_id="case-forged")
        )
        leaves = [
            bytes(x) for x in s.execute(text("SELECT leaf_hash FROM log_entries ORDER BY idx")).scalars()
        ]
        for sql, params in retile(leaves):
            s.execute(text(sql.replace("%(", ":").replace(")s", "")), params)
        s.execute(text("UPDATE log_head SET root = :r"), {"r": root_from_leaf_hashes(leaves)})
    fill(db, 2, 8)
    with db.sessions.begin() as s, pytest.raises(ConflictError, match="refusing to sign"):
        db.log.sign_checkpoint(s, db.signer, T0)
    with db.sessions.begin() as s, pytest.raises(LogCorrupted, match="checkpoint at size 8 does not match"):
        db.log.verify(s, db.signer.verifier)


def test_failed_append_blocks_the_action(db: Db) -> None:
    """If the log cannot record the event, the action in the same unit of work is not committed."""
    block_log_writes(db)

    def action_with_event(s: Session) -> None:
        s.add(LogWitness(name="helmond.test/w", party="helmond", public=b"\x01" * 32))  # the "action"
        s.flush()
        db.log.append(s, ev())

    with pytest.raises(StorageError, match="could not record the event; nothing was done"):
        run_unit(db.sessions, action_with_event)
    with db.sessions.begin() as s:
        assert s.get(LogWitness, "helmond.test/w") is None
        assert db.log.size(s) == 0
    unblock_log_writes(db)
    # Resumes without a restart once the fault clears; the frontier cache did not go stale.
    run_unit(db.sessions, action_with_event)
    with db.sessions.begin() as s:
        assert db.log.size(s) == 1
        assert s.get(LogWitness, "helmond.test/w") is not None
        db.log.verify(s, db.signer.verifier)


def test_idempotent_retry_returns_original(db: Db) -> None:
    """Retrying with the same idempotency key returns the original index and appends nothing."""
    with db.sessions.begin() as s:
        first = db.log.append(s, ev(1), idempotency_key="req-abc")
    with db.sessions.begin() as s:
        again = db.log.append(s, ev(2), idempotency_key="req-abc")
        assert (again.index, again.leaf_hash, again.duplicate) == (first.index, first.leaf_hash, True)
        assert db.log.size(s) == 1


def test_rolled_back_append_does_not_poison_the_cache(db: Db) -> None:
    """An append in a transaction that rolls back leaves the next append correct."""
    fill(db, 5)
    s = db.sessions()
    s.begin()
    db.log.append(s, ev(99, case="case-rolled-back"))
    s.rollback()
    s.close()
    other = AuditLog(db.log.origin)  # another process's view
    with db.sessions.begin() as s:
        other.append(s, ev(5))
    with db.sessions.begin() as s:
        db.log.append(s, ev(6))
        db.log.verify(s, db.signer.verifier)
        assert db.log.size(s) == 7


def test_concurrent_writers_never_fork(db: Db) -> None:
    """Threads appending through separate transactions get unique, gap-free indexes and one tree."""
    logs = [AuditLog(db.log.origin) for _ in range(4)]  # separate caches, like separate processes
    indexes: list[int] = []
    lock = threading.Lock()

    def writer(k: int) -> None:
        for i in range(40):
            with db.sessions.begin() as s:
                r = logs[k].append(s, ev(i, trace_id=f"w{k}-{i}"))
            with lock:
                indexes.append(r.index)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(indexes) == list(range(160))
    with db.sessions.begin() as s:
        assert db.log.verify(s, db.signer.verifier).size == 160


def test_group_commit_isolates_a_failing_unit(db: Db) -> None:
    """In a batch, a failing unit rolls back alone; the others commit and are acknowledged."""
    gc = GroupCommitter(db.sessions)
    try:

        def bad(s: Session) -> AppendResult:
            db.log.append(s, ev(1))
            raise ValueError("this unit fails after appending")

        futures = [gc.submit(partial(append_one, db, i)) for i in range(20)]
        futures.insert(10, gc.submit(bad))
        results = []
        for f in futures:
            try:
                results.append(f.result(timeout=30).index)
            except ValueError:
                results.append(-1)
        assert results.count(-1) == 1
        assert sorted(r for r in results if r >= 0) == list(range(20))
    finally:
        gc.close()
    with db.sessions.begin() as s:
        assert db.log.verify(s, db.signer.verifier).size == 20


def test_group_commit_failure_acknowledges_nothing(db: Db) -> None:
    """If the batch cannot commit, no unit of it is acknowledged."""
    block_log_writes(db)
    gc = GroupCommitter(db.sessions)
    try:
        futures = [gc.submit(partial(append_one, db, i)) for i in range(5)]
        for f in futures:
            with pytest.raises(StorageError):
                f.result(timeout=30)
    finally:
        gc.close()


def test_witness_cosignatures(db: Db) -> None:
    """A party witnesses checkpoints; cosignatures are verified, stored and shown per witness."""
    from exchange.audit.witness import WitnessState, witness
    from exchange.crypto import sodium

    pub, sec = sodium.sign_keypair_from_seed(b"\x09" * 32)
    fill(db, 5)
    with db.sessions.begin() as s:
        cp = db.log.sign_checkpoint(s, db.signer, T0)
        db.log.register_witness(s, "helmond.test/witness", "helmond", pub)
        state, line = witness(
            cp.note, [], None, db.signer.verifier, "helmond.test/witness", pub, sec, 1_700_000_000
        )
        db.log.add_cosignature(s, cp.size, line.render())
    fill(db, 7, 5)
    with db.sessions.begin() as s:
        cp2 = db.log.sign_checkpoint(s, db.signer, T0)
        proof = db.log.prove_consistency(s, state.size, cp2.size)
        state2, line2 = witness(
            cp2.note, proof, state, db.signer.verifier, "helmond.test/witness", pub, sec, 1_700_000_100
        )
        db.log.add_cosignature(s, cp2.size, line2.render())
        assert db.log.witnessed(s) == [("helmond.test/witness", "helmond", 12)]
        assert WitnessState.from_json(state2.to_json()) == state2
        with pytest.raises(ConflictError, match="registered with another key"):
            db.log.register_witness(s, "helmond.test/witness", "helmond", b"\x02" * 32)
        with pytest.raises(NotFoundError, match="no checkpoint at size 3"):
            db.log.add_cosignature(s, 3, line.render())


def test_access_report_lists_exactly_the_subjects_disclosures(db: Db) -> None:
    """The access-request report for one address lists exactly its disclosures, hits and reads."""
    events = [
        ev(
            0,
            action=Action.HIT_QUERY,
            subject=P_A,
            counterparty="senzer",
            outcome=Outcome.HIT,
            category="bijstand-status",
        ),
        ev(1, action=Action.HIT_QUERY, subject=P_B, counterparty="senzer", outcome=Outcome.NO_HIT),
        ev(
            2,
            action=Action.DISCLOSURE,
            subject=P_A,
            actor=Actor("senzer", "u-9", "employee"),
            counterparty="helmond",
            category="bijstand-status",
            purpose="uitkeringsfraude",
            articles=("7",),
        ),
        ev(3, action=Action.DECISION, subject=P_A, outcome=Outcome.DENIED, counterparty="vrbzo"),
        ev(4, action=Action.DOSSIER_READ, subject=P_A, counterparty="senzer", item="item-1"),
        ev(5, action=Action.CASE_TRANSITION, subject=P_A),
    ]
    with db.sessions.begin() as s:
        for e in events:
            db.log.append(s, e)
        rows = q.access_report(s, P_A)
    assert [r["idx"] for r in rows] == [0, 2, 4]
    assert rows[1]["articles"] == "7"
    assert rows[1]["actor_party"] == "senzer"


def test_search_filters_and_exports(db: Db) -> None:
    """Search filters by party, purpose, article, case, outcome and period; CSV neutralises formulas."""
    with db.sessions.begin() as s:
        db.log.append(s, ev(0, purpose="uitkeringsfraude", articles=("7", "12")))
        db.log.append(s, ev(1, purpose="brandveiligheid", outcome=Outcome.DENIED, articles=("8",)))
        db.log.append(
            s, ev(2, case="case-2", actor=Actor("senzer"), counterparty="helmond", articles=("17",))
        )
        db.log.append(s, ev(3, reason="=HYPERLINK(evil)", articles=("1",)))

        def idx(**kw: object) -> list[int]:
            return [r["idx"] for r in q.search(s, q.LogFilter(**kw))]  # type: ignore[arg-type]

        assert idx(purpose="uitkeringsfraude") == [0]
        assert idx(article="7") == [0]
        assert idx(article="1") == [3]  # not 17 or 12
        assert idx(outcome="denied") == [1]
        assert idx(case="case-2") == [2]
        assert idx(party="senzer") == [2]
        assert idx(party="helmond") == [0, 1, 2, 3]
        assert idx(since=T0 + timedelta(seconds=1), until=T0 + timedelta(seconds=3)) == [1, 2]
        assert idx(since=(T0 + timedelta(seconds=2)).astimezone(ZoneInfo("Europe/Amsterdam"))) == [2, 3]
        rows = q.search(s, q.LogFilter(case="case-2"))
    csv_text = q.to_csv(rows)
    assert csv_text.splitlines()[0].startswith("idx,time,trace_id,action,outcome,actor_party")
    assert q.to_json(rows).startswith("[")
    assert "'=x" in q.to_csv([{**rows[0], "case_id": "=x"}])
    # An empty cell stays empty (no lone quote), and times say they are UTC.
    exported = next(csv.DictReader(io.StringIO(q.to_csv([{**rows[0], "articles": ""}]))))
    assert exported["articles"] == ""
    assert exported["time"] == (T0 + timedelta(seconds=2)).isoformat() and exported["time"].endswith("+00:00")


def test_anomalies(db: Db) -> None:
    """Requests outside a case, in an uncovered phase, bursts and repeated denials are flagged."""
    with db.sessions.begin() as s:
        db.log.append(s, ev(0, case=None))
        db.log.append(s, ev(1, outcome=Outcome.DENIED, reason_code="phase-not-covered", phase="signal"))
        for i in range(2, 60):
            db.log.append(
                s,
                ev(i, actor=Actor("uwv", "u-7", "employee"), action=Action.HIT_QUERY, outcome=Outcome.NO_HIT),
            )
        for i in range(60, 66):
            db.log.append(s, ev(i, actor=Actor("vrbzo", "u-3", "employee"), outcome=Outcome.DENIED))
        found = q.anomalies(s, Thresholds())
        uwv = q.anomalies(s, Thresholds(), party="uwv")
        later = q.anomalies(s, Thresholds(), since=T0 + timedelta(seconds=60))
    kinds = {(a.kind, a.party) for a in found}
    assert ("outside-case", "helmond") in kinds
    assert ("phase-not-covered", "helmond") in kinds
    assert ("burst", "uwv") in kinds
    assert ("repeated-denials", "vrbzo") in kinds
    assert ("burst", "vrbzo") not in kinds
    assert [(a.kind, a.party, a.requests) for a in uwv] == [("burst", "uwv", 58)]
    assert [a.kind for a in later] == ["repeated-denials"]
    assert (found[0].start, found[0].start.tzinfo) == (T0, UTC)  # aware UTC from either database


def test_query_columns_are_defined_once() -> None:
    """The columns verification checks are exactly those derived from an event, and exported."""
    from exchange.storage.audit_store import COLUMN_NAMES, entry_columns

    assert tuple(entry_columns(ev()).keys()) == COLUMN_NAMES
    assert ("idx", *COLUMN_NAMES) == q.EXPORT_FIELDS


def test_append_many_keeps_one_consistent_tree(db: Db) -> None:
    """Batched appends mixed with single ones give consecutive indexes and a tree that verifies,
    also after a batch in a rolled-back transaction."""
    fill(db, 3)
    with db.sessions.begin() as s:
        assert db.log.append_many(s, [ev(i) for i in range(10, 17)]) == list(range(3, 10))
        assert db.log.append(s, ev(20)).index == 10
        assert db.log.append_many(s, []) == []
    s2 = db.sessions()
    s2.begin()
    db.log.append_many(s2, [ev(i) for i in range(30, 40)])
    s2.rollback()
    s2.close()
    with db.sessions.begin() as s:
        assert db.log.append_many(s, [ev(50), ev(51)]) == [11, 12]
        cp = db.log.sign_checkpoint(s, db.signer, T0)
        report = db.log.verify(s, db.signer.verifier)
    assert (report.size, report.root) == (13, cp.root)


def test_driver_level_inserts_store_what_the_orm_reads(db: Db) -> None:
    """Entries go to the driver as tuples; read back through the ORM every query column equals the
    one derived from the event, and time ranges select them like rows written through the ORM."""
    from exchange.storage.audit_store import entry_columns

    events = [
        ev(
            i,
            subject=P_A if i % 2 else P_B,
            counterparty="senzer",
            category="bijstand-status",
            articles=("7",),
        )
        for i in range(5)
    ]
    with db.sessions.begin() as s:
        db.log.append_many(s, events)
    with db.sessions.begin() as s:
        for index, event in enumerate(events):
            row = s.get(LogEntry, index)
            assert row is not None and row.event == event.canonical()
            stored = {name: getattr(row, name) for name in q.EXPORT_FIELDS if name != "idx"}
            stored["time"] = (
                stored["time"].replace(tzinfo=UTC) if stored["time"].tzinfo is None else stored["time"]
            )
            assert stored == entry_columns(event)
        between = s.query(LogEntry.idx).filter(
            LogEntry.time >= T0 + timedelta(seconds=1), LogEntry.time < T0 + timedelta(seconds=3)
        )
        assert sorted(i for (i,) in between) == [1, 2]
        (tile,) = s.query(LogTile).all()  # one partial tile of the five leaf hashes
        assert (tile.level, tile.idx, tile.hashes) == (0, 0, b"".join(e.leaf_hash for e in s.query(LogEntry)))


def test_stored_tiles_are_pymerkles_tree(db: Db) -> None:
    """Appended in transactions of different sizes, the stored tiles are the tiles of the tree that
    pymerkle, an independent RFC 6962 implementation, computes over the same events: the leaf hashes
    in level 0, the root of each 256 entries in level 1."""
    from pymerkle import InmemoryTree

    events = [ev(i) for i in range(600)]
    with db.sessions.begin() as s:
        db.log.append_many(s, events[:250])
    for e in events[250:300]:
        with db.sessions.begin() as s:
            db.log.append(s, e)
    with db.sessions.begin() as s:
        db.log.append_many(s, events[300:])
    with db.sessions.begin() as s:
        stored = {(t.level, t.idx): t.hashes for t in s.query(LogTile)}
    data = [e.canonical() for e in events]
    tree = InmemoryTree.init_from_entries(data, algorithm="sha256")
    leaves = b"".join(bytes(tree.get_leaf(i + 1)) for i in range(600))
    above = b"".join(bytes(InmemoryTree.init_from_entries(data[k : k + 256]).get_root()) for k in (0, 256))
    assert stored == {
        (0, 0): leaves[: 256 * 32],
        (0, 1): leaves[256 * 32 : 512 * 32],
        (0, 2): leaves[512 * 32 :],
        (1, 0): above,
    }
    with db.sessions.begin() as s:
        assert db.log.root(s) == bytes(tree.get_state()) == db.log.root(s, 600)
        assert db.log.root(s, 300) == bytes(tree.get_state(300))
