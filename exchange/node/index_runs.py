"""Sending a change set of the party's index to the hub when it is larger than one request: a
drop-folder sync, or the whole index again under a new pseudonym key version.

The hub applies one ``POST /v1/index/{category}`` in one transaction, at most
:data:`~exchange.node.index_sync.MAX_INDEX_CHANGES` changes at a time. A larger set is cut into
batches the same way on every try (additions first, then removals), and each batch carries its own
Idempotency-Key (``sync-<run>-<n>``), so:

* a batch is at the hub whole or not at all;
* the node applies accepted batches to its own entries and records them as done in one transaction
  of its own store, every :data:`APPLY_EVERY` changes, at the end, and before it reports a batch the
  hub did not accept: the node's entries equal what the hub accepted, except that after a crash the
  hub may hold the batches of one unfinished group more;
* a run that stops half-way (the hub away, the process killed) stays ``running`` and the next pass
  resumes it at the first batch not recorded; a batch the hub applied but whose answer was not
  recorded is sent again with the same key and body, which the hub answers as a replay;
* additions go first, so while a re-pseudonymisation is half-way the hub holds every subject under
  at least one accepted key version (queries keep answering *hit*), never fewer.

A change set of at most one batch (the usual daily difference) is therefore atomic at the hub.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from exchange.errors import ExchangeError
from exchange.node import index_store
from exchange.node.index_sync import MAX_INDEX_CHANGES
from exchange.node.sealing import DataKey, open_sealed, seal
from exchange.node.store import AuditKind, AuditRow
from exchange.node.sync_records import RunReason, RunState, SyncChangesRow, SyncRunRow

#: The hub's side of a batch: (category, pseudonyms to add, pseudonyms to remove, Idempotency-Key).
#: Raises :class:`~exchange.node.provider_hub.HubTrouble` when the hub did not accept it.
Send = Callable[[str, list[str], list[str], str], None]
#: Progress: (category, stage, done, total); stages are ``pseudonymise`` and ``send``.
Progress = Callable[[str, str, int, int], None]
#: Changes per request: the upload's limit, well under the hub's 2 MiB body and 100,000 subjects.
BATCH_SIZE = MAX_INDEX_CHANGES
#: The node applies the batches the hub accepted to its own entries once this many changes have
#: been accepted (and at the end, and before it reports a batch the hub did not accept): one local
#: transaction per ten requests. Each commit writes every index page it touched, and a batch of
#: random pseudonyms touches most pages of a large index, so fewer, larger commits write far less.
APPLY_EVERY = 10 * BATCH_SIZE


def no_progress(_category: str, _stage: str, _done: int, _total: int) -> None:
    return None


class SyncInterrupted(ExchangeError):
    """A run stopped before every batch was at the hub; the message says how far it got."""

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ChangeSet:
    kind: str
    #: (pseudonym, text as the register wrote it); with ``moved``, (new pseudonym, old pseudonym).
    add: list[tuple[str, str]]
    remove: list[str]
    #: A re-pseudonymisation: each addition takes the sealed text of the entry it replaces, so the
    #: change set holds pseudonyms only.
    moved: bool = False

    def batches(self, size: int | None = None) -> list[tuple[list[tuple[str, str]], list[str]]]:
        """Consecutive slices of the additions and then the removals, ``size`` changes each
        (:data:`BATCH_SIZE`)."""
        size = size or BATCH_SIZE
        out: list[tuple[list[tuple[str, str]], list[str]]] = []
        n_add = len(self.add)
        for start in range(0, n_add + len(self.remove), size):
            end = start + size
            adds = self.add[start:end] if start < n_add else []
            removes = self.remove[max(0, start - n_add) : max(0, end - n_add)]
            out.append((adds, removes))
        return out

    def encode(self) -> bytes:
        data = {"kind": self.kind, "add": self.add, "remove": self.remove, "moved": self.moved}
        return json.dumps(data, separators=(",", ":")).encode("utf-8")

    @classmethod
    def decode(cls, data: bytes) -> ChangeSet:
        got = json.loads(data)
        return cls(
            str(got["kind"]),
            [(str(p), str(t)) for p, t in got["add"]],
            [str(p) for p in got["remove"]],
            bool(got.get("moved", False)),  # change sets stored before n0010 carry texts
        )


def plan(
    session: Session,
    key: DataKey,
    category: str,
    covenant: str,
    reason: RunReason,
    key_version: int,
    changes: ChangeSet,
    unchanged: int,
    now: datetime,
    file_digest: str | None = None,
) -> SyncRunRow:
    """Record a run with its changes sealed; nothing is sent yet."""
    row = SyncRunRow(
        id=uuid.uuid4().hex,
        category=category,
        covenant=covenant,
        reason=str(reason),
        state=RunState.RUNNING,
        started=now,
        file_digest=file_digest,
        key_version=key_version,
        additions=len(changes.add),
        removals=len(changes.remove),
        unchanged=unchanged,
        batches=len(changes.batches()),
        batches_done=0,
    )
    session.add(row)
    session.add(SyncChangesRow(run_id=row.id, changes=seal(key, changes.encode())))
    return row


def running(session: Session, category: str) -> SyncRunRow | None:
    """The run of ``category`` that has not finished, if any (there is at most one)."""
    return (
        session.query(SyncRunRow)
        .filter(SyncRunRow.category == category, SyncRunRow.state == RunState.RUNNING)
        .order_by(SyncRunRow.started)
        .first()
    )


def batch_key(run_id: str, n: int) -> str:
    return f"sync-{run_id}-{n}"


def apply_batch(
    session: Session,
    key: DataKey,
    category: str,
    covenant: str,
    changes: ChangeSet,
    add: Sequence[tuple[str, str]],
    remove: Sequence[str],
    now: datetime,
) -> None:
    """The node's entries after the hub accepted a batch of ``changes``; safe to apply twice.
    Additions first: a re-pseudonymisation's batch may remove the entries its additions copy."""
    if changes.moved:
        index_store.copy(session, category, add)
    else:
        index_store.add(session, key, category, covenant, changes.kind, add, now)
    index_store.remove(session, category, remove)


