"""The tile vectors (tests/vectors/tiles-v1.json): every known answer recomputed with this code base and,
independently, with pymerkle (an RFC 6962 implementation of its own); every tampered tile refused by
the check the vector names, while the same check passes on the honest tiles."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from pymerkle import InmemoryTree

from exchange.audit.merkle import HASH_SIZE, leaf_hash
from exchange.audit.tile_edge import Edge, FullTile
from exchange.audit.tiles import (
    TILE_WIDTH,
    Tile,
    TileError,
    TilePathError,
    check_child,
    check_root,
    encode_index,
    parse_tile_path,
    partial_tiles,
    root_from_tiles,
    split,
    tile_hash,
    tiles_of,
)

VECTORS = Path(__file__).parents[2] / "vectors" / "tiles-v1.json"
V: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
TREES: list[dict[str, Any]] = V["trees"]
SIZES = [t["size"] for t in TREES]
LARGEST = max(SIZES)
ENTRIES = [V["leaves"]["entry_format"].format(i=i).encode() for i in range(LARGEST)]
#: size -> tile level -> (hashes, inner nodes) of the tree's partial tile, as the vectors give them.
Partials = dict[int, tuple[bytes, bytes]]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def vector_partials(tree: dict[str, Any]) -> Partials:
    return {
        p["level"]: (base64.b64decode(p["hashes"]), base64.b64decode(p["inner"])) for p in tree["partial"]
    }


class Ours:
    """The tree of the vectors' entries as this code base grows it: full tiles, and per size of the
    vectors its partial tiles, their inner nodes and its root."""

    def __init__(self) -> None:
        edge = Edge()
        full: list[FullTile] = []
        touched: set[int] = set()
        self.roots: dict[int, bytes] = {}
        self.partials: dict[int, Partials] = {}
        for e in ENTRIES:
            edge.add(leaf_hash(e), full, touched)
            if edge.size in SIZES:
                self.roots[edge.size] = edge.root()
                self.partials[edge.size] = {
                    t.level: (edge.partial(t.level), edge.partial_inner(t.level))
                    for t in partial_tiles(edge.size)
                }
        self.full = {Tile(t.level, t.index): t.hashes for t in full}

    def tiles(self, size: int) -> dict[Tile, bytes]:
        """Every tile of the tree of ``size`` entries, as served."""
        return {t: self.partials[size][t.level][0] if t.partial else self.full[t] for t in tiles_of(size)}


class Pymerkle:
    """Every hash of every tile level of the largest tree, computed by pymerkle alone."""

    def __init__(self) -> None:
        self.tree = InmemoryTree.init_from_entries(ENTRIES, algorithm="sha256")
        level1 = [
            bytes(InmemoryTree.init_from_entries(ENTRIES[k : k + TILE_WIDTH], algorithm="sha256").get_root())
            for k in range(0, LARGEST - TILE_WIDTH + 1, TILE_WIDTH)
        ]
        assert TILE_WIDTH**2 <= LARGEST < 2 * TILE_WIDTH**2  # level 2 holds one hash: MTH(D[0:65536])
        self.levels = [
            [bytes(self.tree.get_leaf(i + 1)) for i in range(LARGEST)],
            level1,
            [bytes(self.tree.get_root(TILE_WIDTH**2))],
        ]

    def root(self, size: int) -> bytes:
        return bytes(self.tree.get_root(size))

    def tile(self, tile: Tile) -> bytes:
        start = tile.index * TILE_WIDTH
        return b"".join(self.levels[tile.level][start : start + tile.width])


@pytest.fixture(scope="module")
def ours() -> Ours:
    return Ours()


@pytest.fixture(scope="module")
def ref() -> Pymerkle:
    return Pymerkle()


def test_the_file_is_what_the_generator_writes() -> None:
    """Regenerating the vectors gives the committed file byte for byte."""
    from tests.vectors.generate_tiles import vectors

    assert json.dumps(vectors(), indent=2, ensure_ascii=False) + "\n" == VECTORS.read_text(encoding="utf-8")


def test_the_entries_are_as_documented() -> None:
    """Entry i is the UTF-8 text 'exchange tiles-v1 entry <i>'; the sizes cover each tile boundary."""
    assert ENTRIES[0] == b"exchange tiles-v1 entry 0" and ENTRIES[65536] == b"exchange tiles-v1 entry 65536"
    assert SIZES == [1, 255, 256, 257, 511, 512, 65535, 65536, 65537, 70000]


@pytest.mark.parametrize("tree", TREES, ids=lambda t: str(t["size"]))
def test_each_tree_is_ours(ours: Ours, tree: dict[str, Any]) -> None:
    """Per size: the tile paths, the partial tiles and their inner nodes and the root are what this
    code computes; the partial tiles alone give the root, and rebuild the appender's edge."""
    size, root = tree["size"], bytes.fromhex(tree["root"])
    assert [t.path() for t in tiles_of(size)] == tree["tiles"]
    assert [parse_tile_path(p).path() for p in tree["tiles"]] == tree["tiles"]
    edge = [t.path() for t in partial_tiles(size)]
    assert [p["path"] for p in tree["partial"]] == edge
    for p in tree["partial"]:
        tile = parse_tile_path(p["path"])
        assert (tile.level, tile.index, tile.width) == (p["level"], p["index"], p["width"])
        assert sha(base64.b64decode(p["hashes"])) == p["sha256"]
    partials = vector_partials(tree)
    assert partials == ours.partials[size]
    assert ours.roots[size] == root
    only_edge = {parse_tile_path(p["path"]): base64.b64decode(p["hashes"]) for p in tree["partial"]}
    assert root_from_tiles(size, size, only_edge.__getitem__) == root  # no full tile is read
    check_root(size, root, size, ours.tiles(size).__getitem__)
    assert Edge.from_partials(size, partials).root() == root


