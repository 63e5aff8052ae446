"""What the repositories return: typed, frozen read models, never ORM rows or ``dict[str, Any]``.

Use cases and pages read these; only :mod:`exchange.storage` knows the tables behind them. Codes,
party ids, dates and counts only: dossier content stays ciphertext, and no plaintext identifier is
ever stored, so none can appear here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from exchange.clock import as_utc


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case as a use case reads it: enough to decide and to log, without an ORM object."""

    id: str
    covenant: str
    purpose: str
    phase: str
    coordinator: str
    closed: datetime | None
    selection_text: str | None = None  # the sealed selection reason's id


@dataclass(frozen=True, slots=True)
class ReviewView:
    party: str
    reviewer: str
    verdict: str
    note_text: str | None  # the sealed note's id
    reviewed: datetime


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case's metadata as every participating party may read it."""

    case: CaseView
    parties: tuple[str, ...]
    subjects: tuple[str, ...]
    reviews: tuple[ReviewView, ...]
    texts: dict[str, TextInfo] = field(default_factory=dict)  # the case's sealed texts by id


@dataclass(frozen=True, slots=True)
class ActionView:
    id: str
    case_id: str
    kind: str
    owner: str
    deadline: datetime
    status: str
    reason_text: str | None  # a sealed reason's id
    overdue: bool


def action_view(
    id: str, case_id: str, kind: str, owner: str, deadline: datetime, status: str, reason_text: str | None,
    now: datetime,
) -> ActionView:  # fmt: skip
    """An action point as its readers see it; open past its deadline is overdue."""
    due = as_utc(deadline)
    return ActionView(id, case_id, kind, owner, due, status, reason_text, status == "open" and now > due)


@dataclass(frozen=True, slots=True)
class RecipientKey:
    """A party that may receive a category, and its current encryption key."""

    party: str
    kid: str
    public: bytes
    articles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PendingRequest:
    """An open enrichment request addressed to a provider, with the case's subject pseudonyms."""

    id: str
    case: str
    category: str
    purpose: str
    phase: str
    covenant: str
    requested_by: str
    subjects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoredItem:
    """A sealed dossier item with the wraps one reader may use."""

    id: str
    provider: str
    category: str
    header: bytes
    ciphertext: bytes
    signature: bytes
    wraps: tuple[tuple[str, bytes], ...]


# -- the case table's pages ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseSummary:
    id: str
    covenant: str
    purpose: str
    phase: str
    coordinator: str
    created: datetime
    closed: datetime | None
    subjects: int
    parties: int
    outcome: str | None
    open_actions: int
    overdue_actions: int


@dataclass(frozen=True, slots=True)
class HitCount:
    """Hit/no-hit answers one party received for a (provider, category), latest per subject."""

    provider: str
    category: str
    hit: int
    no_hit: int
    no_index: int = 0  # answers while the provider had published no index for the category


@dataclass(frozen=True, slots=True)
class RequestSummary:
    requested_by: str
    provider: str
    category: str
    created: datetime
    answered: datetime | None


@dataclass(frozen=True, slots=True)
class ItemSummary:
    id: str
    provider: str
    category: str
    created: datetime
    for_me: bool
    until: datetime | None
    shredded: datetime | None


@dataclass(frozen=True, slots=True)
class CaseDetail:
    """One case as a participating party may see it in the console."""

    case: CaseSummary
    selection_text: str | None
    parties: tuple[str, ...]
    reviews: tuple[ReviewView, ...]
    hits: tuple[HitCount, ...]
    queried_at: datetime | None
    requests: tuple[RequestSummary, ...]
    items: tuple[ItemSummary, ...]
    actions: tuple[ActionView, ...]
    told: tuple[str, ...]
    texts: dict[str, TextInfo] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FeedbackStatus:
    """For a case past its action: the outcome fed back and which contributors were told."""

    id: str
    purpose: str
    phase: str
    coordinator: str
    outcome: str | None
    decided: datetime | None
    contributors: tuple[str, ...]
    untold: tuple[str, ...]


# -- what the annual report counts -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActedCase:
    case_id: str
    coordinator: str
    purpose: str
    parties: tuple[str, ...]
    outcome: str | None
    contributors: tuple[str, ...]  # parties that provided items, the coordinator excluded
    told: tuple[str, ...]  # parties the outcome was fed back to


@dataclass(frozen=True, slots=True)
class ActionPointFact:
    kind: str
    owner: str
    deadline: datetime
    status: str  # open | done | cancelled
    updated: datetime


@dataclass(frozen=True, slots=True)
class DecisionFact:
    allowed: bool
    articles: tuple[str, ...]
    reason_code: str | None


@dataclass(slots=True)
class YearRecords:
    party: str
    year: int
    acted: list[ActedCase] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)  # outcome codes recorded in the year
    action_points: list[ActionPointFact] = field(default_factory=list)  # due in the year
    contributions: list[str] = field(default_factory=list)  # provider of each item stored in the year
    decisions: list[DecisionFact] = field(default_factory=list)
    #: Findings registered in the year, as (category, violation code, count): counts only.
    violations: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AcknowledgementView:
    """Who acknowledged an anomaly flag, when, with which note, and the log entry that records it."""

    flag_id: str
    party: str
    user: str
    note: str
    acknowledged: datetime
    log_index: int


@dataclass(frozen=True, slots=True)
class TextInfo:
    """That a sealed free text was given in a case: by whom and when, never what it says."""

    id: str
    kind: str
    author_party: str
    author_user: str
    created: datetime


@dataclass(frozen=True, slots=True)
class StoredText:
    """A sealed free text as one reader receives it: header, ciphertext, signature, its own wraps."""

    id: str
    kind: str
    author_party: str
    digest: str
    header: bytes
    ciphertext: bytes
    signature: bytes
    wraps: tuple[tuple[str, bytes], ...]
