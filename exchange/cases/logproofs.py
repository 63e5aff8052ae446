"""The disclosure log for parties over HTTP: the latest signed checkpoint with its cosignatures,
inclusion proofs for a party's own events, consistency proofs, and witnesses' cosignatures
(docs/specs/disclosure-log.md, "The log over HTTP").

Who may see what: a consistency proof and a checkpoint say nothing about any event, so every
registered party may have them. An inclusion proof returns the event itself, so only a party the
event concerns gets one: the event's actor or counterparty, or a party of the case it is about.
Anyone else gets the same "not found" as for an index the log does not have (and is logged as a
refusal), so a party cannot learn which indexes hold other parties' events.
"""

from __future__ import annotations

from dataclasses import dataclass

from exchange.audit.checkpoint import EM_DASH, CheckpointError
from exchange.audit.merkle import leaf_hash
from exchange.cases.unit import Unit
from exchange.errors import ConflictError, DeniedError, InvalidInputError, NotFoundError
from exchange.storage import log_public
from exchange.storage.cases import CaseRepository
from exchange.storage.parties import signing_key


@dataclass(frozen=True, slots=True)
class InclusionProof:
    index: int
    size: int
    leaf_hash: bytes
    proof: list[bytes]
    #: The event's canonical bytes (RFC 8785), whose leaf hash is ``leaf_hash``.
    event: bytes


@dataclass(frozen=True, slots=True)
class Cosigned:
    witness: str
    size: int
    #: True when this cosignature was stored before (a retry): nothing changed.
    already: bool


class LogProofService:
    """Checkpoints, proofs and cosignatures, bound to one unit of work."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.session = unit.session
        self.log = unit.log

    def checkpoint(self) -> tuple[int, str]:
        """The newest signed checkpoint as a signed note, with every stored cosignature appended."""
        row = self.log.latest_checkpoint(self.session)
        if row is None:
            raise NotFoundError(
                "the log has no signed checkpoint yet; the operator signs one with 'exchange log checkpoint'"
            )
        lines = log_public.cosignature_lines(self.session, row.size)
        return row.size, row.note + "".join(lines)

    def inclusion(self, index: int, size: int | None) -> InclusionProof:
        """The audit path of entry ``index`` in the tree of ``size`` entries (default: the newest
        checkpoint's size), for a party the entry concerns."""
        if index < 0 or (size is not None and size < 1):
            raise InvalidInputError("'index' must be 0 or more and 'size' 1 or more")
        if size is None:
            row = self.log.latest_checkpoint(self.session)
            if row is None:
                raise NotFoundError("the log has no signed checkpoint yet; ask again with 'size'")
            size = row.size
        hidden = NotFoundError(
            f"the log has no entry {index} in a tree of {size} entries that concerns your party",
            code="not-found",
        )
        if size > self.log.size(self.session) or index >= size:
            raise hidden
        parties = log_public.entry_parties(self.session, index)
        if parties is None or not self._concerns(parties):
            raise hidden
        proof = self.log.prove_inclusion(self.session, index, size)
        event = log_public.entry_event(self.session, index)
        if event is None:  # pragma: no cover - entry_parties found the row in this transaction
            raise hidden
        return InclusionProof(index, size, leaf_hash(event), proof, event)

    def _concerns(self, entry: log_public.EntryParties) -> bool:
        party = self.unit.caller.party
        if party in (entry.actor, entry.counterparty):
            return True
        return entry.case is not None and CaseRepository(self.session).takes_part(entry.case, party)

    def consistency(self, old: int, new: int) -> list[bytes]:
        """RFC 9162 §2.1.4 proof that the tree of ``new`` entries extends the one of ``old``."""
        if not 0 <= old <= new:
            raise InvalidInputError("'from' and 'to' must satisfy 0 <= from <= to")
        size = self.log.size(self.session)
        if new > size:
            raise NotFoundError(f"the log has {size} entries, fewer than {new}")
        return self.log.prove_consistency(self.session, old, new) if old else []

    def cosign(self, name: str, old: int, size: int, line: str) -> Cosigned:
        """Store a witness's cosignature on the stored checkpoint of ``size``.

        As in c2sp.org/tlog-witness, ``old`` is the size the witness last cosigned and must equal
        the size the hub holds its last cosignature for (0 before the first): a mismatch is a
        conflict whose message names the hub's size, so a lost state on either side shows. A retry
        of a stored cosignature is answered as done. The first cosignature registers the witness
        name to the caller's party with the key that signed this request (as ``exchange log
        witness`` does with the party's current key).
        """
        if not line.startswith(EM_DASH + " ") or "\n" in line.rstrip("\n"):
            raise InvalidInputError("'cosignature' must be one signed-note line: '\u2014 <name> <base64>'")
        if line.split(" ")[1:2] != [name]:
            raise InvalidInputError(f"the cosignature line is not by the witness '{name}'")
        if old > size:
            raise InvalidInputError("'old' must not be larger than 'size'")
        caller = self.unit.caller
        known = log_public.witness(self.session, name)
        if known is not None and known.party != caller.party:
            raise DeniedError(f"the witness '{name}' is registered to another party", code="not-witness")
        if known is not None and log_public.has_cosignature(self.session, name, size):
            return Cosigned(name, size, already=True)
        cosigned = known.cosigned if known is not None else 0
        if old != cosigned:
            raise ConflictError(
                f"the hub holds the last cosignature of witness '{name}' at size {cosigned}, not {old}; "
                "check your witness state (a witness never cosigns a smaller size)"
            )
        if known is None:
            key = signing_key(self.session, caller.kid)
            if key is None:  # pragma: no cover - the request was just verified with this key
                raise NotFoundError("the key that signed this request is not registered")
            self.log.register_witness(self.session, name, caller.party, key.public)
        try:
            self.log.add_cosignature(self.session, size, line if line.endswith("\n") else line + "\n")
        except CheckpointError as exc:
            raise InvalidInputError(f"the cosignature was refused: {exc}") from None
        return Cosigned(name, size, already=False)
