"""A full level-0 tile built in one go from its 256 hashes: its inner nodes and its hash.

Pure: no storage, no I/O. :class:`exchange.audit.tile_edge.Edge` grows a tile one leaf at a time,
which suits an appender; a reader that already holds a tile's 256 hashes (verification reads the
entries 256 at a time) builds the tile level by level instead, each level a list of node hashes
made in one comprehension. The result is exactly :class:`~exchange.audit.tile_edge.FullTile`'s
``inner`` and the hash the edge hands to the level above (tests/unit/audit/test_tile_build.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from exchange.audit.merkle import HASH_SIZE, NODE_HASH_PREFIX
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
