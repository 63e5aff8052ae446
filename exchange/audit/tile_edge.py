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
    """A tile of 256 hashes that the tree just completed, with its inner nodes: it never changes again."""

    level: int
    index: int
    hashes: bytes
    inner: bytes


def inner_count(width: int) -> int:
    """How many inner nodes a tile of ``width`` hashes holds: its complete subtrees of 2 to 128 hashes."""
    return sum(width >> r for r in range(1, TILE_HEIGHT))


def inner_offset(width: int, r: int) -> int:
    """Where the inner nodes of height ``r`` (1..7) begin among those of a tile of ``width`` hashes."""
    if width == 256:
        return _FULL_OFFSETS[r]
    return sum(width >> k for k in range(1, r))


_FULL_OFFSETS = [sum(256 >> k for k in range(1, r)) for r in range(TILE_HEIGHT)]


def perfect_root(hashes: list[bytes]) -> bytes:
    """MTH of ``2^r`` consecutive hashes (a complete subtree): pairs hashed level by level."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[k], hashes[k + 1]) for k in range(0, len(hashes), 2)]
    return hashes[0]


@dataclass(slots=True)
class Edge:
    """The right edge of a tree of ``size`` leaves: compact range and partial tiles.

    ``rows[L]`` holds the hashes of the partial tile of tile level ``L``; ``inner[8·L + r]`` (r = 1..7)
    the hashes of its complete subtrees of ``2^r`` of them, its *inner nodes*: stored beside the tile,
    they let a proof take any subtree of a tile without hashing.
    """

    size: int = 0
    stack: list[tuple[int, bytes]] = field(default_factory=list)
    rows: list[list[bytes]] = field(default_factory=lambda: [[]])
    inner: list[list[bytes]] = field(default_factory=lambda: [[] for _ in range(TILE_HEIGHT)])

    def copy(self) -> Edge:
        return Edge(self.size, list(self.stack), [list(r) for r in self.rows], [list(r) for r in self.inner])

    def add(self, h: bytes, full: list[FullTile], touched: set[int]) -> None:
        """Add leaf hash ``h``: record each tile it completes in ``full`` and each tile level whose
        partial tile changed in ``touched``."""
        index = self.size
        self.rows[0].append(h)
        touched.add(0)
        self._climb(h, 0, index, full, touched)

    def add_tile(self, h: bytes, full: list[FullTile], touched: set[int]) -> None:
        """Add the 256 leaves of a full level-0 tile at once, given the tile's hash ``h``: the edge
        ends as 256 :meth:`add` calls leave it, except that the level-0 tile itself (its caller
        already has it) is not handed out in ``full``. The size must be a multiple of 256."""
        if self.size & (TILE_WIDTH - 1):
            raise TileError(f"a whole tile cannot be added to a tree of {self.size} leaves")
        if len(self.rows) == 1:
            self.rows.append([])
            self.inner.extend([] for _ in range(TILE_HEIGHT))
        self.rows[1].append(h)
        touched.update((0, 1))
        self._climb(h, TILE_HEIGHT, self.size + TILE_WIDTH - 1, full, touched)

    def _climb(self, h: bytes, level: int, index: int, full: list[FullTile], touched: set[int]) -> None:
        """Push the complete subtree ``h`` at tree ``level`` whose last leaf is ``index``, hashing
        it with each left sibling it completes."""
        rows, inner = self.rows, self.inner
        stack = self.stack
        while stack and stack[-1][0] == level:  # a right child completes its parent
            h = node_hash(stack.pop()[1], h)
            level += 1
            if level & _LEVEL_MASK:
                inner[level].append(h)
                continue
            # The hash of a full tile: the tile below is complete, and this is a hash of the level above.
            tile_level = level >> 3
            below = tile_level - 1
            base = TILE_HEIGHT * below
            full.append(
                FullTile(
                    below,
                    index >> (TILE_HEIGHT * tile_level),
                    b"".join(rows[below]),
                    b"".join(b"".join(inner[base + r]) for r in range(1, TILE_HEIGHT)),
                )
            )
            rows[below] = []
            for r in range(1, TILE_HEIGHT):
                inner[base + r] = []
            if tile_level == len(rows):
                rows.append([])
                inner.extend([] for _ in range(TILE_HEIGHT))
            rows[tile_level].append(h)
            touched.add(tile_level)
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

    def partial_inner(self, tile_level: int) -> bytes:
        """The inner nodes of the partial tile of ``tile_level``, by height, left to right."""
        if tile_level >= len(self.rows):
            return b""
        base = TILE_HEIGHT * tile_level
        return b"".join(b"".join(self.inner[base + r]) for r in range(1, TILE_HEIGHT))

    @classmethod
    def from_partials(cls, size: int, partials: dict[int, tuple[bytes, bytes]]) -> Edge:
        """The edge of a tree of ``size`` leaves from its partial tiles (tile level -> (hashes, inner)).

        Raises :class:`TileError` if a partial tile is missing or has the wrong width.
        """
        top = 0
        while size >> (TILE_HEIGHT * (top + 1)):
            top += 1
        rows: list[list[bytes]] = [[] for _ in range(top + 1)]
        inner: list[list[bytes]] = [[] for _ in range(TILE_HEIGHT * (top + 1))]
        stack: list[tuple[int, bytes]] = []
        for tile_level in range(top, -1, -1):
            width = partial_width(size, tile_level)
            data, nodes = partials.get(tile_level, (b"", b"")) if width else (b"", b"")
            if len(data) != width * HASH_SIZE or len(nodes) != inner_count(width) * HASH_SIZE:
                raise TileError(
                    f"the partial tile at level {tile_level} holds {len(data) // HASH_SIZE} hashes "
                    f"and {len(nodes) // HASH_SIZE} inner nodes, not {width} and {inner_count(width)}"
                )
            rows[tile_level] = _split(data)
            base = TILE_HEIGHT * tile_level
            for r in range(1, TILE_HEIGHT):
                start = inner_offset(width, r) * HASH_SIZE
                inner[base + r] = _split(nodes[start : start + (width >> r) * HASH_SIZE])
            for r in range(TILE_HEIGHT - 1, -1, -1):
                if width >> r & 1:
                    row = rows[tile_level] if r == 0 else inner[base + r]
                    stack.append((base + r, row[(width >> r) - 1]))
        return cls(size, stack, rows, inner)


def _split(data: bytes) -> list[bytes]:
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
