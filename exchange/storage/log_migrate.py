"""Converting a log stored as one row per tree node (``log_nodes``, before migration 0019) to tiles.

``exchange log migrate-tiles`` runs :func:`migrate_to_tiles` in one transaction that holds the
log's write lock: it checks the old tree's root against the head and the newest signed checkpoint,
builds every tile from the entries' leaf hashes, checks the tiles give the same roots, and only then
empties ``log_nodes``. Any failed check rolls everything back and leaves the old tree as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from exchange.audit.checkpoint import CheckpointError, NoteVerifier, open_checkpoint
from exchange.audit.merkle import HASH_SIZE, empty_root, perfect_subtrees
from exchange.audit.tile_edge import Edge, FullTile
from exchange.audit.tiles import full_tiles, levels
from exchange.errors import LogIntegrityError
from exchange.storage.log_append import load_edge
from exchange.storage.log_head import WROTE, pending_of
from exchange.storage.log_proofs import combine, root_at
from exchange.storage.log_verify import driver_stream

#: Full tiles written per INSERT.
WRITE_BATCH = 256


class MigrationRefused(LogIntegrityError):
    """The stored tree does not give the head's or the newest checkpoint's root: nothing was changed."""


@dataclass(frozen=True, slots=True)
class MigrationReport:
    size: int
    #: The newest signed checkpoint's size, checked before and after (None: the log has none).
    checkpoint: int | None
    tiles: int
    #: Rows removed from ``log_nodes``.
    nodes: int
    #: True: the log was already in tiles (``log_nodes`` empty); its tiles were checked, not rebuilt.
    already: bool = False


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _legacy_root(conn: Connection, size: int) -> bytes:
    """MTH(D[0:size]) from the old storage: leaf hashes and ``log_nodes``, one query."""
    if size == 0:
        return empty_root()
    keys = perfect_subtrees(0, size)
    found: dict[tuple[int, int], bytes] = {}
    m = _mark(conn)
    for level, idx in keys:
        if level == 0:
            sql = f"SELECT leaf_hash FROM log_entries WHERE idx = {m}"  # noqa: S608 - placeholders only  # nosec B608
            row = conn.exec_driver_sql(sql, (idx,)).first()
        else:
            sql = f"SELECT hash FROM log_nodes WHERE level = {m} AND idx = {m}"  # noqa: S608 - placeholders only  # nosec B608
            row = conn.exec_driver_sql(sql, (level, idx)).first()
        if row is None:
            raise MigrationRefused(
                f"the old tree lacks its subtree {level}/{idx} of a tree of {size} entries"
            )
        found[(level, idx)] = bytes(row[0])
    return combine(0, size, iter([found[k] for k in keys]))


def migrate_to_tiles(
    session: Session,
    origin: str,
    verifier: NoteVerifier,
    progress: Callable[[str, int, int], None] | None = None,
    batch: int = 20000,
) -> MigrationReport:
    """Build the log's tiles from its leaf hashes and empty ``log_nodes``, checking the roots before
    and after; raises :class:`MigrationRefused` (and changes nothing) if a check fails."""
    if pending_of(session) is not None:
        raise MigrationRefused(
            "the log was appended to in this transaction; migrate in a transaction of its own"
        )
    session.info[WROTE] = True  # tiles written here are not cached until committed
    conn = session.connection()
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    size, head_root = conn.exec_driver_sql(f"SELECT size, root FROM log_head WHERE id = 1{lock}").one()  # noqa: S608 - constant  # nosec B608
    size, head_root = int(size), bytes(head_root)
    cp_size, cp_root = _checkpoint(conn, origin, verifier, size)
    nodes = int(conn.exec_driver_sql("SELECT COUNT(*) FROM log_nodes").scalar_one())
    stored_tiles = int(conn.exec_driver_sql("SELECT COUNT(*) FROM log_tiles").scalar_one())
    if size and not nodes and stored_tiles:
        _check_after(session, conn, size, head_root, cp_size, cp_root)
        return MigrationReport(size, cp_size, stored_tiles, 0, already=True)
    # Before: the old tree gives the head's root and the signed checkpoint's.
    if _legacy_root(conn, size) != head_root:
        raise MigrationRefused(f"the stored subtrees do not give the head's root at {size} entries")
    if cp_size is not None and _legacy_root(conn, cp_size) != cp_root:
        raise MigrationRefused(f"the stored subtrees do not give the signed root at {cp_size} entries")
    if progress is not None:
        progress("before", size, cp_size if cp_size is not None else -1)
    conn.exec_driver_sql("DELETE FROM log_tiles")
    m = _mark(conn)
    insert = f"INSERT INTO log_tiles (level, idx, hashes, nodes) VALUES ({m}, {m}, {m}, {m})"  # noqa: S608 - placeholders only  # nosec B608
    edge = Edge()
    full: list[FullTile] = []
    touched: set[int] = set()
    written = 0
    for idx, leaf in driver_stream(session, "idx, leaf_hash", "log_entries", "", batch):
        leaf = bytes(leaf) if isinstance(leaf, memoryview) else leaf
        if idx != edge.size or not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
            raise MigrationRefused(
                f"entry {edge.size} is missing or its leaf hash is damaged; run 'exchange log verify'"
            )
        edge.add(leaf, full, touched)
        if edge.size == cp_size and edge.root() != cp_root:
            raise MigrationRefused(f"the leaf hashes do not give the signed root at {cp_size} entries")
        if len(full) >= WRITE_BATCH:
            conn.exec_driver_sql(insert, [(t.level, t.index, t.hashes, t.inner) for t in full])
            written += len(full)
            full.clear()
        if progress is not None and edge.size % batch == 0:
            progress("tiles", edge.size, size)
    if edge.size != size:
        raise MigrationRefused(f"the head says {size} entries but {edge.size} were found")
    rows = [(t.level, t.index, t.hashes, t.inner) for t in full]
    rows += [
        (level, full_tiles(size, level), edge.partial(level), edge.partial_inner(level))
        for level in levels(size)
        if edge.partial(level)
    ]
    if rows:
        conn.exec_driver_sql(insert, rows)
    written += len(rows)
    if edge.root() != head_root:
        raise MigrationRefused(f"the leaf hashes do not give the head's root at {size} entries")
    if progress is not None:
        progress("tiles", size, size)
    _check_after(session, conn, size, head_root, cp_size, cp_root)
    conn.exec_driver_sql("DELETE FROM log_nodes")
    return MigrationReport(size, cp_size, written, nodes)


def _checkpoint(
    conn: Connection, origin: str, verifier: NoteVerifier, size: int
) -> tuple[int | None, bytes | None]:
    """The newest stored checkpoint's size and root, its signature verified."""
    row = conn.exec_driver_sql(
        "SELECT size, root, note FROM log_checkpoints ORDER BY size DESC LIMIT 1"
    ).first()
    if row is None:
        return None, None
    try:
        cp, _ = open_checkpoint(str(row[2]), verifier, origin)
    except CheckpointError as exc:
        raise MigrationRefused(f"the newest checkpoint does not verify: {exc}") from None
    if cp.size != int(row[0]) or cp.root != bytes(row[1]) or cp.size > size:
        raise MigrationRefused(f"the newest checkpoint (size {cp.size}) does not match its row or the head")
    return cp.size, cp.root


def _check_after(
    session: Session,
    conn: Connection,
    size: int,
    head_root: bytes,
    cp_size: int | None,
    cp_root: bytes | None,
) -> None:
    """After: the stored tiles give the head's root and the checkpoint's, and an appender can load them."""
    if root_at(session, size) != head_root:
        raise MigrationRefused(f"the tiles do not give the head's root at {size} entries")
    if cp_size is not None and root_at(session, cp_size) != cp_root:
        raise MigrationRefused(f"the tiles do not give the signed root at {cp_size} entries")
    load_edge(conn, size, head_root)
