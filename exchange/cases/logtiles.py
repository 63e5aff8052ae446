"""Hash tiles of the disclosure log for every registered party (c2sp.org/tlog-tiles;
docs/specs/disclosure-log.md, "Tiles").

Who may see what: a tile holds only Merkle tree hashes, never an event. With the signed checkpoint
it lets any party mirror the tree and check that the log only grows, and learn nothing about any
event, so every registered party in any role may fetch any tile the tree has. Event bundles are not
served: events contain pseudonyms, and a party holding a covenant's pseudonym key could test
addresses against another covenant's events. A party fetches only the events it took part in, with
their inclusion proofs (:mod:`exchange.cases.logproofs`).
"""

from __future__ import annotations

from exchange.audit.tiles import TILE_WIDTH, Tile, hashes_at, parse_tile_path
from exchange.cases.unit import Unit
from exchange.storage import log_tiles


class LogTileService:
    """Tiles of the log's current tree, bound to one unit of work."""

    def __init__(self, unit: Unit) -> None:
        self.session = unit.session
        self.log = unit.log

    def tile(self, path: str) -> tuple[Tile, bytes | None]:
        """The tile ``path`` names (``tile/<L>/<N>[.p/<W>]``) and its hashes; None when the tree
        does not hold it yet.

        A partial tile of width ``W`` is the first ``W`` hashes of its place, also once the tree has
        grown past it (c2sp.org/tlog-tiles, "Partial Tiles").
        """
        tile = parse_tile_path(path)
        if tile.index * TILE_WIDTH + tile.width > hashes_at(self.log.size(self.session), tile.level):
            return tile, None
        return tile, log_tiles.read_tile(self.session, tile)
