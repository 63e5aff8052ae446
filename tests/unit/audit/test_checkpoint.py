"""C2SP signed checkpoints and cosignatures: vectors, tampering, and consistency between checkpoints."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from exchange.audit.checkpoint import (
    SIG_COSIGNATURE_V1,
    Checkpoint,
    CheckpointError,
    NoteSigner,
    NoteVerifier,
    check_extends,
    cosign,
    key_id,
    open_checkpoint,
    parse_checkpoint,
    parse_note,
    sign_checkpoint,
    verify_cosignature,
)
from exchange.audit.merkle import consistency_proof, leaf_hash, memory_subtree, root_from_leaf_hashes
from exchange.crypto import sodium
from exchange.errors import InvalidInputError

V = json.loads((Path(__file__).parents[2] / "vectors" / "checkpoint-v1.json").read_text())
SIGNER = NoteSigner.from_seed(V["log_key"]["name"], bytes.fromhex(V["log_key"]["seed"]))
WPUB = base64.b64decode(V["witness_key"]["public"])


def test_known_signed_checkpoint() -> None:
    """Signing the vector checkpoint reproduces the vector byte for byte (Ed25519 is deterministic)."""
    assert base64.b64encode(SIGNER.public).decode() == V["log_key"]["public"]
    cp, note = open_checkpoint(V["signed"], SIGNER.verifier, "exchange.example/log/pit")
    assert cp.size == 8
    assert sign_checkpoint(cp, SIGNER).render() == V["signed"]
    assert note.signatures[0].key_id == key_id(SIGNER.name, 0x01, SIGNER.public)


def test_known_cosignature() -> None:
    """The vector cosignature verifies and carries its timestamp; the log signature still verifies."""
    _, note = open_checkpoint(V["cosigned"], SIGNER.verifier)
    witness_line = next(s for s in note.signatures if s.name == V["witness_key"]["name"])
    assert verify_cosignature(note.text, witness_line, WPUB) == V["cosignature_timestamp"]
    wpub, wsec = sodium.sign_keypair_from_seed(bytes.fromhex(V["witness_key"]["seed"]))
    again = cosign(note.text, V["witness_key"]["name"], wpub, wsec, V["cosignature_timestamp"])
    assert again == witness_line


@pytest.mark.parametrize("case", V["tampered"], ids=lambda c: c["name"])
def test_tampered_checkpoints(case: dict[str, Any]) -> None:
    """Tampered notes are refused with a message naming the problem."""
    with pytest.raises(CheckpointError, match=case["want_err"]):
        open_checkpoint(case["note"], SIGNER.verifier)


def test_wrong_log_key_and_origin() -> None:
    """A checkpoint signed by another key, or for another origin, is refused."""
    other = NoteSigner.from_seed(V["log_key"]["name"], bytes(32))
    with pytest.raises(CheckpointError, match="not signed by the log's key"):
        open_checkpoint(V["signed"], other.verifier)
    forged_key = NoteVerifier(SIGNER.name, other.public)
    with pytest.raises(CheckpointError):
        open_checkpoint(V["signed"], forged_key)
    with pytest.raises(CheckpointError, match="for origin"):
        open_checkpoint(V["signed"], SIGNER.verifier, "exchange.example/log/kit")


def test_forged_signature_from_known_key_fails() -> None:
    """A signature line with the log's name and key id but a wrong signature rejects the note."""
    note = parse_note(V["signed"])
    bad = V["signed"].replace(
        note.signatures[0].render().split(" ")[2].strip(),
        base64.b64encode(note.signatures[0].key_id + bytes(64)).decode(),
    )
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(bad, SIGNER.verifier)


def test_cosignature_errors() -> None:
    """Cosignatures from another key, of the wrong length or over other text are refused."""
    _, note = open_checkpoint(V["cosigned"], SIGNER.verifier)
    line = next(s for s in note.signatures if s.name == V["witness_key"]["name"])
    with pytest.raises(CheckpointError, match="not from this witness key"):
        verify_cosignature(note.text, line, SIGNER.public)
    short = type(line)(line.name, line.key_id, line.signature[:20])
    with pytest.raises(CheckpointError, match="wrong length"):
        verify_cosignature(note.text, short, WPUB)
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_cosignature(note.text.replace("\n8\n", "\n9\n"), line, WPUB)
    assert line.key_id == key_id(line.name, SIG_COSIGNATURE_V1, WPUB)
    with pytest.raises(InvalidInputError, match="may not contain spaces"):
        cosign(note.text, "bad name", WPUB, bytes(64), 1)
    with pytest.raises(InvalidInputError, match="out of range"):
        cosign(note.text, "w", WPUB, bytes(64), -1)
    with pytest.raises(InvalidInputError, match="may not contain spaces"):
        NoteSigner.from_seed("has space", bytes(32))


def test_parse_errors() -> None:
    """Structural errors in notes and checkpoints are named."""
    with pytest.raises(CheckpointError, match="too large"):
        parse_note("x" * 20000)
    with pytest.raises(CheckpointError, match="origin, a size and a root"):
        parse_checkpoint("origin\n5\n")
    with pytest.raises(CheckpointError, match="origin is empty"):
        parse_checkpoint("\n5\n" + base64.b64encode(bytes(32)).decode() + "\n")
    with pytest.raises(CheckpointError, match="root hash is not base64"):
        parse_checkpoint("o\n5\n!!!!\n")
    with pytest.raises(CheckpointError, match="extension line is empty"):
        parse_checkpoint("o\n5\n" + base64.b64encode(bytes(32)).decode() + "\n\n")
    with pytest.raises(CheckpointError, match="too short"):
        parse_note("o\n\n\u2014 k AAAA\n")
    with pytest.raises(CheckpointError, match="too many signatures"):
        parse_note("o\n\n" + "\u2014 k AAAAAAAA\n" * 65)
    cp = parse_checkpoint("o\n5\n" + base64.b64encode(bytes(32)).decode() + "\next\n")
    assert cp.extensions == ("ext",)
    assert Checkpoint("o", 5, bytes(32), ("ext",)).body().endswith("ext\n")


def test_check_extends() -> None:
    """A checkpoint extends an older one only with a valid proof, same origin, and no shrinking."""
    hashes = [leaf_hash(bytes([i])) for i in range(10)]
    sub = memory_subtree(hashes)
    old = Checkpoint("o", 4, root_from_leaf_hashes(hashes[:4]))
    new = Checkpoint("o", 10, root_from_leaf_hashes(hashes))
    check_extends(old, new, consistency_proof(4, 10, sub))
    check_extends(Checkpoint("o", 0, bytes(32)), new, [])
    with pytest.raises(CheckpointError, match="different logs"):
        check_extends(old, Checkpoint("x", 10, new.root), [])
    with pytest.raises(CheckpointError, match="shrank from 10 to 4"):
        check_extends(new, old, [])
    forked = Checkpoint("o", 10, root_from_leaf_hashes([*hashes[:9], leaf_hash(b"other")]))
    with pytest.raises(CheckpointError, match="not consistent with 4"):
        check_extends(old, forked, consistency_proof(4, 10, sub))
