"""Wire types of what a party node fetches from the hub: the inbox and forwarded signals (Pydantic).
Metadata only; a forward's content travels only as a sealed envelope (docs/specs/forwards.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from exchange.api.schemas import SEALED_MAX

_IDENT = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"
CASE_EXAMPLE = "case-5f0c2a9d81e34b7a"
FORWARD_EXAMPLE = "fwd-0f3c9a1e5b7d42c8a6e1f0b3c5d7e9a1"


class InboxRequestOut(BaseModel):
    id: str = Field(description="The enrichment request's id.", examples=["enr-6b1f0c2a9d81e34b"])
    case: str = Field(description="The case it was asked in.", examples=[CASE_EXAMPLE])
    category: str = Field(description="The data category asked for.", examples=["politie-incidenten"])
    purpose: str = Field(description="The case's purpose.", examples=["onrechtmatige-bewoning"])
    phase: str = Field(description="The case's phase now.", examples=["preparation"])
    covenant: str = Field(description="The case's covenant version.", examples=["pit/2021"])
    requested_by: str = Field(description="The party that asked.", examples=["helmond"])


class InboxItemOut(BaseModel):
    id: str = Field(description="The sealed item's or text's id.", examples=["itm-1", "txt-9f2c"])
    case: str = Field(description="The case it belongs to.", examples=[CASE_EXAMPLE])
    kind: str = Field(
        description="'item' for a dossier item, else the sealed text's kind.",
        examples=["item", "selection-reason"],
    )
    category: str | None = Field(
        description="A dossier item's data category; null for a text.", examples=["politie-incidenten"]
    )
    sender: str = Field(description="The party that sealed it.", examples=["politie-oost-brabant"])
    created: datetime = Field(description="When the hub stored it.", examples=["2026-11-30T10:00:00Z"])


class InboxActionOut(BaseModel):
    id: str = Field(description="The action point's id.", examples=["act-3e1f0c2a9d81"])
    case: str = Field(description="The case it belongs to.", examples=[CASE_EXAMPLE])
    kind: str = Field(description="What is to be done.", examples=["reinspection"])
    deadline: datetime = Field(description="When it is due.", examples=["2026-12-15T00:00:00Z"])
    overdue: bool = Field(description="The deadline has passed and it is still open.", examples=[False])


class InboxFeedbackOut(BaseModel):
    case: str = Field(description="A case whose outcome was fed back to the party.", examples=[CASE_EXAMPLE])
    decided: datetime = Field(description="When the outcome was recorded.", examples=["2026-11-30T10:00:00Z"])


class InboxForwardOut(BaseModel):
    id: str = Field(description="The forward's id, to open it.", examples=[FORWARD_EXAMPLE])
    sender: str = Field(description="The party whose coordinator forwarded it.", examples=["helmond"])
    purpose: str = Field(description="The purpose it was forwarded for.", examples=["uitkeringsfraude"])
    covenant: str = Field(description="The covenant version that allowed it.", examples=["pit/2021"])
    created: datetime = Field(description="When the hub stored it.", examples=["2026-11-30T10:00:00Z"])


class InboxOut(BaseModel):
    party: str = Field(description="The caller's party; an inbox shows only its own.", examples=["senzer"])
    at: datetime = Field(
        description="The hub's moment of this read (overdue as of then).", examples=["2026-11-30T16:00:00Z"]
    )
    enrichment_requests: list[InboxRequestOut] = Field(
        description="Open enrichment requests addressed to the party, in cases not closed.", examples=[[]]
    )
    items: list[InboxItemOut] = Field(
        description="Dossier items and sealed texts for the party that it has not read yet and that "
        "the caller's role may read now.",
        examples=[[]],
    )
    actions: list[InboxActionOut] = Field(
        description="Open action points the party owns, in cases not closed, earliest deadline first.",
        examples=[[]],
    )
    feedback: list[InboxFeedbackOut] = Field(
        description="Cases whose outcome was fed back to the party (it contributed an item).", examples=[[]]
    )
    forwards: list[InboxForwardOut] = Field(
        description="Signals forwarded to the party that it has not opened yet.", examples=[[]]
    )


class ForwardRecipientOut(BaseModel):
    party: str = Field(description="The recipient.", examples=["senzer"])
    kid: str = Field(description="Its current encryption key's id.", examples=["senzer-x25519-1"])
    public: str = Field(
        description="The base64url X25519 public key to seal the forward to.",
        examples=["Qm9ndXMga2V5IGZvciB0aGUgZXhhbXBsZSBvbmx5IQ"],
    )
    articles: list[str] = Field(description="The covenant articles of the allowing flow.", examples=[["7"]])


class ForwardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(pattern=_IDENT, description="The partner the signal belongs to.", examples=["senzer"])
    purpose: str = Field(pattern=_IDENT, description="The signal's purpose.", examples=["uitkeringsfraude"])
    covenant: str = Field(
        pattern=_IDENT, description="The covenant, with or without version.", examples=["pit", "pit/2021"]
    )
    envelope: str = Field(
        max_length=SEALED_MAX,
        description="Base64 of a dossier envelope v1 sealed for the recipient's keys "
        "(docs/specs/forwards.md); the hub cannot open it.",
        examples=["AQAAAC4..."],
    )


class ForwardOut(BaseModel):
    id: str = Field(description="The forward's id.", examples=[FORWARD_EXAMPLE])
    to: str = Field(description="The recipient.", examples=["senzer"])
    digest: str = Field(
        description="sha256 of the envelope without wraps, as the log records it.",
        examples=["sha256:" + "0" * 64],
    )
    log_index: int = Field(description="The forward event's index in the log.", examples=[1234])


class ForwardEnvelopeOut(BaseModel):
    id: str = Field(description="The forward's id.", examples=[FORWARD_EXAMPLE])
    sender: str = Field(description="The party that forwarded it.", examples=["helmond"])
    purpose: str = Field(description="Its purpose.", examples=["uitkeringsfraude"])
    covenant: str = Field(description="The covenant version that allowed it.", examples=["pit/2021"])
    envelope: str = Field(
        description="Base64 of the envelope with only the caller's wraps.", examples=["AQAAAC4..."]
    )
