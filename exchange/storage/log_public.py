"""What the log's HTTP routes read beside proofs: who an entry concerns, the cosignatures on a
checkpoint, and each witness's registration and last cosigned size."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange.storage.models import LogCosignature, LogEntry, LogWitness


@dataclass(frozen=True, slots=True)
class EntryParties:
    """The parties an entry names (actor, counterparty) and the case it is about, from its columns."""

    actor: str
    counterparty: str | None
    case: str | None


def entry_parties(session: Session, index: int) -> EntryParties | None:
    row = session.execute(
        select(LogEntry.actor_party, LogEntry.counterparty, LogEntry.case_id).where(LogEntry.idx == index)
    ).first()
    return None if row is None else EntryParties(row[0], row[1], row[2])


def entry_event(session: Session, index: int) -> bytes | None:
    value = session.execute(select(LogEntry.event).where(LogEntry.idx == index)).scalar_one_or_none()
    return None if value is None else bytes(value)


def cosignature_lines(session: Session, size: int) -> list[str]:
    """The stored (verified) cosignature lines on the checkpoint of ``size``, by witness name."""
    return list(
        session.execute(
            select(LogCosignature.line).where(LogCosignature.size == size).order_by(LogCosignature.witness)
        ).scalars()
    )


@dataclass(frozen=True, slots=True)
class WitnessView:
    name: str
    party: str
    public: bytes
    #: The largest size it cosigned, 0 before its first cosignature.
    cosigned: int


def witness(session: Session, name: str) -> WitnessView | None:
    row = session.get(LogWitness, name)
    if row is None:
        return None
    last = session.execute(
        select(func.max(LogCosignature.size)).where(LogCosignature.witness == name)
    ).scalar_one_or_none()
    return WitnessView(row.name, row.party, bytes(row.public), int(last or 0))


def has_cosignature(session: Session, name: str, size: int) -> bool:
    found = session.execute(
        select(LogCosignature.id).where(LogCosignature.witness == name, LogCosignature.size == size)
    ).first()
    return found is not None
