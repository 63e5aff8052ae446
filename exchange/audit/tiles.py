"""The disclosure log's Merkle tree as C2SP tlog-tiles hash tiles (c2sp.org/tlog-tiles, "Merkle Tree").

Pure: no storage, no I/O. A tile at level ``L`` with index ``N`` holds up to 256 consecutive Merkle
Tree Hashes at tree level ``8·L``: hash ``i`` is MTH(D[(N·256 + i)·256^L : (N·256 + i + 1)·256^L]),
so level 0 holds leaf hashes and each hash of level ``L + 1`` is the MTH of one *full* tile of level
``L``. A full tile is 256 hashes (8,192 bytes); the rightmost tile of a level is *partial* when the
tree's size is not a multiple of its span, with ``floor(size / 256^L) mod 256`` hashes, and is never
hashed into the level above. Tiles are named ``tile/<L>/<N>[.p/<W>]`` with ``N`` written as
zero-padded three-digit path elements, all but the last prefixed with ``x`` (1234067 is
``x001/x234/067``).

Given the tiles of a tree of ``n`` entries, :func:`root_from_tiles` computes the RFC 6962 / RFC 9162
§2.1 root of any size ``m <= n``: each complete subtree of the root's decomposition at tree level
``8·L + r`` is the MTH of ``2^r`` consecutive hashes of one level-``L`` tile. A reader of tiles
therefore needs no event to check a checkpoint, and learns nothing about the events.
Checks raise :class:`TileError`; none returns a bool.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from exchange.audit.merkle import HASH_SIZE, empty_root, node_hash, perfect_subtrees, root_from_leaf_hashes
from exchange.errors import InvalidInputError, VerificationError

#: Tree levels per tile level, and hashes in a full tile (c2sp.org/tlog-tiles).
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE
#: ``<L>`` is a decimal integer between 0 and 63.
MAX_LEVEL = 63
#: At most this many three-digit elements in ``<N>``: indexes below 10^21, beyond any 64-bit tree.
MAX_INDEX_ELEMENTS = 7

_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_ELEMENT = re.compile(r"[0-9]{3}")


class TilePathError(InvalidInputError):
    """A tile path is not one of the form ``tile/<L>/<N>[.p/<W>]``."""


class TileError(VerificationError):
    """A tile's contents do not fit the tree: wrong length, or hashes that do not lead to the root."""


@dataclass(frozen=True, slots=True, order=True)
class Tile:
    """The tile of ``width`` hashes at tile level ``level``, ``index`` tiles from the left."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not 0 <= self.level <= MAX_LEVEL:
            raise TilePathError(f"a tile level is between 0 and {MAX_LEVEL}, not {self.level}")
        if self.index < 0:
            raise TilePathError(f"a tile index is 0 or more, not {self.index}")
        if not 1 <= self.width <= TILE_WIDTH:
            raise TilePathError(f"a tile holds 1 to {TILE_WIDTH} hashes, not {self.width}")

    @property
    def partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def size(self) -> int:
        """Its length in bytes: 32 per hash."""
        return self.width * HASH_SIZE

    def path(self) -> str:
        """``tile/<L>/<N>[.p/<W>]``."""
        suffix = f".p/{self.width}" if self.partial else ""
        return f"tile/{self.level}/{encode_index(self.index)}{suffix}"

    def parent(self) -> tuple[int, int, int]:
        """Where a full tile's MTH is: (level, tile index, position) in the tile level above."""
        tile, position = divmod(self.index, TILE_WIDTH)
        return self.level + 1, tile, position


def encode_index(index: int) -> str:
    """``<N>``: zero-padded three-digit path elements, all but the last prefixed with ``x``."""
    if index < 0:
        raise TilePathError(f"a tile index is 0 or more, not {index}")
    elements = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        elements.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(elements))


