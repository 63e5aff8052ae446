"""The disclosure log on SQL: appends inside the caller's transaction, proofs, checkpoints, verification.

Appends never commit: the caller's unit of work commits the action and its event together, or
neither (fail closed). Appends are serialised by locking the single ``log_head`` row (``FOR UPDATE``
on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already gives the writer the whole database), so two
events never get the same index. For each leaf the hashes of the complete subtrees it completes are
stored, so any root or proof needs O(log n) lookups.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import BigInteger, ColumnElement, Table, bindparam, func, literal_column, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from exchange.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    NoteSigner,
    NoteVerifier,
    check_extends,
    open_checkpoint,
    parse_note,
    sign_checkpoint,
)
from exchange.audit.events import Event, event_from_bytes
from exchange.audit.merkle import (
    consistency_proof,
    empty_root,
    inclusion_proof,
    leaf_hash,
    node_hash,
    split_point,
)
from exchange.errors import ConflictError, ExchangeError, NotFoundError, StorageError
from exchange.storage.models import LogCheckpoint, LogCosignature, LogEntry, LogHead, LogNode, LogWitness

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AppendResult:
    index: int
    leaf_hash: bytes
    duplicate: bool  # True: the idempotency key was seen before; nothing was appended


def entry_columns(event: Event) -> dict[str, object]:
    """The query columns derived from an event (also used by verification to detect edits)."""
    return {
        "time": event.time.astimezone(UTC),
        "trace_id": event.trace_id,
        "action": str(event.action),
        "outcome": str(event.outcome),
        "actor_party": event.actor.party,
        "actor_user": event.actor.user,
        "actor_role": event.actor.role,
        "counterparty": event.counterparty,
        "case_id": event.case,
        "subject": event.subject,
        "purpose": event.purpose,
        "category": event.category,
        "phase": event.phase,
        "covenant": event.covenant,
        "articles": "," + ",".join(event.articles) + "," if event.articles else "",
        "reason_code": event.reason_code,
    }


_HEAD = cast(Table, LogHead.__table__)
_ENTRIES = cast(Table, LogEntry.__table__)
# Statements built once: an append is on the hot path of every request.
_SELECT_HEAD = select(_HEAD.c.size, _HEAD.c.root).where(_HEAD.c.id == 1).with_for_update()
_SELECT_IDEMPOTENT = select(_ENTRIES.c.idx, _ENTRIES.c.leaf_hash).where(
    _ENTRIES.c.idempotency_key == bindparam("key")
)
_INSERT_ENTRY = _ENTRIES.insert()
_INSERT_NODE = cast(Table, LogNode.__table__).insert()
_UPDATE_HEAD = (
    _HEAD.update().where(_HEAD.c.id == 1).values(size=bindparam("new_size"), root=bindparam("new_root"))
)


class AuditLog:
    """Operations on the log inside a session the caller owns."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self._lock = threading.Lock()
        self._frontier: tuple[int, bytes, tuple[tuple[int, bytes], ...]] | None = None

    # -- appending ---------------------------------------------------------------------------

    def append(self, session: Session, event: Event, idempotency_key: str | None = None) -> AppendResult:
        """Append one event in the caller's transaction. Raises :class:`StorageError` if it cannot."""
        try:
            conn = session.connection()
            head = conn.execute(_SELECT_HEAD).one()
            if idempotency_key is not None:
                seen = conn.execute(_SELECT_IDEMPOTENT, {"key": idempotency_key}).first()
                if seen is not None:
                    return AppendResult(seen.idx, seen.leaf_hash, duplicate=True)
            frontier = self._frontier_for(session, head.size, head.root)
            data = event.canonical()
            index = head.size
            h = leaf_hash(data)
            nodes = [{"level": 0, "idx": index, "hash": h}]
            stack = list(frontier)
            level, current = 0, h
            while stack and stack[-1][0] == level:  # a right child completes its parent
                current = node_hash(stack.pop()[1], current)
                level += 1
                nodes.append({"level": level, "idx": index >> level, "hash": current})
            stack.append((level, current))
            root = _fold(stack)
            row = {"idx": index, "leaf_hash": h, "event": data, "idempotency_key": idempotency_key}
            row.update(entry_columns(event))
            conn.execute(_INSERT_ENTRY, row)
            conn.execute(_INSERT_NODE, nodes)
            conn.execute(_UPDATE_HEAD, {"new_size": index + 1, "new_root": root})
            with self._lock:
                # Valid only if this transaction commits; the next appender checks size and root.
                self._frontier = (index + 1, root, tuple(stack))
            return AppendResult(index, h, duplicate=False)
        except ExchangeError:
            raise
        except SQLAlchemyError as exc:
            log.error("log append failed: %s", type(exc).__name__)
            raise StorageError("the disclosure log could not record the event; nothing was done") from None

    def _frontier_for(self, session: Session, size: int, root: bytes) -> tuple[tuple[int, bytes], ...]:
        """The compact range (complete subtrees, left to right) for ``size`` leaves.

        Taken from the cache when it describes exactly this size and root (so a rolled-back
        transaction or another process's append forces a reload), else from the stored subtrees.
        """
        with self._lock:
            cached = self._frontier
        if cached is not None and cached[0] == size and cached[1] == root:
            return cached[2]
        stack: list[tuple[int, bytes]] = []
        start = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size & (1 << level):
                node = session.get(LogNode, (level, start >> level))
                if node is None:
                    raise StorageError(
                        f"the log is missing subtree ({level}, {start >> level}); run 'exchange log verify'"
                    )
                stack.append((level, node.hash))
                start += 1 << level
        if (_fold(stack) if stack else empty_root()) != root:
            raise StorageError("the log's stored subtrees do not match its head; run 'exchange log verify'")
        return tuple(stack)

    # -- reading -----------------------------------------------------------------------------

    def size(self, session: Session) -> int:
        return int(session.execute(select(LogHead.size).where(LogHead.id == 1)).scalar_one())

    def subtree(self, session: Session) -> Callable[[int, int], bytes]:
        """MTH(D[start:end]) from stored complete subtrees: O(log n) lookups."""

        def mth(start: int, end: int) -> bytes:
            n = end - start
            if n & (n - 1) == 0 and start % n == 0:
                level = n.bit_length() - 1
                node = session.get(LogNode, (level, start >> level))
                if node is None:
                    raise StorageError(f"the log is missing subtree ({level}, {start >> level})")
                return node.hash
            k = split_point(n)
            return node_hash(mth(start, start + k), mth(start + k, end))

        return mth

    def root(self, session: Session, size: int | None = None) -> bytes:
        if size is None:
            return bytes(session.execute(select(LogHead.root).where(LogHead.id == 1)).scalar_one())
        return empty_root() if size == 0 else self.subtree(session)(0, size)

    def entry(self, session: Session, index: int) -> LogEntry:
        row = session.get(LogEntry, index)
        if row is None:
            raise NotFoundError(f"the log has no entry {index}")
        return row

    def prove_inclusion(self, session: Session, index: int, size: int | None = None) -> list[bytes]:
        n = self.size(session) if size is None else size
        if not 0 <= index < n:
            raise NotFoundError(f"the log has no entry {index} in a tree of size {n}")
        return inclusion_proof(index, n, self.subtree(session))

    def prove_consistency(self, session: Session, old_size: int, new_size: int) -> list[bytes]:
        if new_size > self.size(session):
            raise NotFoundError(f"the log has fewer than {new_size} entries")
        return consistency_proof(old_size, new_size, self.subtree(session))

    # -- checkpoints -------------------------------------------------------------------------

    def latest_checkpoint(self, session: Session) -> LogCheckpoint | None:
        return session.execute(
            select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)
        ).scalar_one_or_none()

    def sign_checkpoint(self, session: Session, signer: NoteSigner, now: datetime) -> LogCheckpoint:
        """Sign a checkpoint at the current size, refusing one inconsistent with the previous."""
        size = self.size(session)
        root = self.root(session, size)
        previous = self.latest_checkpoint(session)
        cp = Checkpoint(self.origin, size, root)
        if previous is not None:
            if previous.size == size:
                if previous.root != root:
                    raise ConflictError("the log's root changed without new entries: the log was altered")
                return previous
            prev_cp, _ = open_checkpoint(previous.note, signer.verifier, self.origin)
            proof = self.prove_consistency(session, previous.size, size) if previous.size else []
            try:
                check_extends(prev_cp, cp, proof)
            except CheckpointError as exc:
                raise ConflictError(f"refusing to sign: {exc}") from None
        row = LogCheckpoint(size=size, root=root, note=sign_checkpoint(cp, signer).render(), created=now)
        session.add(row)
        session.flush()
        return row

    def register_witness(self, session: Session, name: str, party: str, public: bytes) -> None:
        existing = session.get(LogWitness, name)
        if existing is not None:
            if existing.public != public or existing.party != party:
                raise ConflictError(f"witness '{name}' is registered with another key")
            return
        session.add(LogWitness(name=name, party=party, public=public))
        session.flush()

    def add_cosignature(self, session: Session, size: int, line_text: str) -> LogCosignature:
        """Store a witness's cosignature on the stored checkpoint of ``size`` after verifying it."""
        from exchange.audit.checkpoint import verify_cosignature

        cp = session.get(LogCheckpoint, size)
        if cp is None:
            raise NotFoundError(f"there is no checkpoint at size {size}")
        note = parse_note(cp.note + line_text if line_text.startswith("\u2014") else cp.note)
        line = note.signatures[-1]
        witness = session.get(LogWitness, line.name)
        if witness is None:
            raise NotFoundError(f"'{line.name}' is not a registered witness")
        timestamp = verify_cosignature(note.text, line, witness.public)
        row = LogCosignature(size=size, witness=witness.name, line=line.render(), timestamp=timestamp)
        session.add(row)
        session.flush()
        return row

    def witnessed(self, session: Session) -> list[tuple[str, str, int]]:
        """(witness name, party, largest size it cosigned)."""
        rows = session.execute(
            select(LogWitness.name, LogWitness.party, func.max(LogCosignature.size))
            .join(LogCosignature, LogCosignature.witness == LogWitness.name, isouter=True)
            .group_by(LogWitness.name, LogWitness.party)
            .order_by(LogWitness.name)
        ).all()
        return [(r[0], r[1], int(r[2]) if r[2] is not None else 0) for r in rows]

    # -- verification ------------------------------------------------------------------------

    def verify(
        self,
        session: Session,
        verifier: NoteVerifier,
        progress: Callable[[int, int], None] | None = None,
        batch: int = 5000,
    ) -> VerifyReport:
        """Recompute every leaf hash, every stored subtree and the root; check every checkpoint.

        Raises :class:`LogCorrupted` naming the first bad index. Streams in batches.
        """
        size = self.size(session)
        checkpoints = {c.size: c for c in session.execute(select(LogCheckpoint)).scalars()}
        nodes = self._nodes_in_completion_order(session, batch)
        stack: list[tuple[int, bytes]] = []  # compact range: (level, hash) of complete subtrees
        seen = 0
        previous_cp: Checkpoint | None = None
        if 0 in checkpoints:
            previous_cp = self._check_checkpoint(checkpoints[0], 0, empty_root(), verifier, None)
        for entry, node0 in self._entries_with_leaves(session, batch):
            if entry.idx != seen:
                raise LogCorrupted(seen, "entry is missing")
            if leaf_hash(entry.event) != entry.leaf_hash or node0 != entry.leaf_hash:
                raise LogCorrupted(seen, "event bytes do not match the stored leaf hash")
            try:
                columns = entry_columns(event_from_bytes(entry.event))
            except ExchangeError:
                raise LogCorrupted(seen, "event is not a valid event") from None
            for name, value in columns.items():
                stored = getattr(entry, name)
                if name == "time":
                    stored, value = _utc(stored), _utc(value)  # type: ignore[arg-type]
                if stored != value:
                    raise LogCorrupted(seen, f"query column '{name}' does not match the event")
            level, h = 0, entry.leaf_hash
            while stack and stack[-1][0] == level:
                h = node_hash(stack.pop()[1], h)
                level += 1
                expected = next(nodes, None)
                if expected is None or expected[:2] != (level, (seen + 1 >> level) - 1) or expected[2] != h:
                    raise LogCorrupted(seen, f"stored subtree at level {level} does not match the entries")
            stack.append((level, h))
            seen += 1
            if seen in checkpoints:
                previous_cp = self._check_checkpoint(
                    checkpoints[seen], seen, _fold(stack), verifier, previous_cp
                )
            if progress is not None and (seen % batch == 0 or seen == size):
                progress(seen, size)
        if seen != size:
            raise LogCorrupted(seen, f"the head says {size} entries but {seen} were found")
        if (_fold(stack) if stack else empty_root()) != self.root(session):
            raise LogCorrupted(size, "the root stored in the head does not match the entries")
        if next(nodes, None) is not None:
            raise LogCorrupted(seen, "there are stored subtrees beyond the last entry")
        unchecked = [s for s in checkpoints if s > size]
        if unchecked:
            raise LogCorrupted(
                size, f"a checkpoint claims size {min(unchecked)} but the log has {size} entries"
            )
        return VerifyReport(size, _fold(stack) if stack else empty_root(), len(checkpoints))

    def _check_checkpoint(
        self, row: LogCheckpoint, size: int, root: bytes, verifier: NoteVerifier, previous: Checkpoint | None
    ) -> Checkpoint:
        try:
            cp, _ = open_checkpoint(row.note, verifier, self.origin)
        except CheckpointError as exc:
            raise LogCorrupted(size, f"checkpoint at size {size}: {exc}") from None
        if cp.size != size or cp.root != root or row.root != root:
            raise LogCorrupted(size, f"checkpoint at size {size} does not match the recomputed root")
        if previous is not None and previous.size > cp.size:  # pragma: no cover - sizes are visited in order
            raise LogCorrupted(size, "checkpoints out of order")
        return cp

    def _entries_with_leaves(self, session: Session, batch: int) -> Iterator[tuple[LogEntry, bytes | None]]:
        last = -1
        while True:
            rows = session.execute(
                select(LogEntry, LogNode.hash)
                .join(LogNode, (LogNode.level == 0) & (LogNode.idx == LogEntry.idx), isouter=True)
                .where(LogEntry.idx > last)
                .order_by(LogEntry.idx)
                .limit(batch)
            ).all()
            if not rows:
                return
            yield from ((entry, h) for entry, h in rows)
            last = rows[-1][0].idx
            session.expunge_all()

    def _nodes_in_completion_order(self, session: Session, batch: int) -> Iterator[tuple[int, int, bytes]]:
        """Stored nodes above level 0, in the order a left-to-right pass completes them."""
        edge: ColumnElement[int] = literal_column("((log_nodes.idx + 1) << log_nodes.level)", BigInteger)
        last: tuple[int, int] = (0, 0)
        while True:
            rows = session.execute(
                select(LogNode.level, LogNode.idx, LogNode.hash, edge)
                .where(LogNode.level > 0)
                .where((edge > last[0]) | ((edge == last[0]) & (LogNode.level > last[1])))
                .order_by(edge, LogNode.level)
                .limit(batch)
            ).all()
            if not rows:
                return
            for level, idx, h, e in rows:
                yield level, idx, h
                last = (int(e), level)


def _utc(value: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; compare as UTC.
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _fold(stack: list[tuple[int, bytes]]) -> bytes:
    """The root of the leaves so far, from the compact range (right to left)."""
    h = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        h = node_hash(left, h)
    return h


@dataclass(frozen=True, slots=True)
class VerifyReport:
    size: int
    root: bytes
    checkpoints: int


class LogCorrupted(ExchangeError):
    """Verification found the log altered or damaged; ``index`` is the first bad entry."""

    kind = "verification"

    def __init__(self, index: int, what: str) -> None:
        self.index = index
        super().__init__(f"log entry {index}: {what}")
