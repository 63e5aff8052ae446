"""The right edge an appender keeps: the tiles it hands out and the roots it gives are pymerkle's
(an independent RFC 6962 implementation) on the same entries, and an edge rebuilt from the stored
partial tiles continues exactly as the one that wrote them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.audit.merkle import empty_root, leaf_hash, root_from_leaf_hashes
from exchange.audit.tile_edge import Edge, FullTile, inner_offset
from exchange.audit.tiles import Tile, TileError, full_tiles, levels, partial_width
from tests.unit.audit.test_tiles import BIG, ENTRIES, Pymerkle

HASHES = [leaf_hash(e) for e in ENTRIES]


@pytest.fixture(scope="module")
def ref() -> Pymerkle:
    return Pymerkle()


def partials_of(edge: Edge, size: int) -> dict[int, tuple[bytes, bytes]]:
    return {level: (edge.partial(level), edge.partial_inner(level)) for level in levels(size)}


def grow(edge: Edge, start: int, end: int) -> tuple[list[FullTile], set[int]]:
    full: list[FullTile] = []
    touched: set[int] = set()
    for h in HASHES[start:end]:
        edge.add(h, full, touched)
    return full, touched


def test_every_tile_of_a_grown_tree_is_pymerkles(ref: Pymerkle) -> None:
    """Grown leaf by leaf to 65,539 entries, the edge hands out each full tile once, in order, as
    pymerkle computes it, and its partial tiles and root are pymerkle's."""
    edge = Edge()
    full, _ = grow(edge, 0, BIG)
    assert [(t.level, t.index) for t in full] == [(0, i) for i in range(256)] + [(1, 0)]
    for t in full:
        assert t.hashes == ref.tile(Tile(t.level, t.index)), (t.level, t.index)
        hashes = [t.hashes[i : i + 32] for i in range(0, len(t.hashes), 32)]
        inner = [t.inner[i : i + 32] for i in range(0, len(t.inner), 32)]
        assert len(inner) == 254
        for r in range(1, 8):  # each inner node is the root of its 2^r hashes
            for j in (0, (256 >> r) - 1):
                assert inner[inner_offset(256, r) + j] == root_from_leaf_hashes(hashes[j << r : (j + 1) << r])
    for level in levels(BIG):
        width = partial_width(BIG, level)
        expected = ref.tile(Tile(level, full_tiles(BIG, level), width)) if width else b""
        assert edge.partial(level) == expected
    assert edge.root() == ref.root(BIG)
    assert Edge().root() == empty_root()


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=BIG - 300), st.integers(min_value=1, max_value=300))
def test_an_edge_rebuilt_from_partial_tiles_continues_the_same(size: int, more: int) -> None:
    """From the partial tiles of a tree of any size, the rebuilt edge has the same root, and grows
    on with the same tiles and root as the edge that never stopped."""
    edge = Edge()
    grow(edge, 0, size)
    rebuilt = Edge.from_partials(size, partials_of(edge, size))
    assert rebuilt.root() == edge.root()
    a, b = grow(edge, size, size + more), grow(rebuilt, size, size + more)
    assert a == b and rebuilt.root() == edge.root()
    assert all(rebuilt.partial(level) == edge.partial(level) for level in levels(size + more))


def test_tampered_partial_tiles_are_refused_or_change_the_root(ref: Pymerkle) -> None:
    """A partial tile of the wrong width, or a missing one, is refused; a changed hash in one gives
    another root, which the appender compares with the head."""
    size = 60_000
    edge = Edge()
    grow(edge, 0, size)
    partials = partials_of(edge, size)
    with pytest.raises(TileError, match="at level 0 holds 95 hashes and 94 inner nodes, not 96 and 94"):
        Edge.from_partials(size, {**partials, 0: (partials[0][0][:-32], partials[0][1])})
    with pytest.raises(TileError, match="at level 1 holds 0 hashes and 0 inner nodes, not 234 and 229"):
        Edge.from_partials(size, {0: partials[0]})
    flipped = bytearray(partials[1][1])
    flipped[-1] ^= 1  # the last inner node of the largest height: a subtree of the root's split
    assert Edge.from_partials(size, {**partials, 1: (partials[1][0], bytes(flipped))}).root() != ref.root(
        size
    )
    assert Edge.from_partials(size, partials).root() == ref.root(size)
