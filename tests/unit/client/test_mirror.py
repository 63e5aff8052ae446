"""A party's mirror of the log's tiles against a hub that lies: every lie is refused and named, and
the mirror keeps its last verified state."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from exchange.audit.checkpoint import Checkpoint, CheckpointError, NoteSigner, sign_checkpoint
from exchange.audit.merkle import leaf_hash, root_from_leaf_hashes
from exchange.audit.tiles import TILE_HEIGHT, TILE_WIDTH, Tile, parse_tile_path
from exchange.client.http import ExchangeClient
from exchange.client.log import LogAnswerError
from exchange.client.mirror import CHECKPOINT_FILE, INCOMING, MirrorError, mirror
from exchange.crypto.keys import PartyKeys
from exchange.errors import InvalidInputError

ORIGIN = "exchange.test/log"
SIGNER = NoteSigner.from_seed(ORIGIN, b"\x07" * 32)
KEYS = PartyKeys.create("helmond", datetime(2026, 11, 30, tzinfo=UTC))


class Hub:
    """A hub serving a signed checkpoint and the tiles of its leaves; ``lie`` may rewrite any answer."""

    def __init__(self, size: int) -> None:
        self.leaves = [leaf_hash(f"event-{i}".encode()) for i in range(size)]
        self.size = size
        self.checkpoint_size: int | None = None
        self.lie: Callable[[str, httpx.Response], httpx.Response] = lambda _path, r: r
        self.asked: list[str] = []
        self.cache: dict[int, list[bytes]] = {}

    def grow(self, size: int) -> None:
        self.leaves += [leaf_hash(f"event-{i}".encode()) for i in range(len(self.leaves), size)]
        self.size = size
        self.cache.clear()

    def forge(self, index: int) -> None:
        """Rewrite entry ``index``, as a hub rewriting history would."""
        self.leaves[index] = leaf_hash(b"forged")
        self.cache.clear()

    def hashes(self, level: int) -> list[bytes]:
        if level not in self.cache:
            span = 1 << (TILE_HEIGHT * level)
            self.cache[level] = [
                root_from_leaf_hashes(self.leaves[k * span : (k + 1) * span])
                for k in range(self.size // span)
            ]
        return self.cache[level]

    def answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1/log/")
        self.asked.append(path)
        if path == "checkpoint":
            size = self.checkpoint_size if self.checkpoint_size is not None else self.size
            cp = Checkpoint(ORIGIN, size, root_from_leaf_hashes(self.leaves[:size]))
            r = httpx.Response(200, text=sign_checkpoint(cp, SIGNER).render())
        else:
            tile = parse_tile_path(path)
            start = tile.index * TILE_WIDTH
            r = httpx.Response(200, content=b"".join(self.hashes(tile.level)[start : start + tile.width]))
        return self.lie(path, r)

    def client(self) -> ExchangeClient:
        http = httpx.Client(base_url="http://hub.test", transport=httpx.MockTransport(self.answer))
        return ExchangeClient("http://hub.test", KEYS.current, "u-1", "auditor", http=http)


def test_an_honest_hub_is_mirrored_and_only_new_tiles_are_fetched(tmp_path: Path) -> None:
    """Two runs: the second asks for the new full tiles and the right edge only."""
    hub = Hub(600)
    assert mirror(hub.client(), tmp_path, SIGNER.verifier).fetched == 4
    hub.grow(70_000)
    hub.asked.clear()
    report = mirror(hub.client(), tmp_path, SIGNER.verifier)
    assert (report.old_size, report.size, report.held) == (600, 70_000, 274)
    assert "tile/0/000" not in hub.asked and "tile/0/001" not in hub.asked
    assert {"tile/0/002", "tile/1/000", "tile/0/273.p/112", "tile/1/001.p/17", "tile/2/000.p/1"} <= set(
        hub.asked
    )
    assert report.fetched == len(hub.asked) - 1  # all but the checkpoint


def test_a_short_tile_is_refused(tmp_path: Path) -> None:
    """A tile one byte short is refused before anything is hashed."""
    hub = Hub(600)
    hub.lie = lambda path, r: (
        httpx.Response(200, content=r.content[:-1]) if path.startswith("tile/0/001") else r
    )
    with pytest.raises(MirrorError, match=r"malformed tile: tile/0/001 must be 8192 bytes"):
        mirror(hub.client(), tmp_path, SIGNER.verifier)
    assert not (tmp_path / CHECKPOINT_FILE).exists() and not (tmp_path / INCOMING).exists()


def test_a_flipped_tile_or_edge_is_refused(tmp_path: Path) -> None:
    """A flipped byte in a full tile breaks its link above; one in the right edge breaks the root."""
    hub = Hub(600)

    def flip_in(prefix: str) -> Callable[[str, httpx.Response], httpx.Response]:
        def lie(path: str, r: httpx.Response) -> httpx.Response:
            if not path.startswith(prefix):
                return r
            return httpx.Response(200, content=bytes([r.content[0] ^ 1]) + r.content[1:])

        return lie

    hub.lie = flip_in("tile/0/001")
    with pytest.raises(
        MirrorError, match=r"served tile/0/001, which does not hash to its entry in tile/1/000\.p/2"
    ):
        mirror(hub.client(), tmp_path, SIGNER.verifier)
    hub.lie = flip_in("tile/0/002.p/88")
    with pytest.raises(MirrorError, match="do not give the root of its own checkpoint of 600 entries"):
        mirror(hub.client(), tmp_path, SIGNER.verifier)


def test_a_rolled_back_or_forked_checkpoint_is_refused(tmp_path: Path) -> None:
    """A smaller checkpoint than the mirrored one, or another root at the same size, is refused,
    and the mirror keeps the checkpoint it had."""
    hub = Hub(300)
    mirror(hub.client(), tmp_path, SIGNER.verifier)
    saved = (tmp_path / CHECKPOINT_FILE).read_text()
    hub.checkpoint_size = 299
    with pytest.raises(MirrorError, match="has 299 entries, fewer than the 300 mirrored"):
        mirror(hub.client(), tmp_path, SIGNER.verifier)
    hub.checkpoint_size = None
    hub.forge(299)
    with pytest.raises(MirrorError, match="two different roots for 300 entries"):
        mirror(hub.client(), tmp_path, SIGNER.verifier)
    hub.forge(3)
    hub.grow(600)
    with pytest.raises(MirrorError, match=r"tile/1/000\.p/2 contradicts tile/0/000 as mirrored at 300"):
        mirror(hub.client(), tmp_path, SIGNER.verifier)
    assert (tmp_path / CHECKPOINT_FILE).read_text() == saved


def test_a_checkpoint_not_signed_by_the_log_is_refused(tmp_path: Path) -> None:
    """The checkpoint must verify with the pinned key; the hub's tiles are not even fetched."""
    hub = Hub(10)
    other = NoteSigner.from_seed(ORIGIN, hashlib.sha256(b"another key").digest())
    with pytest.raises(CheckpointError, match="not signed by the log's key"):
        mirror(hub.client(), tmp_path, other.verifier)
    assert hub.asked == ["checkpoint"]


