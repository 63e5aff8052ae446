"""Roots and proofs of the disclosure log from its stored hash tiles (RFC 9162 §2.1).

A complete subtree at tree level ``8·L + r`` is the MTH of ``2^r`` consecutive hashes of one tile of
level ``L`` (``exchange.audit.tiles``): a hash of the tile when ``r`` is 0, else one of the inner
nodes stored with it. Any root or proof needs the handful of tiles on its path, and no hashing:
they are fetched in one query, full tiles above level 0 through a cache (:mod:`exchange.storage.log_tiles`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy.orm import Session

from exchange.audit.merkle import (
    HASH_SIZE,
    SubtreeHash,
    consistency_proof,
    empty_root,
    inclusion_proof,
    node_hash,
    perfect_subtrees,
    split_point,
)
from exchange.audit.tile_edge import inner_offset
from exchange.audit.tiles import TILE_HEIGHT, TILE_WIDTH, levels
from exchange.errors import StorageError
from exchange.storage.log_tiles import Hashes, TileKey, load_tiles

_R_MASK = TILE_HEIGHT - 1
#: Where the inner nodes of each height begin in a tile of each width (see ``inner_offset``).
_INNER_OFFSETS = [
    [0] + [inner_offset(width, r) for r in range(1, TILE_HEIGHT)] for width in range(TILE_WIDTH + 1)
]


def tile_of(level: int, index: int) -> tuple[TileKey, int, int]:
    """Where complete subtree (level, index) lies: its tile, first position and width in it."""
    r = level & _R_MASK
    first = index << r
    return (level >> 3, first >> TILE_HEIGHT), first & (TILE_WIDTH - 1), 1 << r


class StoredSubtrees:
    """A subtree-hash oracle over the stored tiles, with the tiles it read kept per use."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.tiles: dict[TileKey, Hashes] = {}

    def prefetch(self, needed: list[tuple[int, int]]) -> None:
        """Fetch the tiles of every subtree in ``needed`` not yet read, in one query."""
        keys = [tile_of(level, index)[0] for level, index in needed]
        missing = [k for k in dict.fromkeys(keys) if k not in self.tiles]
        if missing:
            self.tiles.update(load_tiles(self.session, missing))

    def hash(self, level: int, index: int) -> bytes:
        r = level & _R_MASK
        first = index << r
        tile = self.tiles.get((level >> 3, first >> TILE_HEIGHT))
        pos = first & (TILE_WIDTH - 1)
        if tile is not None:
            hashes, inner = tile
            width = len(hashes) // HASH_SIZE
            if pos + (1 << r) <= width:
                if r == 0:
                    return hashes[pos * HASH_SIZE : (pos + 1) * HASH_SIZE]
                at = (_INNER_OFFSETS[width][r] + (pos >> r)) * HASH_SIZE
                return inner[at : at + HASH_SIZE]
        raise StorageError(f"the log is missing subtree {(level, index)}; run 'exchange log verify'")

    def __call__(self, start: int, end: int) -> bytes:
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            # One complete subtree, as most of a proof's siblings are: one stored hash.
            level = n.bit_length() - 1
            index = start >> level
            if tile_of(level, index)[0] not in self.tiles:
                self.prefetch([(level, index)])
            return self.hash(level, index)
        parts = perfect_subtrees(start, end)
        if any(tile_of(*p)[0] not in self.tiles for p in parts):
            self.prefetch(parts)
        return combine(start, end, iter([self.hash(*p) for p in parts]))


def root_at(session: Session, size: int) -> bytes:
    """MTH(D[0:size]) from the stored tiles."""
    return empty_root() if size == 0 else StoredSubtrees(session)(0, size)


def path_tiles(size: int, *leaves: int) -> list[TileKey]:
    """The tiles holding the ancestors of ``leaves`` in a tree of ``size`` entries, level by level.

    A proof's complete subtrees are siblings on the path of its leaf, which share their parent's
    tile, or lie on the right edge, in the tiles of the last leaf's ancestors.
    """
    return list(
        dict.fromkeys(
            (level, leaf >> (TILE_HEIGHT * (level + 1))) for leaf in leaves for level in levels(size)
        )
    )


def prove(
    session: Session, make: Callable[[SubtreeHash], list[bytes]], size: int, *leaves: int
) -> list[bytes]:
    """Fetch the tiles on the paths of ``leaves`` and the right edge in one query, then compute the
    proof; a subtree outside them (none is expected) is fetched when it is needed."""
    oracle = StoredSubtrees(session)
    oracle.tiles.update(load_tiles(session, path_tiles(size, *leaves, size - 1)))
    return make(oracle)


def prove_inclusion(session: Session, index: int, size: int) -> list[bytes]:
    return prove(session, lambda oracle: inclusion_proof(index, size, oracle), size, index)


def prove_consistency(session: Session, old_size: int, new_size: int) -> list[bytes]:
    if old_size == 0:
        return consistency_proof(old_size, new_size, StoredSubtrees(session))
    return prove(
        session, lambda oracle: consistency_proof(old_size, new_size, oracle), new_size, old_size - 1
    )


def combine(start: int, end: int, hashes: Iterator[bytes]) -> bytes:
    """Rebuild MTH(D[start:end]) from its perfect subtrees' hashes, in :func:`perfect_subtrees` order."""
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        return next(hashes)
    k = split_point(n)
    left = combine(start, start + k, hashes)
    return node_hash(left, combine(start + k, end, hashes))
