"""Wire types of the HTTP API (Pydantic). Domain types stay in the core; these only carry JSON."""

from __future__ import annotations

from datetime import datetime

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