def test_a_missing_tile_or_a_damaged_mirror_is_named(tmp_path: Path) -> None:
    """A tile the hub does not serve, and a held tile gone from the mirror, are named; a run's
    leftovers from an interruption are discarded."""
    hub = Hub(600)
    hub.lie = lambda path, r: (
        httpx.Response(404, json={"detail": "no such tile"}) if path == "tile/0/000" else r
    )
    with pytest.raises(LogAnswerError, match="tile/0/000: the hub answered 404: no such tile"):
        mirror(hub.client(), tmp_path, SIGNER.verifier)
    hub.lie = lambda _path, r: r
    mirror(hub.client(), tmp_path, SIGNER.verifier)
    (tmp_path / Tile(0, 0).path()).unlink()
    (tmp_path / INCOMING / "tile").mkdir(parents=True)
    hub.grow(700)
    with pytest.raises(InvalidInputError, match="lacks tile/0/000; start a new mirror"):
        mirror(hub.client(), tmp_path, SIGNER.verifier)
    assert not (tmp_path / INCOMING).exists()


def test_a_rewritten_right_edge_does_not_extend_the_mirrored_checkpoint(tmp_path: Path) -> None:
    """Entry 290 (in the right edge the mirror checked but does not hold) rewritten: the new tree is
    consistent with itself, but the mirrored checkpoint's root no longer follows from it."""
    hub = Hub(300)
    mirror(hub.client(), tmp_path, SIGNER.verifier)
    hub.forge(290)
    hub.grow(600)
    with pytest.raises(MirrorError, match="of 600 entries does not extend the mirrored one of 300"):
        mirror(hub.client(), tmp_path, SIGNER.verifier)


def test_an_unreadable_mirrored_checkpoint_is_named(tmp_path: Path) -> None:
    """A checkpoint file that is not text is reported, not guessed at."""
    (tmp_path / CHECKPOINT_FILE).write_bytes(b"\xff\xfe")
    with pytest.raises(InvalidInputError, match="cannot read the mirrored checkpoint"):
        mirror(Hub(3).client(), tmp_path, SIGNER.verifier)
