"""RFC 9162 hashing and proofs: reference roots, known proofs, tampered proofs, and properties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from exchange.audit.merkle import (
    ProofError,
    consistency_proof,
    empty_root,
    inclusion_proof,
    leaf_hash,
    memory_subtree,
    root_from_leaf_hashes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

V = json.loads((Path(__file__).parents[2] / "vectors" / "merkle-v1.json").read_text())
LEAVES = [bytes.fromhex(x) for x in V["leaves"]]

# Published with the RFC 6962 reference implementation (certificate-transparency, merkle tree tests).
CT_REFERENCE_ROOT_8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


def test_reference_roots() -> None:
    """Roots of the CT reference leaves match the published values and the vector file."""
    assert root_hash(LEAVES).hex() == CT_REFERENCE_ROOT_8
    for n, root in V["reference_roots"].items():
        assert root_hash(LEAVES[: int(n)]).hex() == root
    assert root_hash([]) == empty_root()
    assert empty_root().hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.filterwarnings("ignore:get_state is deprecated:DeprecationWarning")
def test_roots_equal_pymerkle() -> None:
    """An independent implementation (pymerkle) computes the same roots on the same leaves."""
    tree = InmemoryTree(algorithm="sha256")
    for n, leaf in enumerate([f"event-{i}".encode() for i in range(100)], 1):
        tree.append_entry(leaf)
        assert tree.get_state() == root_hash([f"event-{i}".encode() for i in range(n)])


@pytest.mark.parametrize("case", V["inclusion"], ids=lambda c: f"{c['index']}@{c['size']}")
def test_inclusion_vectors(case: dict[str, Any]) -> None:
    """Known inclusion proofs are generated exactly and verify."""
    hashes = [leaf_hash(x) for x in LEAVES]
    assert [p.hex() for p in inclusion_proof(case["index"], case["size"], memory_subtree(hashes))] == case[
        "proof"
    ]
    verify_inclusion(
        bytes.fromhex(case["leaf_hash"]),
        case["index"],
        case["size"],
        [bytes.fromhex(p) for p in case["proof"]],
        bytes.fromhex(case["root"]),
    )


@pytest.mark.parametrize("case", V["consistency"], ids=lambda c: f"{c['old_size']}-{c['new_size']}")
def test_consistency_vectors(case: dict[str, Any]) -> None:
    """Known consistency proofs are generated exactly and verify."""
    hashes = [leaf_hash(x) for x in LEAVES]
    assert [
        p.hex() for p in consistency_proof(case["old_size"], case["new_size"], memory_subtree(hashes))
    ] == case["proof"]
    verify_consistency(
        case["old_size"],
        case["new_size"],
        [bytes.fromhex(p) for p in case["proof"]],
        bytes.fromhex(case["old_root"]),
        bytes.fromhex(case["new_root"]),
    )


@pytest.mark.parametrize("case", V["tampered_inclusion"], ids=lambda c: c["name"])
def test_tampered_inclusion(case: dict[str, Any]) -> None:
    """Tampered inclusion proofs raise, naming what failed."""
    with pytest.raises(ProofError, match=case["want_err"]):
        verify_inclusion(
            bytes.fromhex(case["leaf_hash"]),
            case["index"],
            case["size"],
            [bytes.fromhex(p) for p in case["proof"]],
            bytes.fromhex(case["root"]),
        )


@pytest.mark.parametrize("case", V["tampered_consistency"], ids=lambda c: c["name"])
def test_tampered_consistency(case: dict[str, Any]) -> None:
    """Tampered consistency proofs raise, naming what failed."""
    with pytest.raises(ProofError, match=case["want_err"]):
        verify_consistency(
            case["old_size"],
            case["new_size"],
            [bytes.fromhex(p) for p in case["proof"]],
            bytes.fromhex(case["old_root"]),
            bytes.fromhex(case["new_root"]),
        )


def test_argument_errors() -> None:
    """Out-of-range requests for proofs and malformed hashes are refused."""
    sub = memory_subtree([leaf_hash(b"a")])
    with pytest.raises(ProofError, match="outside a tree of size 1"):
        inclusion_proof(1, 1, sub)
    with pytest.raises(ProofError, match="no consistency proof from size 0"):
        consistency_proof(0, 1, sub)
    assert consistency_proof(1, 1, sub) == []
    with pytest.raises(ProofError, match="leaf hash is 3 bytes"):
        verify_inclusion(b"abc", 0, 1, [], bytes(32))
    with pytest.raises(ProofError, match="old root hash is 0 bytes"):
        verify_consistency(1, 2, [bytes(32)], b"", bytes(32))
    verify_consistency(1, 1, [], leaf_hash(b"a"), leaf_hash(b"a"))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300), st.data())
def test_proofs_verify_property(size: int, data: st.DataObject) -> None:
    """For any size and index, the generated inclusion and consistency proofs verify, and a proof
    for one leaf never verifies another."""
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    sub = memory_subtree(hashes)
    root = root_from_leaf_hashes(hashes)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, sub)
    verify_inclusion(hashes[index], index, size, proof, root)
    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda j: j != index))
        with pytest.raises(ProofError):
            verify_inclusion(hashes[other], index, size, proof, root)
    old = data.draw(st.integers(1, size))
    verify_consistency(
        old, size, consistency_proof(old, size, sub), root_from_leaf_hashes(hashes[:old]), root
    )
