"""The shared vocabulary of exchange: one definition of each term, used by every layer.

These are plain ``NewType`` aliases and small enums so that the decision engine, the envelope
metadata and the disclosure log spell the same field the same way.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NewType

PartyId = NewType("PartyId", str)
GroupId = NewType("GroupId", str)
Role = NewType("Role", str)
Purpose = NewType("Purpose", str)
Category = NewType("Category", str)
Article = NewType("Article", str)
LegalGround = NewType("LegalGround", str)
PolicyDigest = NewType("PolicyDigest", str)
CaseId = NewType("CaseId", str)
ItemId = NewType("ItemId", str)
TraceId = NewType("TraceId", str)
CovenantId = NewType("CovenantId", str)


class Phase(enum.StrEnum):
    """The phases of a case, in the order the casustafel protocol runs them."""

    SIGNAL = "signal"
    SELECTION = "selection"
    PREPARATION = "preparation"
    ACTION = "action"
    FOLLOW_UP = "follow-up"
    FEEDBACK = "feedback"
    CLOSED = "closed"


class Form(enum.StrEnum):
    """What a flow lets a provider give: only whether it holds data, or the data itself.

    ``content`` implies ``hit``: a party that may give the data may also say that it has it.
    """

    HIT = "hit"
    CONTENT = "content"


class Sensitivity(enum.StrEnum):
    """Sensitivity of a data category, which decides what a flow of it must cite."""

    ORDINARY = "ordinary"
    SPECIAL = "special"  # AVG art. 9
    CRIMINAL = "criminal"  # AVG art. 10
    BSN = "bsn"  # UAVG art. 46: only where a statute prescribes its use


@dataclass(frozen=True, slots=True, order=True)
class CovenantRef:
    """A covenant version: its id and version label, e.g. ``pit`` / ``2021``."""

    id: CovenantId
    version: str

    def __str__(self) -> str:
        return f"{self.id}/{self.version}"


@dataclass(frozen=True, slots=True)
class SubjectPseudonym:
    """A subject (address, person, company) as the hub sees it: a keyed hash and its key version."""

    key_version: int
    value: str

    def __str__(self) -> str:
        return f"v{self.key_version}:{self.value}"


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated request's party, the user it says acts, that user's role, and the signing key."""

    party: str
    user: str
    role: str
    kid: str
