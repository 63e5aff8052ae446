"""Wire types of the HTTP API (Pydantic). Domain types stay in the core; these only carry JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Ident = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")


class WhoAmI(BaseModel):
    party: str
    user: str
    role: str
    key_id: str


class DecisionIn(BaseModel):
    """A question to the covenant; the requester is the authenticated party and role."""

    model_config = ConfigDict(extra="forbid")
    provider: str = Ident
    category: str = Ident
    purpose: str = Ident
    phase: str = Ident
    covenant: str = Ident
    case: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")
    moment: datetime | None = None


class GrantOut(BaseModel):
    flow: str
    article: str
    ground: str
    form: str


class DecisionOut(BaseModel):
    allowed: bool
    form: str | None
    reason: str
    code: str
    covenant: str | None
    policy_digest: str | None
    articles: list[str]
    legal_grounds: list[str]
    grants: list[GrantOut]
    log_index: int


Pseudonym = Field(pattern=r"^v[0-9]+:[A-Za-z0-9_-]{43}$")


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    covenant: str = Ident
    purpose: str = Ident
    subjects: list[str] = Field(min_length=1, max_length=1000)


#: A sealed free text: base64 of a dossier envelope v1 (docs/specs/sealed-texts.md).
SEALED_MAX = 200_000


class TextRefOut(BaseModel):
    """That a free text was given, by whom and when; the text itself is sealed for the case's readers
    and fetched with ``GET /v1/cases/{id}/texts``."""

    given: bool = True
    by: str
    user: str
    at: datetime
    text_id: str


class ReviewOut(BaseModel):
    party: str
    reviewer: str
    verdict: str
    note: TextRefOut | None  # null for a review made before notes were sealed


class CaseOut(BaseModel):
    id: str
    covenant: str
    purpose: str
    phase: str
    coordinator: str
    parties: list[str]
    subjects: list[str]
    selection_reason: TextRefOut | None
    closing_reason: TextRefOut | None = None
    reviews: list[ReviewOut] = Field(default_factory=list)
    closed: bool


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party: str = Ident


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Ident
    #: The selection or closing reason, sealed by the client for the case's readers (base64).
    reason_sealed: str | None = Field(default=None, max_length=SEALED_MAX)
    #: Refused: free text is never sent in plaintext. Kept so the refusal can say what to do.
    reason: str | None = Field(default=None, max_length=SEALED_MAX)


class IndexIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    add: list[str] = Field(default_factory=list, max_length=100_000)
    remove: list[str] = Field(default_factory=list, max_length=100_000)


class IndexOut(BaseModel):
    added: int
    removed: int


class HitOut(BaseModel):
    subject: str
    provider: str
    category: str
    hit: bool = Field(
        description="True for state 'hit' only; kept for clients that read a boolean.", examples=[False]
    )
    state: Literal["hit", "no-hit", "no-index"] = Field(
        description=(
            "'hit': the provider's index for the category holds the subject; 'no-hit': its index does "
            "not; 'no-index': the provider has never published an index for the category, so the hub "
            "cannot say (docs/specs/hit-states.md)."
        ),
        examples=["no-index"],
    )
    form: str
    articles: list[str]
    log_index: int


class EnrichmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: str = Ident
    categories: list[str] = Field(min_length=1, max_length=50)


class RecipientOut(BaseModel):
    party: str
    kid: str
    public: str  # base64url X25519 public key to seal the item key to
    articles: list[str]


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    envelope: str = Field(max_length=1_500_000)  # base64 of a dossier envelope v1


class ItemsOut(BaseModel):
    items: list[str]  # base64 envelopes, each with only the caller's own wraps


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Ident
    owner: str = Ident
    deadline: datetime


class ActionUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Ident
    reason_sealed: str | None = Field(default=None, max_length=SEALED_MAX)
    reason: str | None = Field(default=None, max_length=SEALED_MAX)  # refused: seal it


class ActionOut(BaseModel):
    id: str
    kind: str
    owner: str
    deadline: datetime
    status: str
    reason: TextRefOut | None
    overdue: bool


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Ident


class FeedbackOut(BaseModel):
    outcome: str | None
    told: list[str] = Field(default_factory=list)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: str = Ident
    note_sealed: str | None = Field(default=None, max_length=SEALED_MAX)
    note: str | None = Field(default=None, max_length=SEALED_MAX)  # refused: seal it


class TextRecipientOut(BaseModel):
    party: str
    kid: str
    public: str  # base64url X25519 public key to seal the text's key to


class TextsOut(BaseModel):
    texts: list[str]  # base64 envelopes, each with only the caller's own wraps


class TicketOut(BaseModel):
    """Open ``url`` (relative to the service) in a browser within two minutes to sign in."""

    url: str
    expires: datetime


class AcknowledgementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: What the privacy officer checked and found; plain text, no control characters.
    note: str = Field(min_length=1, max_length=1000)


class AcknowledgedOut(BaseModel):
    user: str
    at: datetime
    note: str
    log_index: int


class AnomalyOut(BaseModel):
    """An anomaly flag of the caller's party: a window of one user's requests that meets a rule."""

    id: str
    kind: str
    party: str
    user: str | None
    start: datetime
    end: datetime
    first_index: int
    last_index: int
    requests: int
    subjects: int
    events: int
    detail: str
    acknowledged: AcknowledgedOut | None