def parse_tile_path(path: str) -> Tile:
    """The tile named by ``tile/<L>/<N>[.p/<W>]``, in its one canonical spelling only.

    Refused: a level outside 0..63 or with a leading zero, an index element that is not three digits
    (with ``x`` before all but the last), a leading ``x000`` element (another spelling of a smaller
    index), and a width outside 1..255 or with a leading zero.
    """
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TilePathError(f"'{_shown(path)}' is not a tile path of the form tile/<L>/<N>[.p/<W>]")
    level_s, elements = parts[1], parts[2:]
    if not _LEVEL.fullmatch(level_s) or int(level_s) > MAX_LEVEL:
        raise TilePathError(f"the tile level in '{_shown(path)}' is not a number from 0 to {MAX_LEVEL}")
    width = TILE_WIDTH
    if len(elements) >= 2 and elements[-2].endswith(".p"):
        width_s = elements[-1]
        if not _WIDTH.fullmatch(width_s) or int(width_s) >= TILE_WIDTH:
            raise TilePathError(f"the partial width in '{_shown(path)}' is not a number from 1 to 255")
        width = int(width_s)
        elements = [*elements[:-2], elements[-2][: -len(".p")]]
    if not 1 <= len(elements) <= MAX_INDEX_ELEMENTS:
        raise TilePathError(f"the tile index in '{_shown(path)}' has no or too many path elements")
    *upper, last = elements
    if not _ELEMENT.fullmatch(last) or not all(e[:1] == "x" and _ELEMENT.fullmatch(e[1:]) for e in upper):
        raise TilePathError(
            f"the tile index in '{_shown(path)}' is not zero-padded three-digit elements, "
            "all but the last beginning with 'x' (as x001/x234/067)"
        )
    if upper and upper[0] == "x000":
        raise TilePathError(f"the tile index in '{_shown(path)}' has a leading x000 element")
    index = 0
    for e in elements:
        index = index * 1000 + int(e.removeprefix("x"))
    return Tile(int(level_s), index, width)


def _shown(path: str) -> str:
    """A path as quoted in an error: printable ASCII only, and short."""
    shown = "".join(c if " " < c < "\x7f" else "?" for c in path[:80])
    return shown + ("..." if len(path) > 80 else "")


def hashes_at(size: int, level: int) -> int:
    """How many hashes tile level ``level`` has in a tree of ``size`` entries."""
    return size >> (TILE_HEIGHT * level)


def full_tiles(size: int, level: int) -> int:
    """How many full tiles level ``level`` has in a tree of ``size`` entries."""
    return size >> (TILE_HEIGHT * (level + 1))


def partial_width(size: int, level: int) -> int:
    """The width of the partial tile at ``level``: ``floor(size / 256^level) mod 256`` (0: none)."""
    return hashes_at(size, level) % TILE_WIDTH


def tile_at(size: int, level: int, index: int) -> Tile | None:
    """Tile ``index`` of ``level`` as a tree of ``size`` entries has it, full or partial; None if it
    has none there."""
    if index < full_tiles(size, level):
        return Tile(level, index)
    width = partial_width(size, level)
    return Tile(level, index, width) if index == full_tiles(size, level) and width else None


def levels(size: int) -> range:
    """The tile levels that hold at least one hash in a tree of ``size`` entries."""
    top = 0
    while hashes_at(size, top + 1):
        top += 1
    return range(top + 1 if size else 0)


def tiles_of(size: int) -> Iterator[Tile]:
    """Every tile of a tree of ``size`` entries: per level, the full tiles, then the partial one."""
    for level in levels(size):
        for index in range(full_tiles(size, level)):
            yield Tile(level, index)
        width = partial_width(size, level)
        if width:
            yield Tile(level, full_tiles(size, level), width)


def partial_tiles(size: int) -> list[Tile]:
    """The partial tiles at the right edge of a tree of ``size`` entries, lowest level first."""
    return [t for level in levels(size) if (t := tile_at(size, level, full_tiles(size, level)))]