def test_the_full_tiles_are_ours(ours: Ours) -> None:
    """The digest of each full tile is that of the tile this code computes, and each full tile hashes
    to its entry in the tile above; every smaller tree's full tiles are among them."""
    assert [f["path"] for f in V["full_tiles"]] == [t.path() for t in tiles_of(LARGEST) if not t.partial]
    assert {f["path"]: f["sha256"] for f in V["full_tiles"]} == {
        t.path(): sha(d) for t, d in ours.full.items()
    }
    tiles = ours.tiles(LARGEST)
    by_place = {(t.level, t.index): t for t in tiles}
    for tile in ours.full:
        level, index, _ = tile.parent()
        parent = by_place[(level, index)]
        check_child(tile, tiles[tile], parent, tiles[parent])
    full_paths = {f["path"] for f in V["full_tiles"]}
    for tree in TREES:
        assert {p for p in tree["tiles"] if ".p/" not in p} <= full_paths


def test_the_largest_trees_tiles_give_every_older_root(ours: Ours) -> None:
    """The root of every smaller size, from the tiles of the largest tree; and every older partial tile
    is the first hashes of the tile at its place in the largest tree."""
    tiles = ours.tiles(LARGEST)
    by_place = {(t.level, t.index): d for t, d in tiles.items()}
    for tree in TREES:
        assert root_from_tiles(tree["size"], LARGEST, tiles.__getitem__).hex() == tree["root"]
        for p in tree["partial"]:
            data = base64.b64decode(p["hashes"])
            assert by_place[(p["level"], p["index"])][: len(data)] == data


def test_pymerkle_gives_the_same_roots_and_tiles(ref: Pymerkle) -> None:
    """pymerkle, independently of this code, computes each root, each partial tile and each full tile
    (level 0: leaf hashes; level 1: the root of 256 entries; level 2: the root of 65,536) as given."""
    for tree in TREES:
        assert ref.root(tree["size"]).hex() == tree["root"]
        for p in tree["partial"]:
            assert ref.tile(Tile(p["level"], p["index"], p["width"])) == base64.b64decode(p["hashes"])
    for f in V["full_tiles"]:
        assert sha(ref.tile(parse_tile_path(f["path"]))) == f["sha256"], f["path"]


