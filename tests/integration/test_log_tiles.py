"""The log's hash tiles over HTTP (c2sp.org/tlog-tiles) and a party's mirror that checks them: tiles
are the stored tree, a mirror fetches only what is new, and a rewritten or tampered log is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from exchange.audit.checkpoint import Checkpoint, sign_checkpoint
from exchange.audit.events import event_from_bytes
from exchange.audit.merkle import leaf_hash
from exchange.audit.tiles import Tile, root_from_tiles, tiles_of
from exchange.client.mirror import CHECKPOINT_FILE, MirrorError, mirror
from exchange.errors import InvalidInputError
from exchange.storage.models import LogCheckpoint, LogEntry
from tests.integration.api_support import Api
from tests.integration.test_audit_store import ev, tamper_tile
from tests.integration.test_log_verify import _as_operator


def grow(api: Api, n: int) -> int:
    """Append events by helmond until the log has ``n`` entries, and sign a checkpoint there."""
    size = api.log_size()
    with api.db.sessions.begin() as s:
        api.db.log.append_many(s, [ev(i) for i in range(size, n)])
    with api.db.sessions.begin() as s:
        return api.db.log.sign_checkpoint(s, api.db.signer, datetime.now(UTC)).size


def fetch(api: Api, path: str, party: str = "someren", role: str = "employee") -> tuple[int, bytes, str]:
    r = api.client(party, "u-1", role).get(f"/v1/log/{path}")
    return r.status_code, r.content, r.headers.get("cache-control", "")


def test_tiles_are_the_stored_tree(api: Api) -> None:
    """Every tile of a 600-entry tree is served as its stored hashes and gives the log's root; full
    tiles may be cached privately for good, partial ones not at all."""
    size = grow(api, 600)
    tiles = {}
    for tile in tiles_of(size):
        status, data, cache = fetch(api, tile.path())
        assert status == 200
        assert cache == ("no-store" if tile.partial else "private, max-age=31536000, immutable")
        tiles[tile] = data
    assert sorted(tiles) == [Tile(0, 0), Tile(0, 1), Tile(0, 2, 88), Tile(1, 0, 2)]
    with api.db.sessions.begin() as s:
        assert root_from_tiles(size, size, tiles.__getitem__) == api.db.log.root(s)
        first = s.get(LogEntry, 0)
        assert first is not None and tiles[Tile(0, 0)][:32] == first.leaf_hash == leaf_hash(first.event)
    r = api.client("someren").get("/v1/log/tile/0/000")
    assert r.headers["content-type"] == "application/octet-stream"


def test_partial_tiles_the_tree_has_passed_and_tiles_it_lacks(api: Api) -> None:
    """A partial tile of a width the tree has passed is the first W hashes of its place; a tile the
    tree does not hold yet is 404, and not logged as a refusal."""
    grow(api, 600)
    _, full, _ = fetch(api, "tile/0/000")
    status, five, cache = fetch(api, "tile/0/000.p/5")
    assert (status, five, cache) == (200, full[: 5 * 32], "no-store")
    for beyond in ("tile/0/002", "tile/0/002.p/89", "tile/0/003.p/1", "tile/1/000", "tile/2/000.p/1"):
        assert fetch(api, beyond)[0] == 404, beyond
    assert api.log_size() == 600  # not a refusal: every tile the tree holds is every party's


@pytest.mark.parametrize(
    "path", ["tile/entries/000", "tile/0/00", "tile/0/x000/001", "tile/00/000", "tile/0/000.p/256"]
)
def test_malformed_tile_paths_and_event_bundles_are_refused(api: Api, path: str) -> None:
    """Only hash tiles in their one spelling are served: no entry bundles (events stay at the hub)."""
    grow(api, 3)
    r = api.client("someren").get(f"/v1/log/{path}")
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"


def test_any_registered_party_in_any_role_may_fetch_tiles(api: Api) -> None:
    """Tiles are hashes only: a party in no covenant, or in a role it does not hold, gets them too."""
    grow(api, 3)
    assert fetch(api, "tile/0/000.p/3", "buitenstaander")[0] == 200
    assert fetch(api, "tile/0/000.p/3", "politie-oost-brabant", "coordinator")[0] == 200


def test_a_mirror_fetches_only_new_tiles_and_proves_own_entries(api: Api, tmp_path: Path) -> None:
    """The first run fetches the whole tree; after 700 more entries the second fetches only the new
    full tiles and the right edge, checks the old checkpoint is a prefix, and proves own entries."""
    client = api.client("helmond")
    key = api.db.signer.verifier
    lines: list[str] = []
    grow(api, 600)
    first = mirror(client, tmp_path, key, progress=lines.append)
    assert (first.old_size, first.size, first.fetched, first.held) == (0, 600, 4, 2)
    assert sorted(p.name for p in (tmp_path / "tile" / "0").iterdir()) == ["000", "001"]
    assert "checkpoint of 600 entries verified" in lines[0]
    grow(api, 1300)
    second = mirror(client, tmp_path, key, check=[5, 1299])
    assert (second.old_size, second.size, second.fetched, second.held) == (600, 1300, 5, 5)
    assert second.checked == (5, 1299)
    assert "\n1300\n" in (tmp_path / CHECKPOINT_FILE).read_text()
    again = mirror(client, tmp_path, key)
    assert (again.old_size, again.size, again.fetched) == (1300, 1300, 2)
    with pytest.raises(InvalidInputError, match="entry 1300 is not in the checkpoint of 1300"):
        mirror(client, tmp_path, key, check=[1300])


def _forge_entry(api: Api, index: int) -> None:
    """Rewrite entry ``index`` and rebuild the whole tree and head to match, deleting the checkpoints:
    the log is consistent with itself, and a new checkpoint signs the rewritten history."""
    forged = ev(index, case="case-forged").canonical()
    with api.db.sessions.begin() as s:
        s.execute(
            text("UPDATE log_entries SET event = :e, leaf_hash = :h, case_id = 'case-forged' WHERE idx = :i"),
            {"e": forged, "h": leaf_hash(forged), "i": index},
        )
        events = [bytes(e) for e in s.execute(text("SELECT event FROM log_entries ORDER BY idx")).scalars()]
    _as_operator(
        api.db,
        [
            ("DELETE FROM log_cosignatures", {}),
            ("DELETE FROM log_checkpoints", {}),
            ("DELETE FROM log_tiles", {}),
            ("DELETE FROM log_entries", {}),
        ],
    )
    with api.db.sessions.begin() as s:
        s.execute(text("UPDATE log_head SET size = 0, root = :r"), {"r": api.db.log.root(s, 0)})
    with api.db.sessions.begin() as s:
        api.db.log.append_many(s, [event_from_bytes(e) for e in events])


def test_a_rewritten_history_is_refused_and_the_mirror_kept(api: Api, tmp_path: Path) -> None:
    """Entry 7 rewritten, the tree rebuilt and a new checkpoint signed over more entries: the hub's
    tiles agree with its new checkpoint, but not with the tile the mirror holds. Refused; the mirror
    keeps its last verified checkpoint."""
    client, key = api.client("helmond"), api.db.signer.verifier
    grow(api, 600)
    mirror(client, tmp_path, key)
    saved = (tmp_path / CHECKPOINT_FILE).read_text()
    _forge_entry(api, 7)
    grow(api, 800)
    with pytest.raises(MirrorError, match=r"tile/1/000\.p/3 contradicts tile/0/000 as mirrored at 600"):
        mirror(client, tmp_path, key)
    assert (tmp_path / CHECKPOINT_FILE).read_text() == saved
    assert not (tmp_path / ".incoming").exists()


def test_a_rewritten_right_edge_is_refused(api: Api, tmp_path: Path) -> None:
    """Entry 590 (in the partial tile the mirror checked, not held) rewritten and re-signed: the old
    checkpoint's root no longer follows from the new tree's tiles."""
    client, key = api.client("helmond"), api.db.signer.verifier
    grow(api, 600)
    mirror(client, tmp_path, key)
    _forge_entry(api, 590)
    grow(api, 700)
    with pytest.raises(MirrorError, match="of 700 entries does not extend the mirrored one of 600"):
        mirror(client, tmp_path, key)


def test_a_tampered_stored_hash_is_refused(api: Api, tmp_path: Path) -> None:
    """A leaf hash changed in a stored tile after the tile above was stored: the hub's new tile no
    longer hashes to its entry in the tile above. A hash changed in the tile above a held tile: the
    hub's tiles no longer give its own signed root."""
    client, key = api.client("helmond"), api.db.signer.verifier
    grow(api, 600)
    mirror(client, tmp_path, key)
    grow(api, 1300)
    with api.db.sessions.begin() as s:
        tamper_tile(s, 0, 3, 900 - 768, bytes(32))
    with pytest.raises(
        MirrorError, match=r"served tile/0/003, which does not hash to its entry in tile/1/000\.p/5"
    ):
        mirror(client, tmp_path, key)
    with api.db.sessions.begin() as s:
        tamper_tile(s, 0, 3, 900 - 768, leaf_hash(ev(900).canonical()))
        tamper_tile(s, 1, 0, 1, bytes(32))
    with pytest.raises(MirrorError, match="do not give the root of its own checkpoint of 1300 entries"):
        mirror(client, tmp_path, key)


