"""C2SP tlog-tiles hash tiles: paths, which tiles a tree has, and roots from tiles, checked against an
independent RFC 6962 implementation (pymerkle)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from exchange.audit.merkle import empty_root
from exchange.audit.tiles import (
    TILE_WIDTH,
    Tile,
    TileError,
    TilePathError,
    check_child,
    check_root,
    encode_index,
    full_tiles,
    hash_in,
    levels,
    parse_tile_path,
    partial_tiles,
    partial_width,
    root_from_tiles,
    split,
    subtree_hash,
    tile_at,
    tile_hash,
    tiles_of,
)

#: The largest tree the known answers use: two full levels of tiles and three more entries.
BIG = 65536 + 3
ENTRIES = [f"event-{i}".encode() for i in range(BIG)]


class Pymerkle:
    """Every hash of every tile level of the first BIG entries, computed by pymerkle alone."""

    def __init__(self) -> None:
        self.tree = InmemoryTree.init_from_entries(ENTRIES, algorithm="sha256")
        self.levels: list[list[bytes]] = [[self.tree.get_leaf(i + 1) for i in range(BIG)]]
        for level in (1, 2):
            span = TILE_WIDTH**level
            self.levels.append(
                [
                    InmemoryTree.init_from_entries(ENTRIES[k * span : (k + 1) * span]).get_root()
                    for k in range(BIG // span)
                ]
            )

    def root(self, size: int) -> bytes:
        return empty_root() if size == 0 else bytes(self.tree.get_root(size))

    def tile(self, tile: Tile) -> bytes:
        start = tile.index * TILE_WIDTH
        return b"".join(self.levels[tile.level][start : start + tile.width])

    def reader(self, size: int) -> dict[Tile, bytes]:
        """The tiles of a tree of ``size`` entries, as a log serves them."""
        return {t: self.tile(t) for t in tiles_of(size)}


@pytest.fixture(scope="module")
def ref() -> Pymerkle:
    return Pymerkle()


@pytest.mark.parametrize(
    ("index", "encoded"),
    [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_index_encoding_known_answers(index: int, encoded: str) -> None:
    """Tile indexes are zero-padded three-digit elements, all but the last prefixed with x."""
    assert encode_index(index) == encoded
    assert parse_tile_path(f"tile/3/{encoded}") == Tile(3, index)


def test_partial_tile_paths() -> None:
    """A partial tile's path ends in .p/<W>, and parses back to the same tile."""
    tile = Tile(1, 1234067, 17)
    assert tile.path() == "tile/1/x001/x234/067.p/17"
    assert parse_tile_path(tile.path()) == tile
    assert Tile(0, 0).path() == "tile/0/000"


@given(st.integers(0, 63), st.integers(0, 10**18), st.integers(1, 256))
def test_paths_round_trip(level: int, index: int, width: int) -> None:
    """Every tile's path parses back to that tile."""
    tile = Tile(level, index, width)
    assert parse_tile_path(tile.path()) == tile


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("tiles/0/000", "not a tile path"),
        ("tile/0", "not a tile path"),
        ("tile/entries/000", "tile level"),
        ("tile/00/000", "tile level"),
        ("tile/64/000", "tile level"),
        ("tile/-1/000", "tile level"),
        ("tile/0/1", "three-digit"),
        ("tile/0/00a", "three-digit"),
        ("tile/0/x001", "three-digit"),
        ("tile/0/001/002", "three-digit"),
        ("tile/0/x001/x002", "three-digit"),
        ("tile/0/000.p", "three-digit"),
        ("tile/0/000/.p/5", "three-digit"),
        ("tile/0/x000/001", "leading x000"),
        ("tile/0/000.p/0", "partial width"),
        ("tile/0/000.p/256", "partial width"),
        ("tile/0/000.p/05", "partial width"),
        ("tile/0/000.p/x", "partial width"),
        ("tile/0/" + "x001/" * 7 + "000", "too many"),
    ],
)
def test_malformed_paths_are_refused(path: str, error: str) -> None:
    """A path in any other spelling than the one C2SP gives is refused, saying what is wrong."""
    with pytest.raises(TilePathError, match=error):
        parse_tile_path(path)


@pytest.mark.parametrize(
    ("level", "index", "width", "error"),
    [(64, 0, 256, "level"), (0, -1, 256, "index"), (0, 0, 0, "1 to 256"), (0, 0, 257, "1 to 256")],
)
def test_impossible_tiles_are_refused(level: int, index: int, width: int, error: str) -> None:
    """A tile outside the ranges C2SP allows cannot be made."""
    with pytest.raises(TilePathError, match=error):
        Tile(level, index, width)
    with pytest.raises(TilePathError, match="0 or more"):
        encode_index(-1)


