"""RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing and proofs, section 2.1.

Pure: no storage, no I/O. Proof generation takes a ``subtree`` callback returning MTH(D[start:end]),
so a store that keeps the hashes of complete subtrees answers each proof with O(log n) lookups
instead of recomputing the tree. Verification follows the algorithms of RFC 9162 §2.1.3.2 and
§2.1.4.2 literally, and raises :class:`ProofError` on failure; it never returns False.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from exchange.errors import VerificationError

LEAF_HASH_PREFIX = b"\x00"
NODE_HASH_PREFIX = b"\x01"
HASH_SIZE = 32

#: MTH(D[start:end]) for 0 <= start < end <= size.
SubtreeHash = Callable[[int, int], bytes]


class ProofError(VerificationError):
    """An inclusion or consistency proof does not verify."""


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(LEAF_HASH_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_HASH_PREFIX + left + right).digest()


def empty_root() -> bytes:
    """MTH({}) = SHA-256() of the empty string."""
    return hashlib.sha256(b"").digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH over leaves given as leaf hashes."""
    if not hashes:
        return empty_root()
    return _mth(hashes, 0, len(hashes))


def _mth(hashes: Sequence[bytes], start: int, end: int) -> bytes:
    n = end - start
    if n == 1:
        return hashes[start]
    k = split_point(n)
    return node_hash(_mth(hashes, start, start + k), _mth(hashes, start + k, end))


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf data."""
    return root_from_leaf_hashes([leaf_hash(d) for d in leaves])


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The complete subtrees (level, index) whose hashes make up MTH(D[start:end]) by the RFC's split.

    A store that keeps complete subtrees fetches exactly these to answer a root or proof query.
    """
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return [(level, start >> level)]
    k = split_point(n)
    return perfect_subtrees(start, start + k) + perfect_subtrees(start + k, end)


def memory_subtree(hashes: Sequence[bytes]) -> SubtreeHash:
    """A subtree oracle over leaf hashes held in memory (tests, small logs)."""
    return lambda start, end: _mth(hashes, start, end)


def _check_index(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")


def inclusion_proof(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1."""
    _check_index(index, size)
    path: list[bytes] = []
    start, end, m = 0, size, index
    # Walk down from the root; record the sibling subtree at each level, then reverse (leaf first).
    while end - start > 1:
        k = split_point(end - start)
        if m < k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start, m = start + k, m - k
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, subtree: SubtreeHash) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1; empty when the sizes are equal."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size == new_size:
        return []
    proof: list[bytes] = []
    start, end, m, complete = 0, new_size, old_size, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            proof.append(subtree(start + k, end))
            end = start + k
        else:
            proof.append(subtree(start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        proof.append(subtree(start, end))
    proof.reverse()
    return proof


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2: raise unless ``leaf`` (a leaf hash) is at ``index`` of the tree ``root``."""
    _check_index(index, size)
    _check_hash(leaf, "leaf hash")
    _check_hash(root, "root hash")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        _check_hash(p, "proof element")
        if sn == 0:
            raise ProofError("inclusion proof has too many elements")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof has too few elements")
    if r != root:
        raise ProofError("inclusion proof does not lead to the root hash")


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """RFC 9162 §2.1.4.2: raise unless the tree ``new_root`` extends the tree ``old_root``."""
    _check_hash(old_root, "old root hash")
    _check_hash(new_root, "new root hash")
    if not 0 < old_size <= new_size:
        raise ProofError(f"no consistency from size {old_size} to size {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError("equal sizes with different root hashes: the log forked")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    for p in proof:
        _check_hash(p, "proof element")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof has too many elements")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof has too few elements")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root hash")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root hash")
