"""The coordinator's casework in the node's store: signals, the cases this node opened, and the
plaintext of their subjects. Every plaintext (an address, BSN or KvK number, a source, a description,
a reason) is sealed under the node's data key (:mod:`exchange.node.sealing`); a copy of the store
shows only which cases exist, their phases and the subjects' pseudonyms, which the hub knows too.
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exchange.node.sealing import DataKey, open_sealed, seal
from exchange.node.store import NodeBase, UtcDateTime


class SignalState(enum.StrEnum):
    OPEN = "open"
    CASE = "case"
    FORWARDED = "forwarded"
    CLOSED = "closed"


class SignalRow(NodeBase):
    """A signal recorded at the node's meldpunt. ``sealed`` holds its subject and texts as JSON."""

    __tablename__ = "node_signals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The id in the signal's address on the workspace: random, so ids say nothing about volumes.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary())
    #: The case opened from it, or the party it was forwarded to, once that happened.
    case_id: Mapped[str | None] = mapped_column(String(64), default=None)
    forwarded_to: Mapped[str | None] = mapped_column(String(64), default=None)
    #: Why it was closed without a case, sealed.
    closing_sealed: Mapped[bytes | None] = mapped_column(LargeBinary(), default=None)
    updated: Mapped[datetime] = mapped_column(UtcDateTime())


class CaseRow(NodeBase):
    """A case this node's coordinators opened: what the node shows in "Mijn casussen" without
    asking the hub, and the selection reason kept sealed until the move to preparation sends it."""

    __tablename__ = "node_cases"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    covenant: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(100))
    #: The phase the hub last reported.
    phase: Mapped[str] = mapped_column(String(32))
    opened: Mapped[datetime] = mapped_column(UtcDateTime())
    opened_by: Mapped[int] = mapped_column(Integer)
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("node_signals.id"), default=None)
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary(), default=None)
    #: The last hit/no-hit answers as JSON (providers, categories and states: no plaintext).
    hits: Mapped[str | None] = mapped_column(Text(), default=None)
    hits_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class CaseSubjectRow(NodeBase):
    """A subject's plaintext (sealed) behind the pseudonym the hub holds, for one case."""

    __tablename__ = "node_case_subjects"

    case_id: Mapped[str] = mapped_column(ForeignKey("node_cases.case_id"), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    sealed: Mapped[bytes] = mapped_column(LargeBinary())


def seal_json(key: DataKey, value: dict[str, Any]) -> bytes:
    return seal(key, json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def open_json(key: DataKey, sealed: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(open_sealed(key, sealed))
    return value