def test_which_tiles_a_tree_has() -> None:
    """The example of c2sp.org/tlog-tiles: 70,000 entries are 273 full level 0 tiles, a partial one of
    112, one full level 1 tile, a partial one of 17, and a partial level 2 tile of 1."""
    tiles = list(tiles_of(70_000))
    assert tiles[:273] == [Tile(0, i) for i in range(273)]
    assert tiles[273:] == [Tile(0, 273, 112), Tile(1, 0), Tile(1, 1, 17), Tile(2, 0, 1)]
    assert partial_tiles(70_000) == [Tile(0, 273, 112), Tile(1, 1, 17), Tile(2, 0, 1)]
    assert list(tiles_of(256)) == [Tile(0, 0), Tile(1, 0, 1)]
    assert list(tiles_of(0)) == [] and list(levels(0)) == []
    assert (full_tiles(70_000, 0), partial_width(70_000, 0)) == (273, 112)
    assert tile_at(70_000, 0, 274) is None and tile_at(256, 0, 1) is None


@pytest.mark.parametrize("size", [1, 2, 3, 255, 256, 257, 511, 512, 1000, 65535, 65536, BIG])
def test_roots_from_tiles_equal_pymerkle(ref: Pymerkle, size: int) -> None:
    """The root of a tree, from its tiles, is pymerkle's root of the same entries."""
    tiles = ref.reader(size)
    assert root_from_tiles(size, size, tiles.__getitem__) == ref.root(size)
    check_root(size, ref.root(size), size, tiles.__getitem__)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_prefix_root_from_a_larger_trees_tiles(ref: Pymerkle, data: st.DataObject) -> None:
    """The tiles of a tree of n entries give pymerkle's root of every size m <= n: an older
    checkpoint is checked against the newer tree's tiles."""
    size = data.draw(st.one_of(st.integers(1, 3000), st.integers(1, BIG)), label="size")
    old = data.draw(st.integers(0, size), label="old")
    tiles = ref.reader(size)
    assert root_from_tiles(old, size, tiles.__getitem__) == ref.root(old)


def test_full_tiles_hash_to_their_entry_above(ref: Pymerkle) -> None:
    """Each full tile's MTH is its hash in the tile level above, which pymerkle computed alone."""
    tiles = ref.reader(BIG)
    for tile in (Tile(0, 0), Tile(0, 255), Tile(1, 0)):
        level, index, position = tile.parent()
        parent = tile_at(BIG, level, index)
        assert parent is not None
        check_child(tile, tiles[tile], parent, tiles[parent])
        assert tile_hash(tile, tiles[tile]) == hash_in(parent, tiles[parent], position)
    assert subtree_hash(BIG, 16, 0, tiles.__getitem__) == ref.root(65536)


def flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


@pytest.mark.parametrize("size", [257, 1000, BIG])
def test_a_flipped_byte_is_refused(ref: Pymerkle, size: int) -> None:
    """One flipped bit in the partial tile at the right edge changes the root: refused."""
    tiles = ref.reader(size)
    edge = partial_tiles(size)[0]
    tiles[edge] = flipped(tiles[edge], 5)
    with pytest.raises(TileError, match=f"signed root of the tree of {size} entries"):
        check_root(size, ref.root(size), size, tiles.__getitem__)


def test_a_flipped_byte_in_a_full_tile_breaks_its_link_above(ref: Pymerkle) -> None:
    """A full tile with one flipped bit no longer hashes to its entry in the level above."""
    tiles = ref.reader(BIG)
    with pytest.raises(TileError, match="does not hash to hash 3 of tile/1/000"):
        check_child(Tile(0, 3), flipped(tiles[Tile(0, 3)], 100), Tile(1, 0), tiles[Tile(1, 0)])
    with pytest.raises(TileError, match="is not the tile above"):
        check_child(Tile(0, 3), tiles[Tile(0, 3)], Tile(1, 1, 3), tiles[Tile(1, 0)][: 3 * 32])


def test_short_or_wrong_width_tiles_are_refused(ref: Pymerkle) -> None:
    """A tile one byte short, or of another width than the tree has, is refused by its length."""
    tiles = ref.reader(1000)
    edge = Tile(0, 3, 232)
    with pytest.raises(TileError, match=r"tile/0/003\.p/232 must be 7424 bytes .* not 7423"):
        split(edge, tiles[edge][:-1])
    tiles[edge] = tiles[edge] + bytes(32)
    with pytest.raises(TileError, match="must be 7424 bytes"):
        root_from_tiles(1000, 1000, tiles.__getitem__)
    with pytest.raises(TileError, match="is partial"):
        tile_hash(edge, tiles[edge][:-32])
    with pytest.raises(TileError, match="no hash at position 232"):
        hash_in(edge, tiles[edge][:-32], 232)


def test_sizes_the_tiles_do_not_have_are_refused(ref: Pymerkle) -> None:
    """A root beyond the tree, or a tile it lacks, is refused rather than guessed."""
    tiles = ref.reader(300)
    with pytest.raises(TileError, match="no prefix of 301"):
        root_from_tiles(301, 300, tiles.__getitem__)
    with pytest.raises(TileError, match="no tile 0/2"):
        subtree_hash(300, 0, 512, tiles.__getitem__)
    with pytest.raises(TileError, match="no complete subtree 3/37"):
        subtree_hash(300, 3, 37, tiles.__getitem__)