def split(tile: Tile, data: bytes) -> list[bytes]:
    """The hashes of ``tile`` as served in ``data``; raises unless ``data`` is exactly its length."""
    if len(data) != tile.size:
        raise TileError(
            f"{tile.path()} must be {tile.size} bytes ({tile.width} hashes of {HASH_SIZE}), not {len(data)}"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def tile_hash(tile: Tile, data: bytes) -> bytes:
    """The MTH of a full tile: the hash the tile level above holds for it."""
    if tile.partial:
        raise TileError(f"{tile.path()} is partial: a partial tile is never hashed into the level above")
    return root_from_leaf_hashes(split(tile, data))


def hash_in(tile: Tile, data: bytes, position: int) -> bytes:
    """Hash ``position`` of ``tile`` as served in ``data``."""
    hashes = split(tile, data)
    if not 0 <= position < len(hashes):
        raise TileError(f"{tile.path()} has no hash at position {position}")
    return hashes[position]


def check_child(child: Tile, data: bytes, parent: Tile, parent_data: bytes) -> None:
    """Raise unless the full tile ``child`` hashes to its entry in ``parent``, the tile above."""
    level, index, position = child.parent()
    if (parent.level, parent.index) != (level, index):
        raise TileError(f"{parent.path()} is not the tile above {child.path()}")
    if tile_hash(child, data) != hash_in(parent, parent_data, position):
        raise TileError(f"{child.path()} does not hash to hash {position} of {parent.path()}")


#: The bytes of tile ``index`` of ``level`` (full or partial) of the tree being read.
TileReader = Callable[[Tile], bytes]


def reader_for(size: int, read: TileReader) -> Callable[[int, int], tuple[Tile, bytes]]:
    """Look up tile ``(level, index)`` of a tree of ``size`` entries through ``read``."""

    def lookup(level: int, index: int) -> tuple[Tile, bytes]:
        tile = tile_at(size, level, index)
        if tile is None:
            raise TileError(f"a tree of {size} entries has no tile {level}/{index}")
        return tile, read(tile)

    return lookup


def subtree_hash(size: int, level: int, index: int, read: TileReader) -> bytes:
    """MTH of the complete subtree of ``2^level`` leaves at ``index``, from the tiles of a tree of
    ``size`` entries that contains it: the MTH of ``2^r`` hashes of one tile of level ``L``, where
    ``level = 8·L + r``."""
    tile_level, r = divmod(level, TILE_HEIGHT)
    first = index << r
    tile_index, offset = divmod(first, TILE_WIDTH)
    tile, data = reader_for(size, read)(tile_level, tile_index)
    hashes = split(tile, data)
    if offset + (1 << r) > len(hashes):
        raise TileError(f"a tree of {size} entries has no complete subtree {level}/{index}")
    return root_from_leaf_hashes(hashes[offset : offset + (1 << r)])


def root_from_tiles(old_size: int, size: int, read: TileReader) -> bytes:
    """MTH(D[0:old_size]) from the tiles of a tree of ``size >= old_size`` entries (RFC 9162 §2.1.1:
    the right fold of the complete subtrees of the root's split, largest first)."""
    if not 0 <= old_size <= size:
        raise TileError(f"a tree of {size} entries has no prefix of {old_size}")
    if old_size == 0:
        return empty_root()
    parts = [subtree_hash(size, level, index, read) for level, index in perfect_subtrees(0, old_size)]
    root = parts[-1]
    for left in reversed(parts[:-1]):
        root = node_hash(left, root)
    return root


def check_root(old_size: int, root: bytes, size: int, read: TileReader) -> None:
    """Raise unless the tiles of a tree of ``size`` entries give ``root`` for its first ``old_size``."""
    if root_from_tiles(old_size, size, read) != root:
        raise TileError(f"the tiles do not give the signed root of the tree of {old_size} entries")