def audit(session: Session, row: SyncRunRow, kind: AuditKind, now: datetime) -> None:
    counts = {
        "added": row.additions,
        "removed": row.removals,
        "unchanged": row.unchanged,
        "batches": row.batches_done,
    }
    session.add(AuditRow(at=now, kind=str(kind), user_id=None, counts=json.dumps(counts)))


def send_run(
    sessions: sessionmaker[Session],
    key: DataKey,
    run_id: str,
    send: Send,
    clock: Callable[[], datetime],
    progress: Progress = no_progress,
) -> SyncRunRow:
    """Send every batch of the run not yet recorded as done, in order; the finished row.

    Raises :class:`SyncInterrupted` when the hub did not accept a batch: the run stays ``running``
    when the hub was away or busy (send again later), and becomes ``failed`` when it refused."""
    from exchange.node.provider_hub import HubTrouble  # the hub adapter; imported late to keep this light

    with sessions.begin() as s:
        row = s.get(SyncRunRow, run_id)
        if row is None or row.state != RunState.RUNNING:
            raise SyncInterrupted("there is no unfinished run with that id", "not-found")
        stored = s.get(SyncChangesRow, run_id)
        if stored is None:
            raise SyncInterrupted("the run's change set is missing from the node's store", "not-found")
        changes = ChangeSet.decode(open_sealed(key, stored.changes))
        category, covenant, done = row.category, row.covenant, row.batches_done
    batches = changes.batches()
    label = f"{covenant}:{category}"  # as the covenant files and the settings name it
    sent = sum(len(a) + len(r) for a, r in batches[:done])
    total = len(changes.add) + len(changes.remove)
    progress(label, "send", sent, total)
    accepted: list[int] = []  # batches the hub accepted that the node has not applied yet

    def apply_accepted() -> None:
        """Apply the accepted batches to the node's entries and record them done, in one transaction."""
        if not accepted:
            return
        adds = [a for n in accepted for a in batches[n][0]]
        removes = [r for n in accepted for r in batches[n][1]]
        with sessions.begin() as s:
            apply_batch(s, key, category, covenant, changes, adds, removes, clock())
            row = s.get(SyncRunRow, run_id)
            if row is not None:
                row.batches_done, row.problem = accepted[-1] + 1, None
        accepted.clear()

    for n in range(done, len(batches)):
        adds, removes = batches[n]
        try:
            send(category, [p for p, _ in adds], removes, batch_key(run_id, n))
        except HubTrouble as exc:
            apply_accepted()
            with sessions.begin() as s:
                row = s.get(SyncRunRow, run_id)
                if row is not None:
                    row.problem = exc.problem
                    if exc.problem == "refused":
                        row.state, row.finished = RunState.FAILED, clock()
                        s.execute(delete(SyncChangesRow).where(SyncChangesRow.run_id == run_id))
                        audit(s, row, AuditKind.INDEX_SYNC_FAILED, clock())
            then = "the next sync sends it again" if exc.problem != "refused" else "the next sync plans anew"
            raise SyncInterrupted(
                f"{label}: the hub did not accept batch {n + 1} of {len(batches)} ({exc.problem}); "
                f"{sent} of {total} changes are at the hub and in the node's index; {then}",
                exc.problem,
            ) from None
        accepted.append(n)
        sent += len(adds) + len(removes)
        if sum(len(batches[a][0]) + len(batches[a][1]) for a in accepted) >= APPLY_EVERY:
            apply_accepted()
        progress(label, "send", sent, total)
    apply_accepted()
    with sessions.begin() as s:
        row = s.get(SyncRunRow, run_id)
        if row is None:
            raise SyncInterrupted("the run disappeared from the node's store", "not-found")
        row.state, row.finished = RunState.DONE, clock()
        # Done: the sealed texts of the change set are in the entries now; keep no second copy.
        s.execute(delete(SyncChangesRow).where(SyncChangesRow.run_id == run_id))
        done_kind = (
            AuditKind.INDEX_REPSEUDONYMISED if row.reason == RunReason.ROTATION else AuditKind.INDEX_SYNCED
        )
        audit(s, row, done_kind, clock())
    return row


def latest(session: Session, limit: int = 10) -> list[SyncRunRow]:
    """The newest runs, for the index page: counts and times only."""
    return list(session.query(SyncRunRow).order_by(SyncRunRow.started.desc()).limit(limit))