def test_a_cut_back_log_is_refused(api: Api, tmp_path: Path) -> None:
    """A newest checkpoint smaller than the one mirrored (signed by the log's key, the larger ones
    deleted) is refused: the log was cut back."""
    client, key = api.client("helmond"), api.db.signer.verifier
    grow(api, 300)
    mirror(client, tmp_path, key)
    with api.db.sessions.begin() as s:
        root = api.db.log.root(s, 200)
    note = sign_checkpoint(Checkpoint(api.db.log.origin, 200, root), api.db.signer).render()
    _as_operator(api.db, [("DELETE FROM log_cosignatures", {}), ("DELETE FROM log_checkpoints", {})])
    with api.db.sessions.begin() as s:
        s.add(LogCheckpoint(size=200, root=root, note=note, created=datetime.now(UTC)))
    with pytest.raises(MirrorError, match="has 200 entries, fewer than the 300 mirrored"):
        mirror(client, tmp_path, key)


def test_recheck_catches_a_held_tile_altered_without_a_new_checkpoint(api: Api, tmp_path: Path) -> None:
    """A leaf hash altered in a stored tile the mirror holds, with no new checkpoint: the signed tree
    is unchanged, so a plain run passes without fetching the held tile; a recheck fetches it again
    and sees the hub serve it otherwise than mirrored."""
    client, key = api.client("helmond"), api.db.signer.verifier
    grow(api, 600)
    mirror(client, tmp_path, key)
    with api.db.sessions.begin() as s:
        tamper_tile(s, 0, 0, 5, bytes(32))
    assert mirror(client, tmp_path, key).fetched == 2  # the right edge only
    with pytest.raises(MirrorError, match="now serves tile/0/000 otherwise than the copy mirrored at 600"):
        mirror(client, tmp_path, key, recheck=True)
    with api.db.sessions.begin() as s:
        tamper_tile(s, 0, 0, 5, leaf_hash(ev(5).canonical()))
    assert mirror(client, tmp_path, key, recheck=True).fetched == 4
