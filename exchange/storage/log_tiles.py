"""Hash tiles (c2sp.org/tlog-tiles) read from the log's stored subtrees, one query per tile.

The log stores every leaf hash (``log_entries.leaf_hash``) and the hash of every complete subtree
above it (``log_nodes``, ADR 0006), so tile ``N`` of tile level ``L`` is the stored hashes at tree
level ``8·L`` with indexes ``256·N`` to ``256·N + W − 1``: nothing is stored twice, and nothing but
hashes is read.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.audit.merkle import HASH_SIZE
from exchange.audit.tiles import TILE_HEIGHT, TILE_WIDTH, Tile
from exchange.errors import StorageError
from exchange.storage.models import LogEntry, LogNode


def read_tile(session: Session, tile: Tile) -> bytes:
    """The concatenated hashes of ``tile``, which the caller knows the tree to hold in full."""
    first = tile.index * TILE_WIDTH
    end = first + tile.width
    if tile.level == 0:
        query = (
            select(LogEntry.idx, LogEntry.leaf_hash)
            .where(LogEntry.idx >= first, LogEntry.idx < end)
            .order_by(LogEntry.idx)
        )
    else:
        query = (
            select(LogNode.idx, LogNode.hash)
            .where(LogNode.level == tile.level * TILE_HEIGHT, LogNode.idx >= first, LogNode.idx < end)
            .order_by(LogNode.idx)
        )
    rows = session.execute(query).all()
    if [int(r[0]) for r in rows] != list(range(first, end)):
        raise StorageError(f"the log is missing hashes of {tile.path()}; run 'exchange log verify'")
    data = b"".join(bytes(r[1]) for r in rows)
    if len(data) != tile.width * HASH_SIZE:
        raise StorageError(
            f"the log holds a hash of {tile.path()} that is not 32 bytes; run 'exchange log verify'"
        )
    return data
