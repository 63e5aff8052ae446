"""A full level-0 tile built in one go from its 256 hashes: its inner nodes and its hash.

Pure: no storage, no I/O. :class:`exchange.audit.tile_edge.Edge` grows a tile one leaf at a time,
which suits an appender; a reader that already holds a tile's 256 hashes (verification reads the
entries 256 at a time) builds the tile level by level instead, each level a list of node hashes
made in one comprehension. The result is exactly :class:`~exchange.audit.tile_edge.FullTile`'s
``inner`` and the hash the edge hands to the level above (tests/unit/audit/test_tile_build.py).
A checkpoint inside such a tile takes its root from the tile's nodes (:func:`root_within`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from exchange.audit.merkle import HASH_SIZE, NODE_HASH_PREFIX, node_hash
from exchange.audit.tile_edge import inner_offset
from exchange.audit.tiles import TILE_HEIGHT, TILE_WIDTH


def full_tile_nodes(hashes: Sequence[bytes]) -> tuple[bytes, bytes]:
    """(inner nodes, tile hash) of a full tile of 256 hashes: its complete subtrees of 2 to 128
    hashes by height then left to right, and the MTH of all 256 (a hash of the tile level above).

    Raises ``ValueError`` unless given 256 hashes of 32 bytes each.
    """
    if len(hashes) != TILE_WIDTH or set(map(len, hashes)) != {HASH_SIZE}:
        raise ValueError(f"a full tile is {TILE_WIDTH} hashes of {HASH_SIZE} bytes")
    sha256, prefix = hashlib.sha256, NODE_HASH_PREFIX
    row = list(hashes)
    inner: list[bytes] = []
    for _ in range(1, TILE_HEIGHT):
        pairs = iter(row)
        row = [sha256(prefix + left + right).digest() for left, right in zip(pairs, pairs, strict=False)]
        inner.extend(row)
    return b"".join(inner), sha256(prefix + row[0] + row[1]).digest()


def root_within(stack: Sequence[tuple[int, bytes]], hashes: bytes, inner: bytes, width: int) -> bytes:
    """MTH of the tree whose compact range is ``stack`` (an :class:`~exchange.audit.tile_edge.Edge`'s,
    at a multiple of 256 leaves) followed by the first ``width`` (1 to 255) leaves of the full tile
    that comes next, given as its hashes and inner nodes: a checkpoint's root inside a tile."""
    if not 0 < width < TILE_WIDTH:
        raise ValueError(f"a size inside a tile is 1 to {TILE_WIDTH - 1} of its leaves, not {width}")
    parts = [h for _, h in stack]
    offset = 0
    for r in range(TILE_HEIGHT - 1, -1, -1):
        if width >> r & 1:  # the complete subtree of 2^r hashes starting at offset
            at = offset if r == 0 else inner_offset(TILE_WIDTH, r) + (offset >> r)
            parts.append((hashes if r == 0 else inner)[HASH_SIZE * at : HASH_SIZE * (at + 1)])
            offset += 1 << r
    root = parts[-1]
    for left in reversed(parts[:-1]):
        root = node_hash(left, root)
    return root
