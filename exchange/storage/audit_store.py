"""The disclosure log on SQL: one front over appending, proofs, checkpoints and verification.

Each job lives in its own module: :mod:`~exchange.storage.log_append` (appends inside the caller's
transaction), :mod:`~exchange.storage.log_head` (the head cached per transaction),
:mod:`~exchange.storage.log_proofs` (roots and proofs from the stored hash tiles),
:mod:`~exchange.storage.log_checkpoints` (checkpoints and witnesses) and
:mod:`~exchange.storage.log_verify` (verification). :class:`AuditLog` binds them to one log origin.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.audit.checkpoint import NoteSigner, NoteVerifier
from exchange.audit.events import Event
from exchange.errors import NotFoundError
from exchange.storage import log_checkpoints, log_proofs
from exchange.storage.log_append import COLUMN_NAMES, Appender, AppendResult, entry_columns, entry_values
from exchange.storage.log_head import pending_of, write_pending
from exchange.storage.log_proofs import StoredSubtrees
from exchange.storage.log_tiles import tile_sql
from exchange.storage.log_verify import LogCorrupted, VerifyReport, Witnessed, verify_log
from exchange.storage.models import LogCheckpoint, LogCosignature, LogEntry, LogHead

__all__ = [
    "COLUMN_NAMES",
    "AppendResult",
    "AuditLog",
    "LogCorrupted",
    "StoredSubtrees",
    "VerifyReport",
    "Witnessed",
    "entry_columns",
    "entry_values",
    "tile_sql",
]


class AuditLog:
    """Operations on the log inside a session the caller owns."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self._appender = Appender()

    # -- appending (exchange.storage.log_append) ---------------------------------------------

    def append(self, session: Session, event: Event, idempotency_key: str | None = None) -> AppendResult:
        """Append one event in the caller's transaction. Raises :class:`StorageError` if it cannot.

        With an ``idempotency_key`` seen before, nothing is appended and the original index returns.
        """
        return self._appender.append(session, event, idempotency_key)

    def append_many(self, session: Session, events: list[Event]) -> list[int]:
        """Append several events (one request's answers) with one head update and batched inserts.

        Same guarantees as :meth:`append`: the caller's transaction, consecutive indexes, never commits.
        """
        return [index for index, _ in self._appender.append_many(session, events)]

    def append_leaves(self, session: Session, events: list[Event]) -> list[tuple[int, bytes]]:
        """As :meth:`append_many`, returning each event's (index, leaf hash) (for receipts)."""
        return self._appender.append_many(session, events)

    # -- reading and proofs (exchange.storage.log_proofs) ------------------------------------

    def size(self, session: Session) -> int:
        pending = pending_of(session)
        return pending.size if pending is not None else log_checkpoints.log_size(session)

    def subtree(self, session: Session) -> StoredSubtrees:
        """MTH(D[start:end]) from the stored tiles, fetched in one query and kept."""
        return StoredSubtrees(session)

    def root(self, session: Session, size: int | None = None) -> bytes:
        if size is None:
            write_pending(session)
            return bytes(session.execute(select(LogHead.root).where(LogHead.id == 1)).scalar_one())
        return log_proofs.root_at(session, size)

    def entry(self, session: Session, index: int) -> LogEntry:
        row = session.get(LogEntry, index)
        if row is None:
            raise NotFoundError(f"the log has no entry {index}")
        return row

    def prove_inclusion(self, session: Session, index: int, size: int | None = None) -> list[bytes]:
        n = self.size(session) if size is None else size
        if not 0 <= index < n:
            raise NotFoundError(f"the log has no entry {index} in a tree of size {n}")
        return log_proofs.prove_inclusion(session, index, n)

    def prove_consistency(self, session: Session, old_size: int, new_size: int) -> list[bytes]:
        if new_size > self.size(session):
            raise NotFoundError(f"the log has fewer than {new_size} entries")
        return log_proofs.prove_consistency(session, old_size, new_size)

    # -- checkpoints and witnesses (exchange.storage.log_checkpoints) ------------------------

    def latest_checkpoint(self, session: Session) -> LogCheckpoint | None:
        return log_checkpoints.latest_checkpoint(session)

    def sign_checkpoint(self, session: Session, signer: NoteSigner, now: datetime) -> LogCheckpoint:
        """Sign a checkpoint at the current size, refusing one inconsistent with the previous."""
        write_pending(session)
        return log_checkpoints.sign_next(session, self.origin, signer, now)

    def register_witness(self, session: Session, name: str, party: str, public: bytes) -> None:
        log_checkpoints.register_witness(session, name, party, public)

    def add_cosignature(self, session: Session, size: int, line_text: str) -> LogCosignature:
        """Store a witness's cosignature on the stored checkpoint of ``size`` after verifying it."""
        return log_checkpoints.add_cosignature(session, size, line_text)

    def witnessed(self, session: Session) -> list[tuple[str, str, int]]:
        """(witness name, party, largest size it cosigned)."""
        return log_checkpoints.witnessed(session)

    # -- verification (exchange.storage.log_verify) ------------------------------------------

    def verify(
        self,
        session: Session,
        verifier: NoteVerifier,
        progress: Callable[[int, int], None] | None = None,
        batch: int = 20000,
        check_columns: bool = True,
    ) -> VerifyReport:
        """Recompute every leaf hash, every stored hash tile and the root; check every checkpoint and
        the newest stored cosignature of each witness; with ``check_columns``, also check each
        entry's query columns against its event bytes.

        Raises :class:`LogCorrupted` naming the first bad index. Streams in batches. Needs only the
        log's public key. :attr:`VerifyReport.witnessed` is empty when no cosignature is stored.
        """
        write_pending(session)
        cosignatures = log_checkpoints.newest_cosignatures(session)
        return verify_log(session, self.origin, verifier, progress, batch, check_columns, cosignatures)
