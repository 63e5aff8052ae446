"""Write tests/vectors/tiles-v1.json: the log's tree as C2SP tlog-tiles hash tiles (c2sp.org/tlog-tiles)
for trees of several sizes, tile path spellings, and tampered tiles with the check that refuses them.
Run once; the file is committed. Everything in it is a function of the entries, so a rerun writes the
same bytes.

    python -m tests.vectors.generate_tiles

Entry ``i`` (from 0) is the UTF-8 bytes of ``ENTRY.format(i=i)``, ``i`` in decimal without padding:
``exchange tiles-v1 entry 0``, ``exchange tiles-v1 entry 1``, ... Its leaf hash is the RFC 9162 leaf
hash SHA-256(0x00 || entry). The tests (tests/unit/audit/test_tile_vectors.py) recompute every answer
with this code base and, independently, with the ``pymerkle`` package.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from exchange.audit.merkle import HASH_SIZE, leaf_hash
from exchange.audit.tile_edge import Edge, FullTile
from exchange.audit.tiles import Tile, encode_index, partial_tiles, tiles_of

HERE = Path(__file__).parent
ENTRY = "exchange tiles-v1 entry {i}"
#: Tree sizes around each boundary of the layout: one tile, a full level-0 tile, the first hash of
#: level 1, a full level-1 tile (65536 = 256^2) and the first hash of level 2, and the example of
#: c2sp.org/tlog-tiles (70,000).
SIZES = [1, 255, 256, 257, 511, 512, 65535, 65536, 65537, 70000]
LARGEST = SIZES[-1]

#: Index -> ``<N>``; the last is 2^64 - 1, the largest index of a 64-bit tree (seven elements).
INDEXES = [0, 5, 7, 273, 999, 1000, 1001, 999_999, 1_000_000, 1_234_067, 2**64 - 1]
#: (level, index, width) of paths that parse; width 256 is a full tile.
VALID = [(0, 0, 256), (0, 273, 112), (1, 1, 17), (2, 0, 1), (3, 1_234_067, 256), (1, 1_234_067, 17),
         (63, 1000, 255), (10, 2**64 - 1, 1)]  # fmt: skip
#: Spellings ``parse_tile_path`` refuses, with a regular expression its error matches.
INVALID = [
    ("tiles/0/000", "not a tile path"),
    ("tile/0", "not a tile path"),
    ("tile/entries/000", "tile level"),
    ("tile/00/000", "tile level"),
    ("tile/01/000", "tile level"),
    ("tile/64/000", "tile level"),
    ("tile/-1/000", "tile level"),
    ("tile/0/1", "three-digit"),
    ("tile/0/01", "three-digit"),
    ("tile/0/0001", "three-digit"),
    ("tile/0/00a", "three-digit"),
    ("tile/0/x001", "three-digit"),
    ("tile/0/001/002", "three-digit"),
    ("tile/0/x001/x002", "three-digit"),
    ("tile/0/X001/000", "three-digit"),
    ("tile/0/000.p", "three-digit"),
    ("tile/0/000/.p/5", "three-digit"),
    ("tile/0/x000/001", "leading x000"),
    ("tile/0/x000/x001/000", "leading x000"),
    ("tile/0/000.p/0", "partial width"),
    ("tile/0/000.p/256", "partial width"),
    ("tile/0/000.p/05", "partial width"),
    ("tile/0/000.p/x", "partial width"),
    ("tile/0/" + "x001/" * 7 + "000", "too many"),
]

FORMAT = """\
Every hash and root is lowercase hex unless said otherwise; tile bytes are standard base64 with padding.
'leaves': entry i (from 0) is the UTF-8 bytes of entry_format with i in decimal; leaf hash
SHA-256(0x00 || entry) (RFC 9162 2.1.1). 'trees': for each size, 'root' (RFC 9162 MTH of the first
size entries), 'tiles' (every tile path the tree holds, as served: per level, the full tiles, then the
partial one) and 'partial' (each partial tile at the right edge: 'hashes' the tile's bytes as served,
'sha256' their digest, and 'inner' its inner nodes as stored beside it: the hashes of its complete
subtrees of 2, 4, ... 128 of its hashes, by height, then left to right). 'full_tiles': the SHA-256
digest of the bytes of every full tile of the largest tree; a full tile never changes, so these are
also the full tiles of every smaller tree. The partial tiles alone give a tree's root, and the tiles of
the largest tree give the root of every smaller size. 'paths': 'encode' index -> <N>, 'valid' paths
with what they name (width 256: a full tile), 'invalid' spellings with a regular expression the
refusal matches. 'tampered': the honest tiles of the tree of 'size' entries with 'edits' applied
(flip: XOR byte 'flip' with 0x01; truncate: keep the first 'truncate' bytes; append: add the hex
bytes; drop: the tile is absent; 'inner': true edits the stored inner nodes instead of the hashes;
'sha256': digest of the edited bytes), then refused by 'check' (functions of exchange.audit.tiles and
exchange.audit.tile_edge) with an error matching 'want_err'. 'check_root': check_root(old_size, root,
size, read) where read serves the edited tiles. 'split': split(tile of 'path', edited bytes).
'check_child': check_child(child, its bytes, parent, its bytes). 'tile_hash': tile_hash(tile of
'path', its bytes). 'from_partials': Edge.from_partials(size, edited partial tiles and inner nodes).
'edge_root': Edge.from_partials(...) succeeds but its root() is not 'root' (want_err null): the store
refuses such tiles (exchange/storage/log_append.py, load_edge)."""


def entry(i: int) -> bytes:
    return ENTRY.format(i=i).encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Tree:
    """The tiles of the largest tree and, per size of SIZES, its partial tiles, inner nodes and root."""

    def __init__(self) -> None:
        edge = Edge()
        self.full: list[FullTile] = []
        touched: set[int] = set()
        self.roots: dict[int, bytes] = {}
        #: size -> tile level -> (hashes, inner nodes) of its partial tile
        self.partials: dict[int, dict[int, tuple[bytes, bytes]]] = {}
        for i in range(LARGEST):
            edge.add(leaf_hash(entry(i)), self.full, touched)
            if edge.size in SIZES:
                self.roots[edge.size] = edge.root()
                self.partials[edge.size] = {
                    t.level: (edge.partial(t.level), edge.partial_inner(t.level))
                    for t in partial_tiles(edge.size)
                }
        self.full_bytes = {Tile(t.level, t.index): t.hashes for t in self.full}

    def tiles(self, size: int) -> dict[Tile, bytes]:
        """Every tile of the tree of ``size`` entries, as served."""
        partial = self.partials[size]
        return {t: partial[t.level][0] if t.partial else self.full_bytes[t] for t in tiles_of(size)}


def tree_vectors(tree: Tree) -> list[dict[str, object]]:
    return [
        {
            "size": size,
            "root": tree.roots[size].hex(),
            "tiles": [t.path() for t in tiles_of(size)],
            "partial": [
                {
                    "path": t.path(),
                    "level": t.level,
                    "index": t.index,
                    "width": t.width,
                    "hashes": b64(tree.partials[size][t.level][0]),
                    "sha256": sha(tree.partials[size][t.level][0]),
                    "inner": b64(tree.partials[size][t.level][1]),
                }
                for t in partial_tiles(size)
            ],
        }
        for size in SIZES
    ]


def path_vectors() -> dict[str, object]:
    return {
        "encode": [{"index": i, "element": encode_index(i)} for i in INDEXES],
        "valid": [
            {"path": Tile(level, index, width).path(), "level": level, "index": index, "width": width}
            for level, index, width in VALID
        ],
        "invalid": [{"path": p, "want_err": e} for p, e in INVALID],
    }


def _edited(data: bytes, edit: dict[str, object]) -> bytes:
    if "flip" in edit:
        at = int(str(edit["flip"]))
        return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
    if "truncate" in edit:
        return data[: int(str(edit["truncate"]))]
    if "append" in edit:
        return data + bytes.fromhex(str(edit["append"]))
    raise ValueError(f"unknown edit {edit}")


def _with_digests(tree: Tree, case: dict[str, object]) -> dict[str, object]:
    """Add to each edit the SHA-256 of the tile (or inner nodes) after it, so a reader can check it."""
    size = int(str(case["size"]))
    edits = case.get("edits", [])
    assert isinstance(edits, list)
    for edit in edits:
        if edit.get("drop"):
            continue
        tile = next(t for t in tiles_of(size) if t.path() == edit["path"])
        data = tree.partials[size][tile.level][1] if edit.get("inner") else tree.tiles(size)[tile]
        edit["sha256"] = sha(_edited(data, edit))
    return case


def tampered_vectors(tree: Tree) -> list[dict[str, object]]:
    n = LARGEST
    root = tree.roots[n].hex()
    p0, p1, p2 = (t.path() for t in partial_tiles(n))  # tile/0/273.p/112, tile/1/001.p/17, tile/2/000.p/1
    other = tree.roots[65537].hex()
    bad = (tree.roots[65537][:1] + bytes([tree.roots[65537][1] ^ 0x01]) + tree.roots[65537][2:]).hex()
    h = HASH_SIZE
    cases: list[dict[str, object]] = [
        {"name": "a partial level-0 tile with one hash changed", "check": "check_root", "size": n,
         "old_size": n, "root": root, "edits": [{"path": p0, "flip": 5 * h}],
         "want_err": f"the tiles do not give the signed root of the tree of {n} entries"},
        {"name": "the last hash of the partial level-1 tile changed", "check": "check_root", "size": n,
         "old_size": n, "root": root, "edits": [{"path": p1, "flip": 17 * h - 1}],
         "want_err": f"the tiles do not give the signed root of the tree of {n} entries"},
        {"name": "the partial level-2 tile changed", "check": "check_root", "size": n, "old_size": n,
         "root": root, "edits": [{"path": p2, "flip": 0}],
         "want_err": f"the tiles do not give the signed root of the tree of {n} entries"},
        {"name": "honest tiles, the root of another size", "check": "check_root", "size": n, "old_size": n,
         "root": other, "edits": [],
         "want_err": f"the tiles do not give the signed root of the tree of {n} entries"},
        {"name": "honest tiles, an older checkpoint's root with one bit changed", "check": "check_root",
         "size": n, "old_size": 65537, "root": bad, "edits": [],
         "want_err": "the tiles do not give the signed root of the tree of 65537 entries"},
        {"name": "a root of more entries than the tree has", "check": "check_root", "size": n,
         "old_size": n + 1, "root": root, "edits": [], "want_err": f"a tree of {n} entries has no prefix of {n + 1}"},
        {"name": "a partial tile one hash short", "check": "check_root", "size": n, "old_size": n,
         "root": root, "edits": [{"path": p0, "truncate": 111 * h}],
         "want_err": r"tile/0/273\.p/112 must be 3584 bytes \(112 hashes of 32\), not 3552"},
        {"name": "a partial tile one hash too wide", "check": "check_root", "size": n, "old_size": n,
         "root": root, "edits": [{"path": p1, "append": "00" * h}],
         "want_err": r"tile/1/001\.p/17 must be 544 bytes \(17 hashes of 32\), not 576"},
        {"name": "a full tile of the wrong width (255 hashes)", "check": "split", "size": n, "path": "tile/0/000",
         "edits": [{"path": "tile/0/000", "truncate": 255 * h}],
         "want_err": r"tile/0/000 must be 8192 bytes \(256 hashes of 32\), not 8160"},
        {"name": "a full tile one byte short", "check": "split", "size": n, "path": "tile/1/000",
         "edits": [{"path": "tile/1/000", "truncate": 256 * h - 1}],
         "want_err": r"tile/1/000 must be 8192 bytes \(256 hashes of 32\), not 8191"},
        {"name": "a level-1 hash that does not match the tile below", "check": "check_child", "size": n,
         "child": "tile/0/005", "parent": "tile/1/000", "edits": [{"path": "tile/1/000", "flip": 5 * h + 7}],
         "want_err": "tile/0/005 does not hash to hash 5 of tile/1/000"},
        {"name": "a full level-0 tile with one hash changed", "check": "check_child", "size": n,
         "child": "tile/0/200", "parent": "tile/1/000", "edits": [{"path": "tile/0/200", "flip": 100 * h}],
         "want_err": "tile/0/200 does not hash to hash 200 of tile/1/000"},
        {"name": "a full level-1 tile that does not match the partial level-2 tile", "check": "check_child",
         "size": n, "child": "tile/1/000", "parent": p2, "edits": [{"path": "tile/1/000", "flip": 8191}],
         "want_err": r"tile/1/000 does not hash to hash 0 of tile/2/000\.p/1"},
        {"name": "a full tile checked against a tile that is not above it", "check": "check_child",
         "size": n, "child": "tile/0/005", "parent": p1, "edits": [],
         "want_err": r"tile/1/001\.p/17 is not the tile above tile/0/005"},
        {"name": "a partial tile hashed into the level above", "check": "tile_hash", "size": n, "path": p0,
         "edits": [], "want_err": "is partial: a partial tile is never hashed into the level above"},
        {"name": "stored: a partial tile's inner nodes one short", "check": "from_partials", "size": n,
         "edits": [{"path": p0, "inner": True, "truncate": 108 * h}],
         "want_err": "the partial tile at level 0 holds 112 hashes and 108 inner nodes, not 112 and 109"},
        {"name": "stored: the partial level-1 tile missing", "check": "from_partials", "size": n,
         "edits": [{"path": p1, "drop": True}],
         "want_err": "the partial tile at level 1 holds 0 hashes and 0 inner nodes, not 17 and 15"},
        {"name": "stored: a partial tile one hash short", "check": "from_partials", "size": n,
         "edits": [{"path": p1, "truncate": 16 * h}],
         "want_err": "the partial tile at level 1 holds 16 hashes and 15 inner nodes, not 17 and 15"},
        # 112 = 64 + 32 + 16: the edge holds the inner nodes of heights 6, 5 and 4 that end the tile;
        # the last one of height 4 is inner node 56 + 28 + 14 + 7 - 1 = 104 (heights 1, 2 and 3 come first).
        {"name": "stored: an inner node on the right edge changed", "check": "edge_root", "size": n,
         "root": root, "edits": [{"path": p0, "inner": True, "flip": 104 * h}], "want_err": None},
        # 17 = 16 + 1: the last hash of the level-1 tile is itself a subtree of the root's split.
        {"name": "stored: the last hash of the partial level-1 tile changed", "check": "edge_root", "size": n,
         "root": root, "edits": [{"path": p1, "flip": 16 * h}], "want_err": None},
    ]  # fmt: skip
    return [_with_digests(tree, c) for c in cases]


def vectors() -> dict[str, object]:
    tree = Tree()
    largest = tree.tiles(LARGEST)
    return {
        "description": (
            "The disclosure log's tree as C2SP tlog-tiles hash tiles (c2sp.org/tlog-tiles): RFC 9162 "
            "SHA-256 hashes, 256 to a full tile; tile paths; tampered tiles. docs/specs/disclosure-log.md, "
            "'Tiles' and 'Storage'."
        ),
        "format": FORMAT.replace("\n", " "),
        "leaves": {"entry_format": ENTRY, "leaf_hash": "SHA-256(0x00 || entry)"},
        "trees": tree_vectors(tree),
        "full_tiles": [{"path": t.path(), "sha256": sha(d)} for t, d in largest.items() if not t.partial],
        "paths": path_vectors(),
        "tampered": tampered_vectors(tree),
    }


def main() -> None:
    path = HERE / "tiles-v1.json"
    path.write_text(json.dumps(vectors(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
