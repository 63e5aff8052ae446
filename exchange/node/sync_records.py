"""The node's record of an index change set that may span many requests to the hub: a drop-folder
sync or a re-pseudonymisation under a new key version (:mod:`exchange.node.index_runs`)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from exchange.node.store import NodeBase, UtcDateTime


class RunReason(enum.StrEnum):
    FOLDER = "folder"  # the party's register wrote a new export into the category's drop folder
    ROTATION = "rotation"  # the covenant's pseudonym key has a new version


class RunState(enum.StrEnum):
    RUNNING = "running"  # planned; some batches may be at the hub already: the next pass finishes it
    DONE = "done"  # every batch accepted, the node's entries match
    FAILED = "failed"  # the hub refused a batch for good; the accepted ones stay, the next pass re-plans


class SyncRunRow(NodeBase):
    """One change set for one category. The changes are sealed under the node's data key; the
    batches are cut from them the same way on every try, so batch ``n`` always carries the same
    Idempotency-Key (``sync-<id>-<n>``) and the same body. The changes are in :class:`SyncChangesRow`."""

    __tablename__ = "node_sync_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    covenant: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    started: Mapped[datetime] = mapped_column(UtcDateTime())
    finished: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    #: SHA-256 of the export file a folder sync read, so an unchanged file is not read again.
    file_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    #: The pseudonym key version the additions were made with.
    key_version: Mapped[int] = mapped_column(Integer)
    additions: Mapped[int] = mapped_column(Integer)
    removals: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    batches: Mapped[int] = mapped_column(Integer)
    batches_done: Mapped[int] = mapped_column(Integer, default=0)
    #: Why the last try stopped: unreachable, busy, refused (a code, never a subject).
    problem: Mapped[str | None] = mapped_column(String(200), default=None)


class SyncChangesRow(NodeBase):
    """A run's change set, sealed, written once: sealed JSON ``{"kind": ..., "add": [[pseudonym,
    text], ...], "remove": [pseudonym, ...]}``. A table of its own, because the run's row is updated
    after every batch and SQLite rewrites a whole row, blob and all, on every update."""

    __tablename__ = "node_sync_changes"

    run_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    changes: Mapped[bytes] = mapped_column(LargeBinary)
