"""A full tile built in one go is the tile an edge grows leaf by leaf, and an edge given whole
tiles by their hash ends exactly as one given their leaves."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from exchange.audit.merkle import root_from_leaf_hashes
from exchange.audit.tile_build import full_tile_nodes, root_within
from exchange.audit.tile_edge import Edge, FullTile
from exchange.audit.tiles import TileError


def hashes(seed: int, n: int) -> list[bytes]:
    return [hashlib.sha256(f"{seed}/{i}".encode()).digest() for i in range(n)]


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_a_full_tile_built_in_one_go_is_the_edges(seed: int) -> None:
    """Inner nodes and tile hash equal those of Edge.add over the same 256 hashes (and the RFC's MTH)."""
    hs = hashes(seed, 256)
    edge, full = Edge(), []  # type: ignore[var-annotated]
    for h in hs:
        edge.add(h, full, set())
    (tile,) = full
    inner, tile_hash = full_tile_nodes(hs)
    assert (tile.hashes, tile.inner) == (b"".join(hs), inner)
    assert tile_hash == edge.rows[1][0] == root_from_leaf_hashes(hs)


def test_a_full_tile_is_256_hashes_of_32_bytes() -> None:
    hs = hashes(0, 256)
    with pytest.raises(ValueError, match="256 hashes of 32 bytes"):
        full_tile_nodes(hs[:255])
    with pytest.raises(ValueError, match="256 hashes of 32 bytes"):
        full_tile_nodes([*hs[:255], hs[255][:31]])


@settings(max_examples=20, deadline=None)
@given(
    tiles=st.integers(min_value=0, max_value=258),
    whole=st.lists(st.booleans(), min_size=1, max_size=8),
    tail=st.integers(min_value=0, max_value=255),
)
@example(tiles=256, whole=[True], tail=0)  # the 256th whole tile completes tile 1/0
@example(tiles=257, whole=[False, True], tail=3)
def test_an_edge_given_whole_tiles_ends_as_one_given_their_leaves(
    tiles: int, whole: list[bool], tail: int
) -> None:
    """Tiles added whole (in any mix with leaf-by-leaf ones) leave the same compact range, partial
    tiles, size and root, and hand out the same tiles above level 0."""
    hs = hashes(tiles, tiles * 256 + tail)
    ref, ref_full = Edge(), []  # type: ignore[var-annotated]
    for h in hs:
        ref.add(h, ref_full, set())
    edge, full = Edge(), []  # type: ignore[var-annotated]
    touched: set[int] = set()
    added_whole = set()
    for t in range(tiles):
        tile = hs[256 * t : 256 * t + 256]
        if whole[t % len(whole)]:
            edge.add_tile(full_tile_nodes(tile)[1], full, touched)
            added_whole.add(t)
        else:
            for h in tile:
                edge.add(h, full, touched)
    for h in hs[256 * tiles :]:
        edge.add(h, full, touched)
    assert (edge.size, edge.stack, edge.rows, edge.inner) == (ref.size, ref.stack, ref.rows, ref.inner)
    assert edge.root() == ref.root()
    expected: list[FullTile] = [t for t in ref_full if t.level or t.index not in added_whole]
    assert full == expected


def test_a_whole_tile_joins_only_a_tree_of_whole_tiles() -> None:
    edge = Edge()
    edge.add(hashes(0, 1)[0], [], set())
    with pytest.raises(TileError, match="1 leaves"):
        edge.add_tile(bytes(32), [], set())


@settings(max_examples=40, deadline=None)
@given(tiles=st.integers(min_value=0, max_value=6), width=st.integers(min_value=1, max_value=255))
def test_a_root_inside_a_tile_is_the_rfc_root(tiles: int, width: int) -> None:
    """The root at any size inside a whole tile, from the edge before it and the tile's nodes, is the MTH."""
    hs = hashes(width, 256 * (tiles + 1))
    edge = Edge()
    for h in hs[: 256 * tiles]:
        edge.add(h, [], set())
    inner, _ = full_tile_nodes(hs[256 * tiles :])
    got = root_within(edge.stack, b"".join(hs[256 * tiles :]), inner, width)
    assert got == root_from_leaf_hashes(hs[: 256 * tiles + width])
    with pytest.raises(ValueError, match="1 to 255"):
        root_within(edge.stack, b"".join(hs[256 * tiles :]), inner, 256)
