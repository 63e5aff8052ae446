"""Wire types of the HTTP API (Pydantic). Domain types stay in the core; these only carry JSON.

Every field has a description and an example (:func:`F`), so the OpenAPI document at
``/openapi.json`` explains itself; ``tests/integration/test_openapi.py`` keeps it that way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

IDENT = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"
PSEUDONYM = r"^v[0-9]+:[A-Za-z0-9_-]{43}$"
#: A sealed free text: base64 of a dossier envelope v1 (docs/specs/sealed-texts.md).
SEALED_MAX = 200_000

SUBJECT_EXAMPLE = "v1:KXfsiYLC-_oXZ-l23DKAUBL4dKMb-hnpXBSvJEO8CXs"
CASE_EXAMPLE = "case-3f2a9c01d4e5b6a7"
SEALED_EXAMPLE = "ZXhjaGFuZ2UtZW52ZWxvcGUtdjEu..."
MOMENT_EXAMPLE = "2026-11-30T10:15:00Z"


def F(description: str, example: Any, default: Any = ..., **constraints: Any) -> Any:
    """A documented field: what it means, one example, and its constraints."""
    return Field(default, description=description, examples=[example], **constraints)


#: An identifier field without documentation; prefer :func:`Id`.
Ident = Field(pattern=IDENT)


def Id(description: str, example: str, default: Any = ...) -> Any:
    """An identifier field (party, category, purpose, phase, covenant...)."""
    return F(description, example, default, pattern=IDENT)


def SealedText(what: str) -> Any:
    return F(
        f"The {what}, sealed by the client for the case's readers (base64 of a dossier envelope v1; "
        "docs/specs/sealed-texts.md). The hub never sees it in plaintext.",
        SEALED_EXAMPLE,
        None,
        max_length=SEALED_MAX,
    )


def PlainTextRefused(what: str) -> Any:
    return F(
        f"Refused when given: the {what} is never sent in plaintext. Kept so the refusal can say "
        f"to seal it ({what}_sealed).",
        None,
        None,
        max_length=SEALED_MAX,
    )


class WhoAmI(BaseModel):
    party: str = F("The party whose key signed the request", "helmond")
    user: str = F("The acting user, as the party's software asserts it (Exchange-User)", "u-17")
    role: str = F("The role the user acts in (Exchange-Role)", "coordinator")
    key_id: str = F("The id of the Ed25519 key that signed", "ed25519:3kq9...")


class DecisionIn(BaseModel):
    """A question to the covenant; the requester is the authenticated party and role."""

    model_config = ConfigDict(extra="forbid")
    provider: str = Id("The party that would provide the data", "senzer")
    category: str = Id("The data category, as in the covenant files", "bijstand-status")
    purpose: str = Id("The purpose it would be used for", "uitkeringsfraude")
    phase: str = Id("The case phase it would be used in", "action")
    covenant: str = Id("The covenant id (or id/version)", "pit")
    case: str | None = Id("The case the question is about, if any", CASE_EXAMPLE, None)
    moment: datetime | None = F(
        "Decide as at this moment (with a time zone); now if absent", MOMENT_EXAMPLE, None
    )


class GrantOut(BaseModel):
    flow: str = F("The covenant flow that allows it", "bijstand-naar-gemeenten")
    article: str = F("The covenant article of that flow", "7")
    ground: str = F("The legal ground the flow cites", "Participatiewet art. 64")
    form: str = F("'content' (the data) or 'hit' (only whether the provider holds data)", "content")


class DecisionOut(BaseModel):
    allowed: bool = F("Whether the covenant allows it; a denial is an answer, not an error", True)
    form: str | None = F("'content' or 'hit' when allowed; null when denied", "content")
    reason: str = F(
        "Why, for a person: the article and ground, or what is missing", "allowed by PIT 2021 art. 7"
    )
    code: str = F("Why, for software: 'allowed' or a denial code such as 'role-not-held'", "allowed")
    covenant: str | None = F("The covenant version that decided (id/version)", "pit/2021")
    policy_digest: str | None = F("The digest of the compiled policy that decided", "sha256:f7b4...")
    articles: list[str] = F("The covenant articles the decision rests on", ["7"])
    legal_grounds: list[str] = F("The legal grounds the decision rests on", ["Participatiewet art. 64"])
    grants: list[GrantOut] = F("Every flow that allows it", [])
    log_index: int = F("The index of the decision's event in the disclosure log", 1042)


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    covenant: str = Id("The covenant the case runs under", "pit")
    purpose: str = Id("The case's purpose, one of the covenant's", "onrechtmatige-bewoning")
    subjects: list[str] = F(
        "The subjects (addresses) as pseudonyms under the covenant's key: 'v<version>:' and 43 "
        "base64url characters; never plaintext",
        [SUBJECT_EXAMPLE],
        min_length=1,
        max_length=1000,
    )


class TextRefOut(BaseModel):
    """That a free text was given, by whom and when; the text itself is sealed for the case's readers
    and fetched with ``GET /v1/cases/{id}/texts``."""

    given: bool = F("Always true: a text was given", True, True)
    by: str = F("The party that gave it", "helmond")
    user: str = F("The user that gave it", "coord-1")
    at: datetime = F("When it was given", MOMENT_EXAMPLE)
    text_id: str = F("The sealed text's id, to find it among the case's texts", "txt-5e0c1d2b3a49")


class ReviewOut(BaseModel):
    party: str = F("The jurist's party", "helmond")
    reviewer: str = F("The jurist's user id", "jur-2")
    verdict: str = F("'approved' or 'concerns'", "approved")
    note: TextRefOut | None = F(
        "The sealed review note; null for a review made before notes were sealed", None
    )


class CaseOut(BaseModel):
    id: str = F("The case id", CASE_EXAMPLE)
    covenant: str = F("The covenant version (id/version)", "pit/2021")
    purpose: str = F("The case's purpose", "onrechtmatige-bewoning")
    phase: str = F("The current phase", "selection")
    coordinator: str = F("The coordinating party", "helmond")
    parties: list[str] = F("The participating parties", ["helmond", "senzer"])
    subjects: list[str] = F("The subjects' pseudonyms", [SUBJECT_EXAMPLE])
    selection_reason: TextRefOut | None = F("The sealed selection reason, once given", None)
    closing_reason: TextRefOut | None = F("The sealed closing reason, once closed", None, None)
    reviews: list[ReviewOut] = Field(
        default_factory=list, description="The jurists' selection reviews", examples=[[]]
    )
    closed: bool = F("Whether the case is closed", False)


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party: str = Id("The party to add to the case (a party of the covenant)", "senzer")


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Id("The phase to move to", "selection")
    reason_sealed: str | None = SealedText("selection or closing reason")
    reason: str | None = PlainTextRefused("reason")


class IndexIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    add: list[str] = Field(
        default_factory=list,
        max_length=100_000,
        description="Pseudonyms to add to the party's own index for the category",
        examples=[[SUBJECT_EXAMPLE]],
    )
    remove: list[str] = Field(
        default_factory=list,
        max_length=100_000,
        description="Pseudonyms to remove from it",
        examples=[[]],
    )


class IndexOut(BaseModel):
    added: int = F("How many pseudonyms were added", 1)
    removed: int = F("How many were removed", 0)


class HitOut(BaseModel):
    subject: str = F("The subject's pseudonym", SUBJECT_EXAMPLE)
    provider: str = F("The party whose index was asked", "senzer")
    category: str = F("The data category", "bijstand-status")
    hit: bool = F("True for state 'hit' only; kept for clients that read a boolean", False)
    state: Literal["hit", "no-hit", "no-index"] = F(
        "'hit': the provider's index for the category holds the subject; 'no-hit': its index does "
        "not; 'no-index': the provider has never published an index for the category, so the hub "
        "cannot say (docs/specs/hit-states.md)",
        "no-index",
    )
    form: str = F("What the covenant allows next: 'hit' (only this answer) or 'content'", "hit")
    articles: list[str] = F("The covenant articles that allow the question", ["7"])
    log_index: int = F("The index of this answer's event in the disclosure log", 1043)


class EnrichmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: str = Id("The party asked to provide data", "politie-oost-brabant")
    categories: list[str] = F("The categories asked for", ["politie-incidenten"], min_length=1, max_length=50)


class RecipientOut(BaseModel):
    party: str = F("A party the item may be sealed to", "helmond")
    kid: str = F("The id of its current X25519 sealing key", "x25519:7d0c...")
    public: str = F("The base64url X25519 public key to seal the item key to", "mC3x...")
    articles: list[str] = F("The covenant articles that let it receive the category", ["6"])


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    envelope: str = F(
        "A sealed dossier item: base64 of a dossier envelope v1 (docs/specs/dossier-envelope.md)",
        SEALED_EXAMPLE,
        max_length=1_500_000,
    )


class ItemsOut(BaseModel):
    items: list[str] = F("Base64 envelopes, each with only the caller's own wraps", [SEALED_EXAMPLE])


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Id("What is to be done", "reinspection")
    owner: str = Id("The participating party that owns it", "politie-oost-brabant")
    deadline: datetime = F("When it must be done (in the future)", "2026-12-14T17:00:00Z")


class ActionUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Id("The new status: 'open', 'done' or 'cancelled'", "done")
    reason_sealed: str | None = SealedText("reason (required once the action point is overdue)")
    reason: str | None = PlainTextRefused("reason")


class ActionOut(BaseModel):
    id: str = F("The action point's id", "act-5074e590cf08")
    kind: str = F("What is to be done", "reinspection")
    owner: str = F("The party that owns it", "politie-oost-brabant")
    deadline: datetime = F("When it must be done", "2026-12-14T17:00:00Z")
    status: str = F("'open', 'done' or 'cancelled'", "open")
    reason: TextRefOut | None = F("The sealed reason, when one was given", None)
    overdue: bool = F("Whether it is open past its deadline", False)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Id("The case's abstracted outcome code", "no-action")


class FeedbackOut(BaseModel):
    outcome: str | None = F("The case's abstracted outcome, once given", "no-action")
    told: list[str] = Field(
        default_factory=list, description="The parties told the outcome", examples=[["senzer"]]
    )


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: str = Id("'approved' or 'concerns'", "approved")
    note_sealed: str | None = SealedText("review note")
    note: str | None = PlainTextRefused("note")


class TextRecipientOut(BaseModel):
    party: str = F("A party that reads the case's free text", "helmond")
    kid: str = F("The id of its current X25519 sealing key", "x25519:7d0c...")
    public: str = F("The base64url X25519 public key to seal the text's key to", "mC3x...")


class TextsOut(BaseModel):
    texts: list[str] = F("Base64 envelopes, each with only the caller's own wraps", [SEALED_EXAMPLE])


class TicketOut(BaseModel):
    """Open ``url`` (relative to the service) in a browser within two minutes to sign in."""

    url: str = F("The one-time sign-in link, relative to the service", "/console/login?ticket=3Ia1...")
    expires: datetime = F("When the link stops working", MOMENT_EXAMPLE)


class AcknowledgementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = F(
        "What the privacy officer checked and found; plain text, no control characters",
        "Checked with the team lead: a planned action day.",
        min_length=1,
        max_length=1000,
    )


class AcknowledgedOut(BaseModel):
    user: str = F("The privacy officer who acknowledged it", "po-1")
    at: datetime = F("When", MOMENT_EXAMPLE)
    note: str = F("The acknowledgement's note", "Checked with the team lead: a planned action day.")
    log_index: int = F("The index of the acknowledgement's event in the disclosure log", 2210)


class AnomalyOut(BaseModel):
    """An anomaly flag of the caller's party: a window of one user's requests that meets a rule."""

    id: str = F("The flag's id", "an-" + "0" * 32)
    kind: str = F(
        "The rule it meets: 'outside-case', 'phase-not-covered', 'burst' or 'repeated-denials'", "burst"
    )
    party: str = F("The user's party (the caller's)", "helmond")
    user: str | None = F("The user, when the rule is about one", "u-17")
    start: datetime = F("The window's start", MOMENT_EXAMPLE)
    end: datetime = F("The window's end", MOMENT_EXAMPLE)
    first_index: int = F("The first log index in the window", 1000)
    last_index: int = F("The last log index in the window", 1200)
    requests: int = F("How many requests the user made in it", 240)
    subjects: int = F("How many distinct subjects they touched", 210)
    events: int = F("How many log events they caused", 240)
    detail: str = F("What the rule found, for a person", "240 requests in 10 minutes (threshold 200)")
    acknowledged: AcknowledgedOut | None = F("The acknowledgement, once given", None)
