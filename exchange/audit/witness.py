"""The witness side of the log, run by a party: check a new checkpoint extends the last one it saw,
then cosign it (c2sp.org/tlog-cosignature). A party that witnesses regularly makes a split view or a
rewritten history detectable: the log cannot show it one history and a privacy officer another.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from exchange.audit.checkpoint import (
    Checkpoint,
    NoteVerifier,
    SignatureLine,
    check_extends,
    cosign,
    open_checkpoint,
)
from exchange.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class WitnessState:
    """The last checkpoint this witness cosigned."""

    origin: str
    size: int
    root: bytes

    def to_json(self) -> str:
        return json.dumps(
            {"origin": self.origin, "size": self.size, "root": base64.b64encode(self.root).decode()}
        )

    @classmethod
    def from_json(cls, text: str) -> WitnessState:
        try:
            d = json.loads(text)
            return cls(str(d["origin"]), int(d["size"]), base64.b64decode(d["root"], validate=True))
        except (KeyError, TypeError, ValueError):
            raise InvalidInputError("the witness state file is damaged") from None


def witness(
    signed_note: str,
    proof: list[bytes],
    state: WitnessState | None,
    log_key: NoteVerifier,
    name: str,
    public: bytes,
    secret: bytes,
    timestamp: int,
) -> tuple[WitnessState, SignatureLine]:
    """Verify the log's signature and consistency with ``state``; return the new state and a cosignature.

    Raises :class:`~exchange.audit.checkpoint.CheckpointError` when the checkpoint is not signed by the
    log, is for another log, or does not extend what this witness saw before.
    """
    cp, note = open_checkpoint(signed_note, log_key, state.origin if state else None)
    if state is not None:
        check_extends(Checkpoint(state.origin, state.size, state.root), cp, proof)
    return WitnessState(cp.origin, cp.size, cp.root), cosign(note.text, name, public, secret, timestamp)
