"""A change set is cut into the same batches every time: additions first, then removals, each batch
at most the batch size, nothing lost or repeated; and its sealed form reads back the same."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from exchange.node.index_runs import ChangeSet, batch_key


@given(adds=st.integers(0, 30), removes=st.integers(0, 30), size=st.integers(1, 7))
def test_batches_cover_the_set_in_order(adds: int, removes: int, size: int) -> None:
    """Concatenated, the batches are the additions and then the removals; all but the last are full."""
    cs = ChangeSet("address", [(f"a{i}", f"t{i}") for i in range(adds)], [f"r{i}" for i in range(removes)])
    batches = cs.batches(size)
    assert [x for a, _ in batches for x in a] == cs.add
    assert [x for _, r in batches for x in r] == cs.remove
    assert all(len(a) + len(r) == size for a, r in batches[:-1])
    assert len(batches) == -(-(adds + removes) // size)
    assert cs.batches(size) == batches
    assert ChangeSet.decode(cs.encode()) == cs


def test_each_batch_has_its_own_key() -> None:
    """The Idempotency-Key names the run and the batch's number."""
    assert batch_key("abc", 3) == "sync-abc-3"


def test_a_moved_set_reads_back_and_one_stored_before_n0010_reads_as_texts() -> None:
    """A re-pseudonymisation's set (new and old pseudonyms) keeps its flag through the sealed form; a
    set stored by an earlier version, without the flag, carries texts."""
    moved = ChangeSet("address", [("v2:new", "v1:old")], ["v1:old"], moved=True)
    assert ChangeSet.decode(moved.encode()) == moved
    earlier = b'{"kind": "address", "add": [["v1:x", "5701 AB 1"]], "remove": []}'
    assert ChangeSet.decode(earlier) == ChangeSet("address", [("v1:x", "5701 AB 1")], [], moved=False)
