"""The right edge an appender keeps: the tiles it hands out and the roots it gives are pymerkle's
(an independent RFC 6962 implementation) on the same entries, and an edge rebuilt from the stored
partial tiles continues exactly as the one that wrote them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.audit.merkle import empty_root, leaf_hash
from exchange.audit.tile_edge import Edge, FullTile
from exchange.audit.tiles import Tile, TileError, full_tiles, levels, partial_width
from tests.unit.audit.test_tiles import BIG, ENTRIES, Pymerkle

HASHES = [leaf_hash(e) for e in ENTRIES]


@pytest.fixture(scope="module")
def ref() -> Pymerkle:
    return Pymerkle()


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
    rebuilt = Edge.from_partials(size, {level: edge.partial(level) for level in levels(size)})
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
    partials = {level: edge.partial(level) for level in levels(size)}
    with pytest.raises(TileError, match="at level 0 holds 95 hashes, not 96"):
        Edge.from_partials(size, {**partials, 0: partials[0][:-32]})
    with pytest.raises(TileError, match="at level 1 holds 0 hashes, not 234"):
        Edge.from_partials(size, {0: partials[0]})
    flipped = bytearray(partials[1])
    flipped[40] ^= 1
    assert Edge.from_partials(size, {**partials, 1: bytes(flipped)}).root() != ref.root(size)
    assert Edge.from_partials(size, partials).root() == ref.root(size)
