"""Signed checkpoints of the disclosure log and the witnesses that cosign them.

The log signs a checkpoint (c2sp.org/tlog-checkpoint) only if it extends the previous one; parties
witness checkpoints and their cosignatures (c2sp.org/tlog-cosignature) are stored beside them, so a
verifier can later check that the log still contains what parties saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    NoteSigner,
    check_extends,
    open_checkpoint,
    parse_note,
    sign_checkpoint,
    verify_cosignature,
)
from exchange.errors import ConflictError, NotFoundError
from exchange.storage.log_proofs import prove_consistency, root_at
from exchange.storage.models import LogCheckpoint, LogCosignature, LogHead, LogWitness


def log_size(session: Session) -> int:
    return int(session.execute(select(LogHead.size).where(LogHead.id == 1)).scalar_one())


def latest_checkpoint(session: Session) -> LogCheckpoint | None:
    return session.execute(
        select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)
    ).scalar_one_or_none()


def sign_next(session: Session, origin: str, signer: NoteSigner, now: datetime) -> LogCheckpoint:
    """Sign a checkpoint at the current size, refusing one inconsistent with the previous."""
    size = log_size(session)
    root = root_at(session, size)
    previous = latest_checkpoint(session)
    cp = Checkpoint(origin, size, root)
    if previous is not None:
        if previous.size == size:
            if previous.root != root:
                raise ConflictError("the log's root changed without new entries: the log was altered")
            return previous
        prev_cp, _ = open_checkpoint(previous.note, signer.verifier, origin)
        proof = prove_consistency(session, previous.size, size) if previous.size else []
        try:
            check_extends(prev_cp, cp, proof)
        except CheckpointError as exc:
            raise ConflictError(f"refusing to sign: {exc}") from None
    row = LogCheckpoint(size=size, root=root, note=sign_checkpoint(cp, signer).render(), created=now)
    session.add(row)
    session.flush()
    return row


def register_witness(session: Session, name: str, party: str, public: bytes) -> None:
    existing = session.get(LogWitness, name)
    if existing is not None:
        if existing.public != public or existing.party != party:
            raise ConflictError(f"witness '{name}' is registered with another key")
        return
    session.add(LogWitness(name=name, party=party, public=public))
    session.flush()


def add_cosignature(session: Session, size: int, line_text: str) -> LogCosignature:
    """Store a witness's cosignature on the stored checkpoint of ``size`` after verifying it."""
    cp = session.get(LogCheckpoint, size)
    if cp is None:
        raise NotFoundError(f"there is no checkpoint at size {size}")
    note = parse_note(cp.note + line_text if line_text.startswith("\u2014") else cp.note)
    line = note.signatures[-1]
    witness = session.get(LogWitness, line.name)
    if witness is None:
        raise NotFoundError(f"'{line.name}' is not a registered witness")
    timestamp = verify_cosignature(note.text, line, witness.public)
    row = LogCosignature(size=size, witness=witness.name, line=line.render(), timestamp=timestamp)
    session.add(row)
    session.flush()
    return row


def witnessed(session: Session) -> list[tuple[str, str, int]]:
    """(witness name, party, largest size it cosigned)."""
    rows = session.execute(
        select(LogWitness.name, LogWitness.party, func.max(LogCosignature.size))
        .join(LogCosignature, LogCosignature.witness == LogWitness.name, isouter=True)
        .group_by(LogWitness.name, LogWitness.party)
        .order_by(LogWitness.name)
    ).all()
    return [(r[0], r[1], int(r[2]) if r[2] is not None else 0) for r in rows]


@dataclass(frozen=True, slots=True)
class StoredCosignature:
    """A witness's cosignature as stored, with the witness's registered key; values unchecked."""

    witness: str
    public: object  # the stored key; a verifier checks it is 32 bytes
    size: object  # the cosigned tree size; a verifier checks it is an integer
    line: object  # the rendered signature line


def newest_cosignatures(session: Session) -> list[StoredCosignature]:
    """The newest stored cosignature of each witness, as stored: verification checks the values.

    The newest is enough: a witness cosigns a size only after checking it extends the last one it
    cosigned (c2sp.org/tlog-witness), so the root at the newest size vouches for everything before.
    """
    rows = session.connection().exec_driver_sql(
        "SELECT c.witness, w.public, c.size, c.line FROM log_cosignatures c"
        " JOIN (SELECT witness, MAX(size) AS size FROM log_cosignatures GROUP BY witness) m"
        " ON m.witness = c.witness AND m.size = c.size"
        " LEFT JOIN log_witnesses w ON w.name = c.witness ORDER BY c.witness"
    )
    return [StoredCosignature(r[0], _plain(r[1]), r[2], r[3]) for r in rows]


def _plain(value: object) -> object:
    # psycopg hands out memoryview for binary columns.
    return bytes(value) if isinstance(value, memoryview) else value
