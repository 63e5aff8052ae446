"""A party's mirror of the hub's log tree: the last verified checkpoint and the full hash tiles
(c2sp.org/tlog-tiles), kept in a directory of its own, checked on every run with the log's public
key alone (docs/specs/disclosure-log.md, "Tiles").

A run fetches the newest checkpoint and verifies its signature; fetches the partial tiles at the
tree's right edge and checks they give the checkpoint's root; then, from the top tile level down,
checks every full tile under a tile that is new since the last run against its hash in the tile
above, fetching only the full tiles it does not hold. Every held tile is thus bound to the new root,
and the old checkpoint's root is recomputed from the same tiles: the old tree must be a prefix of the
new one. The new state is saved only when every check passed. The mirror learns nothing about any
event: tiles are hashes. With ``check`` it also proves the party's own entries and compares their
leaf hashes with the mirrored level-0 tiles.

    DIR/checkpoint            the last verified checkpoint, as the hub served it
    DIR/tile/<L>/<N>          the full tiles of that tree, byte for byte as served
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from exchange.audit.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from exchange.audit.tiles import (
    TILE_WIDTH,
    Tile,
    TileError,
    check_root,
    full_tiles,
    hash_in,
    levels,
    partial_tiles,
    split,
    tile_at,
    tile_hash,
)
from exchange.client.http import ExchangeClient
from exchange.client.log import LogAnswerError, fetch_checkpoint, prove_entry
from exchange.errors import InvalidInputError, VerificationError

CHECKPOINT_FILE = "checkpoint"
INCOMING = ".incoming"
#: Progress is reported every this many tiles fetched.
PROGRESS_EVERY = 256


class MirrorError(VerificationError):
    """The hub served a checkpoint or tile that contradicts the mirror or itself."""


@dataclass(frozen=True, slots=True)
class MirrorReport:
    #: The size of the checkpoint mirrored before this run (0 for a new mirror), and now.
    old_size: int
    size: int
    #: Tiles fetched in this run (full and partial), and full tiles held after it.
    fetched: int
    held: int
    #: The party's own entries proved and matched with the mirrored leaf hashes.
    checked: tuple[int, ...] = ()


class TileDirectory:
    """The mirror's directory: the checkpoint, the held full tiles, and the tiles of a run in
    progress (``.incoming``), moved into place only when the run's checks passed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / INCOMING
        self.staged: set[Tile] = set()

    def checkpoint(self, log_key: NoteVerifier) -> Checkpoint | None:
        """The last verified checkpoint, its signature checked again; None for a new mirror."""
        path = self.root / CHECKPOINT_FILE
        if not path.exists():
            return None
        try:
            note = path.read_text(encoding="utf-8")
        except (OSError, UnicodeError):
            raise InvalidInputError(f"cannot read the mirrored checkpoint in {path}") from None
        cp, _ = open_checkpoint(note, log_key, log_key.name)
        return cp

    def held(self, tile: Tile) -> bytes:
        """A full tile held by the mirror (or fetched in this run)."""
        path = (self.incoming if tile in self.staged else self.root) / tile.path()
        try:
            data = path.read_bytes()
        except OSError:
            raise InvalidInputError(
                f"the mirror in {self.root} lacks {tile.path()}; start a new mirror in an empty directory"
            ) from None
        split(tile, data)
        return data

    def stage(self, tile: Tile, data: bytes) -> None:
        _write(self.incoming / tile.path(), data)
        self.staged.add(tile)

    def commit(self, note: str) -> None:
        """Move this run's tiles into place, then save the checkpoint that vouches for them."""
        for tile in sorted(self.staged):
            target = self.root / tile.path()
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.incoming / tile.path(), target)
        _write(self.root / CHECKPOINT_FILE, note.encode("utf-8"))
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.incoming, ignore_errors=True)
        self.staged.clear()


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a crash leaves the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def fetch_tile(client: ExchangeClient, tile: Tile) -> bytes:
    """``GET /v1/log/tile/...``: the tile's bytes, refused unless exactly its width."""
    r = client.get(f"/v1/log/{tile.path()}")
    if r.status_code != 200:
        raise LogAnswerError(f"the log's {tile.path()}", r)
    try:
        split(tile, r.content)
    except TileError as exc:
        raise MirrorError(f"the hub served a malformed tile: {exc}") from None
    return r.content


