"""The log's hash tiles (c2sp.org/tlog-tiles) as stored in ``log_tiles``, and a cache of full ones.

Each row is one tile: the full tiles of 256 hashes never change, and the one partial tile per level
at the right edge is rewritten as the tree grows (:mod:`exchange.storage.log_head`). A partial tile
of width ``W`` is a prefix of every later version of its row, so any stored version of a tile serves
every narrower request.

Each row also holds the tile's inner nodes (the hashes of its complete subtrees of 2 to 128 of its
hashes), which the appender computes anyway: a proof takes any subtree of a tile from them without
hashing. They are not served; a mirror recomputes them from the tile. Proofs and roots read a
handful of tiles in one query. Full tiles above level 0 are kept in a small
in-process cache per engine: they are few (one per 65,536 entries), every proof needs some of them,
and they never change. Tiles read in a transaction that appended are not cached: it may roll back.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from exchange.audit.merkle import HASH_SIZE
from exchange.audit.tile_edge import inner_count
from exchange.audit.tiles import FULL_TILE_BYTES, Tile
from exchange.errors import StorageError
from exchange.storage.log_head import WROTE, write_pending

#: Full tiles above level 0 kept per engine (8 KiB each): 2,048 cover a tree of 1.3 * 10^8 entries.
CACHE_TILES = 2048

TileKey = tuple[int, int]
#: The length of the inner nodes stored with a tile of each width.
_INNER_BYTES = [inner_count(width) * HASH_SIZE for width in range(FULL_TILE_BYTES // HASH_SIZE + 1)]


def tile_sql(n: int, paramstyle: str) -> str:
    """Driver SQL for ``n`` tiles by (level, idx) in one round trip.

    An OR of (level = ? AND idx = ?) terms: SQLite answers that with one primary-key search per term,
    where a row-value IN makes it scan the table (tests/integration/test_query_plans.py checks the
    plan). Plain driver SQL because compiling a new SQLAlchemy statement per proof costs more than
    the lookups.
    """
    mark = "?" if paramstyle == "qmark" else "%s"
    terms = " OR ".join([f"(level = {mark} AND idx = {mark})"] * n)
    return f"SELECT level, idx, hashes, nodes FROM log_tiles WHERE {terms}"  # noqa: S608 - placeholders only  # nosec B608


def fetch_tile_rows(conn: Connection, keys: list[TileKey]) -> dict[TileKey, tuple[bytes, bytes]]:
    """The stored tiles among ``keys`` as (hashes, inner nodes); absent ones are left out. Raises if
    one is not stored as whole hashes with as many inner nodes as its width makes."""
    if not keys:
        return {}
    params = [x for k in keys for x in k]
    found = {}
    # Through the driver's cursor: a proof's one query, where SQLAlchemy's statement handling cost
    # more than SQLite's lookups.
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]  # a DBAPI connection is there while the session is open
    try:
        cursor.execute(tile_sql(len(keys), conn.dialect.paramstyle), tuple(params))
        rows = cursor.fetchall()
    except conn.dialect.loaded_dbapi.Error as exc:  # not wrapped by SQLAlchemy on this path
        raise StorageError(f"the log's tiles could not be read ({type(exc).__name__})") from None
    finally:
        cursor.close()
    for level, idx, data, nodes in rows:
        value = bytes(data) if isinstance(data, memoryview) else data
        inner = bytes(nodes) if isinstance(nodes, memoryview) else nodes
        if (
            not isinstance(value, bytes)
            or not isinstance(inner, bytes)
            or len(value) % HASH_SIZE
            or len(value) > FULL_TILE_BYTES
            or len(inner) != _INNER_BYTES[len(value) // HASH_SIZE]
        ):
            raise StorageError(
                f"the log's tile {level}/{idx} is not stored as whole hashes; run 'exchange log verify'"
            )
        found[(int(level), int(idx))] = (value, inner)
    return found


#: A tile as proofs read it: its hashes and its inner nodes, each concatenated.
Hashes = tuple[bytes, bytes]


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tiles: OrderedDict[TileKey, Hashes] = OrderedDict()


_CACHES: weakref.WeakKeyDictionary[Engine, _Cache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache_of(session: Session) -> _Cache:
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    with _CACHES_LOCK:
        cache = _CACHES.get(engine)
        if cache is None:
            cache = _CACHES[engine] = _Cache()
        return cache


def load_tiles(session: Session, keys: list[TileKey]) -> dict[TileKey, Hashes]:
    """The stored tiles among ``keys`` as lists of hashes, full tiles above level 0 through the cache."""
    write_pending(session)
    cache = _cache_of(session)
    out: dict[TileKey, Hashes] = {}
    with cache.lock:
        for k in keys:
            hit = cache.tiles.get(k)
            if hit is not None:
                cache.tiles.move_to_end(k)
                out[k] = hit
    missing = [k for k in dict.fromkeys(keys) if k not in out]
    if missing:
        cacheable = not session.info.get(WROTE)
        rows = fetch_tile_rows(session.connection(), missing)
        with cache.lock:
            for k, hashes in rows.items():
                out[k] = hashes
                data = hashes[0]
                if cacheable and k[0] > 0 and len(data) == FULL_TILE_BYTES:
                    cache.tiles[k] = hashes
                    if len(cache.tiles) > CACHE_TILES:
                        cache.tiles.popitem(last=False)
    return out


def read_tile(session: Session, tile: Tile) -> bytes:
    """The concatenated hashes of ``tile``, which the caller knows the tree to hold in full."""
    write_pending(session)
    rows = fetch_tile_rows(session.connection(), [(tile.level, tile.index)])
    data = rows.get((tile.level, tile.index), (b"", b""))[0]
    if len(data) < tile.size:
        raise StorageError(f"the log is missing hashes of {tile.path()}; run 'exchange log verify'")
    return data[: tile.size]
