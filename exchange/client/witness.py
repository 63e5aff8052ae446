"""Witnessing the hub's log over HTTP (in the spirit of c2sp.org/tlog-witness): fetch the newest
checkpoint and a consistency proof from the size this witness last cosigned, verify both against the
saved state, cosign, and post the cosignature. The state is saved only after the hub took it.

No database is needed: this is what a party runs from its own network, e.g. every few minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

from exchange.audit.checkpoint import NoteVerifier, open_checkpoint
from exchange.audit.witness import WitnessState, witness
from exchange.client.http import ExchangeClient
from exchange.client.log import LogAnswerError, consistency_proof
from exchange.errors import VerificationError


@dataclass(frozen=True, slots=True)
class WitnessKey:
    """The witness's key name and Ed25519 key pair (a party witnesses with its signing key)."""

    name: str
    public: bytes
    secret: bytes


def witness_over_http(
    client: ExchangeClient,
    log_key: NoteVerifier,
    state: WitnessState | None,
    key: WitnessKey,
    timestamp: int,
) -> WitnessState:
    """Cosign the hub's newest checkpoint if it extends ``state``; return the new state to save.

    Raises :class:`~exchange.audit.checkpoint.CheckpointError` when the checkpoint is not signed by
    the log, is for another log, is smaller than ``state`` (rolled back) or does not extend it (a
    fork); nothing is posted then.
    """
    r = client.get("/v1/log/checkpoint")
    if r.status_code != 200:
        raise LogAnswerError("the log's checkpoint", r)
    note = r.text
    cp, _ = open_checkpoint(note, log_key, state.origin if state else log_key.name)
    proof = consistency_proof(client, state.size, cp.size) if state and 0 < state.size < cp.size else []
    new_state, line = witness(note, proof, state, log_key, key.name, key.public, key.secret, timestamp)
    old = state.size if state else 0
    body = {"name": key.name, "old": old, "size": cp.size, "cosignature": line.render()}
    posted = client.post("/v1/log/witness", body)
    if posted.status_code != 200:
        raise LogAnswerError("posting the cosignature", posted)
    if posted.json().get("size") != cp.size:
        raise VerificationError("the hub acknowledged another checkpoint size than the one cosigned")
    return new_state