def mirror(
    client: ExchangeClient,
    directory: Path,
    log_key: NoteVerifier,
    check: Iterable[int] = (),
    progress: Callable[[str], None] = lambda _: None,
    recheck: bool = False,
) -> MirrorReport:
    """Bring the mirror in ``directory`` up to the hub's newest checkpoint, checking that the log only
    grew, and prove the party's own entries ``check``. With ``recheck``, also fetch every held full
    tile again and compare it byte for byte: the hub serves the tree it signed to everyone, not only
    to new mirrors. Raises :class:`MirrorError` (or another :class:`~exchange.errors.VerificationError`)
    and keeps the old state when a check fails."""
    store = TileDirectory(directory)
    store.discard()  # the tiles of an interrupted run were never vouched for
    old = store.checkpoint(log_key)
    new, note = fetch_checkpoint(client, log_key)
    m, n = (old.size if old else 0), new.size
    progress(f"checkpoint of {n} entries verified" + (f"; the mirror holds {m}" if old else ""))
    if old is not None and n < m:
        raise MirrorError(
            f"the hub's checkpoint has {n} entries, fewer than the {m} mirrored: the log was cut back"
        )
    if old is not None and n == m and new.root != old.root:
        raise MirrorError(f"the hub signed two different roots for {n} entries: the log forked")
    partials = {t: fetch_tile(client, t) for t in partial_tiles(n)}
    fetched = len(partials)

    def read(tile: Tile) -> bytes:
        return partials[tile] if tile.partial else store.held(tile)

    try:
        check_root(n, new.root, n, read)
    except TileError:
        raise MirrorError(
            f"the hub's tiles do not give the root of its own checkpoint of {n} entries"
        ) from None
    try:
        fetched += _bind_full_tiles(client, store, m, n, read, progress)
        if old is not None:
            _check_prefix(old, n, read)
        if recheck:
            fetched += _recheck_held(client, store, m)
        checked = tuple(_check_own(client, new, read, i) for i in check)
        store.commit(note)
    finally:
        store.discard()
    held = sum(full_tiles(n, level) for level in levels(n))
    progress(f"mirrored {n} entries: {fetched} tiles fetched, {held} full tiles held")
    return MirrorReport(m, n, fetched, held, checked)


def _bind_full_tiles(
    client: ExchangeClient,
    store: TileDirectory,
    m: int,
    n: int,
    read: Callable[[Tile], bytes],
    progress: Callable[[str], None],
) -> int:
    """From the top tile level down, check each full tile under a tile that is new since size ``m``
    against its hash in the tile above, fetching the ones not held. A full tile whose parent was
    already full at ``m`` was checked in an earlier run, under a parent that has not changed since."""
    fetched = 0
    above: tuple[Tile | None, bytes] = (None, b"")  # the parent tile last read: 256 children share it
    for level in reversed(levels(n)):
        first = TILE_WIDTH * full_tiles(m, level + 1)
        for index in range(first, full_tiles(n, level)):
            tile = Tile(level, index)
            parent = tile_at(n, level + 1, index // TILE_WIDTH)
            if parent is None:  # pragma: no cover - a tree with a full tile has a tile above it
                raise TileError(f"a tree of {n} entries has no tile above {tile.path()}")
            if above[0] != parent:
                above = (parent, read(parent))
            expected = hash_in(parent, above[1], index % TILE_WIDTH)
            if index < full_tiles(m, level):
                if tile_hash(tile, store.held(tile)) != expected:
                    raise MirrorError(
                        f"the hub's {parent.path()} contradicts {tile.path()} as mirrored at {m} entries: "
                        "the log's history was rewritten"
                    )
                continue
            data = fetch_tile(client, tile)
            fetched += 1
            if tile_hash(tile, data) != expected:
                raise MirrorError(
                    f"the hub served {tile.path()}, which does not hash to its entry in {parent.path()}"
                )
            store.stage(tile, data)
            if fetched % PROGRESS_EVERY == 0:
                progress(f"{fetched} tiles fetched; at {tile.path()}")
    return fetched


def _recheck_held(client: ExchangeClient, store: TileDirectory, m: int) -> int:
    """Fetch every full tile held since size ``m`` again; each must be byte-identical."""
    fetched = 0
    for level in levels(m):
        for index in range(full_tiles(m, level)):
            tile = Tile(level, index)
            fetched += 1
            if fetch_tile(client, tile) != store.held(tile):
                raise MirrorError(
                    f"the hub now serves {tile.path()} otherwise than the copy mirrored at {m} entries: "
                    "its stored tree was altered"
                )
    return fetched


def _check_prefix(old: Checkpoint, n: int, read: Callable[[Tile], bytes]) -> None:
    """The old checkpoint's root, recomputed from the new tree's tiles: the old tree is its prefix."""
    try:
        check_root(old.size, old.root, n, read)
    except TileError:
        raise MirrorError(
            f"the checkpoint of {n} entries does not extend the mirrored one of {old.size}: "
            "the log's history was rewritten"
        ) from None


def _check_own(client: ExchangeClient, cp: Checkpoint, read: Callable[[Tile], bytes], index: int) -> int:
    """Prove entry ``index`` against the checkpoint and match its leaf hash with the mirrored tile."""
    tile = tile_at(cp.size, 0, index // TILE_WIDTH) if 0 <= index < cp.size else None
    if tile is None:
        raise InvalidInputError(f"entry {index} is not in the checkpoint of {cp.size} entries")
    entry = prove_entry(client, index, cp)
    if hash_in(tile, read(tile), index % TILE_WIDTH) != entry.leaf_hash:
        raise MirrorError(f"the hub proved entry {index} with another leaf hash than its {tile.path()} holds")
    return index
