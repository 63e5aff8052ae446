"""The right edge of the log's tree in the C2SP tlog-tiles layout, grown one leaf hash at a time.

Pure: no storage, no I/O. An :class:`Edge` holds what an appender needs to add the next leaf and to
know the root: the compact range (the complete subtrees of the root's decomposition, left to right)
and, per tile level, the hashes of that level's partial tile at the right edge. Adding a leaf
computes each node hash of the tree exactly once; when a tile fills up to 256 hashes it is handed
out as a :class:`FullTile` (immutable from then on) and its hash starts the tile above.

A stored tree is the full tiles plus one partial tile per level (``exchange.storage.log_tiles``);
:meth:`Edge.from_partials` rebuilds the edge from the partial tiles alone, which hold every complete
subtree of the root's decomposition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from exchange.audit.merkle import HASH_SIZE, empty_root, node_hash
from exchange.audit.tiles import TILE_HEIGHT, TILE_WIDTH, TileError, partial_width

_LEVEL_MASK = TILE_HEIGHT - 1


@dataclass(frozen=True, slots=True)
class FullTile:
    """A tile of 256 hashes that the tree just completed: it never changes again."""

    level: int
    index: int
    hashes: bytes


def perfect_root(hashes: list[bytes]) -> bytes:
    """MTH of ``2^r`` consecutive hashes (a complete subtree): pairs hashed level by level."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[k], hashes[k + 1]) for k in range(0, len(hashes), 2)]
    return hashes[0]


@dataclass(slots=True)
class Edge:
    """The right edge of a tree of ``size`` leaves: compact range and partial tiles."""

    size: int = 0
    stack: list[tuple[int, bytes]] = field(default_factory=list)
    rows: list[list[bytes]] = field(default_factory=lambda: [[]])

    def copy(self) -> Edge:
        return Edge(self.size, list(self.stack), [list(r) for r in self.rows])

    def add(self, h: bytes, full: list[FullTile], touched: set[int]) -> None:
        """Add leaf hash ``h``: record each tile it completes in ``full`` and each tile level whose
        partial tile changed in ``touched``."""
        index = self.size
        rows = self.rows
        row = rows[0]
        row.append(h)
        touched.add(0)
        if len(row) == TILE_WIDTH:
            full.append(FullTile(0, index >> TILE_HEIGHT, b"".join(row)))
            rows[0] = []
        stack = self.stack
        level = 0
        while stack and stack[-1][0] == level:  # a right child completes its parent
            h = node_hash(stack.pop()[1], h)
            level += 1
            if not level & _LEVEL_MASK:  # the hash of a full tile: a hash of the tile level above
                tile_level = level >> 3
                if tile_level == len(rows):
                    rows.append([])
                row = rows[tile_level]
                row.append(h)
                touched.add(tile_level)
                if len(row) == TILE_WIDTH:
                    full.append(
                        FullTile(tile_level, index >> (TILE_HEIGHT * (tile_level + 1)), b"".join(row))
                    )
                    rows[tile_level] = []
        stack.append((level, h))
        self.size = index + 1

    def root(self) -> bytes:
        """MTH(D[0:size]): the right fold of the compact range."""
        stack = self.stack
        if not stack:
            return empty_root()
        h = stack[-1][1]
        for _, left in reversed(stack[:-1]):
            h = node_hash(left, h)
        return h

    def partial(self, tile_level: int) -> bytes:
        """The partial tile of ``tile_level`` as stored: its hashes concatenated (empty: none)."""
        return b"".join(self.rows[tile_level]) if tile_level < len(self.rows) else b""

    @classmethod
    def from_partials(cls, size: int, partials: dict[int, bytes]) -> Edge:
        """The edge of a tree of ``size`` leaves from its partial tiles (tile level -> hashes).

        Raises :class:`TileError` if a partial tile is missing or has the wrong width.
        """
        top = 0
        while size >> (TILE_HEIGHT * (top + 1)):
            top += 1
        rows: list[list[bytes]] = [[] for _ in range(top + 1)]
        stack: list[tuple[int, bytes]] = []
        for tile_level in range(top, -1, -1):
            width = partial_width(size, tile_level)
            data = partials.get(tile_level, b"") if width else b""
            if len(data) != width * HASH_SIZE:
                raise TileError(
                    f"the partial tile at level {tile_level} holds {len(data) // HASH_SIZE} hashes, "
                    f"not {width}"
                )
            row = [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
            rows[tile_level] = row
            offset = 0
            for r in range(TILE_HEIGHT - 1, -1, -1):
                if width >> r & 1:
                    stack.append(
                        (TILE_HEIGHT * tile_level + r, perfect_root(row[offset : offset + (1 << r)]))
                    )
                    offset += 1 << r
        return cls(size, stack, rows)