@pytest.mark.parametrize("case", V["paths"]["encode"], ids=lambda c: str(c["index"]))
def test_index_encoding(case: dict[str, Any]) -> None:
    assert encode_index(case["index"]) == case["element"]
    assert parse_tile_path(f"tile/0/{case['element']}") == Tile(0, case["index"])


@pytest.mark.parametrize("case", V["paths"]["valid"], ids=lambda c: c["path"])
def test_valid_paths(case: dict[str, Any]) -> None:
    tile = parse_tile_path(case["path"])
    assert (tile.level, tile.index, tile.width) == (case["level"], case["index"], case["width"])
    assert tile.path() == case["path"]


@pytest.mark.parametrize("case", V["paths"]["invalid"], ids=lambda c: c["path"])
def test_invalid_paths_are_refused(case: dict[str, Any]) -> None:
    with pytest.raises(TilePathError, match=case["want_err"]):
        parse_tile_path(case["path"])


def edited(data: bytes, edit: dict[str, Any]) -> bytes:
    if "flip" in edit:
        at = edit["flip"]
        return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
    if "truncate" in edit:
        return data[: edit["truncate"]]
    return data + bytes.fromhex(edit["append"])


def tampered(ours: Ours, case: dict[str, Any], edits: bool) -> tuple[dict[Tile, bytes], Partials]:
    """The tiles of the case's tree, and its partial tiles as stored, with (or without) its edits."""
    size = case["size"]
    tiles = ours.tiles(size)
    inner = {t: ours.partials[size][t.level][1] for t in partial_tiles(size)}
    for edit in case["edits"] if edits else []:
        tile = parse_tile_path(edit["path"])
        if edit.get("drop"):
            del tiles[tile]
            continue
        target = inner if edit.get("inner") else tiles
        target[tile] = edited(target[tile], edit)
        assert sha(target[tile]) == edit["sha256"]
    return tiles, {t.level: (tiles[t], inner[t]) for t in partial_tiles(size) if t in tiles}


def run(case: dict[str, Any], tiles: dict[Tile, bytes], partials: Partials) -> bytes | None:
    """Apply the case's check; for ``edge_root``, return the rebuilt edge's root."""
    check, size = case["check"], case["size"]
    if check == "check_root":
        check_root(case["old_size"], bytes.fromhex(case["root"]), size, tiles.__getitem__)
    elif check == "split":
        tile = parse_tile_path(case["path"])
        assert len(split(tile, tiles[tile])) == tile.width
    elif check == "check_child":
        child, parent = parse_tile_path(case["child"]), parse_tile_path(case["parent"])
        check_child(child, tiles[child], parent, tiles[parent])
    elif check == "tile_hash":
        tile = parse_tile_path(case["path"])
        assert len(tile_hash(tile, tiles[tile])) == HASH_SIZE
    elif check == "from_partials":
        Edge.from_partials(size, partials)
    elif check == "edge_root":
        return Edge.from_partials(size, partials).root()
    else:
        raise AssertionError(f"unknown check {check}")
    return None


@pytest.mark.parametrize("case", V["tampered"], ids=lambda c: c["name"])
def test_tampered_tiles_are_refused(ours: Ours, case: dict[str, Any]) -> None:
    """Each tampered vector is refused by its check, naming what is wrong; with the edits undone,
    the same check passes (cases without edits name a request the honest tree cannot answer)."""
    tiles, partials = tampered(ours, case, edits=True)
    if case["check"] == "edge_root":
        assert case["want_err"] is None
        assert run(case, tiles, partials) != bytes.fromhex(case["root"])
        assert run(case, *tampered(ours, case, edits=False)) == bytes.fromhex(case["root"])
        return
    with pytest.raises(TileError, match=case["want_err"]):
        run(case, tiles, partials)
    if case["edits"]:
        run(case, *tampered(ours, case, edits=False))
