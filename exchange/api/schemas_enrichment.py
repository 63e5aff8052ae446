"""Wire types of a case's enrichment requests as listed for one of its parties."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class CaseRequestOut(BaseModel):
    id: str = Field(description="The request's id", examples=["enr-4f1c2a9b0d3e5f67"])
    requested_by: str = Field(description="The party that asked", examples=["helmond"])
    provider: str = Field(description="The party asked to provide the category", examples=["senzer"])
    category: str = Field(description="The category asked for", examples=["bijstand-status"])
    created: datetime = Field(description="When it was asked (UTC)", examples=["2026-12-01T09:00:00Z"])
    answered: datetime | None = Field(
        description="When the provider sent its answer (UTC); null while it waits",
        examples=["2026-12-01T10:30:00Z"],
    )
    state: Literal["waiting", "answered"] = Field(
        description="waiting: not answered yet; answered: the provider sent an item", examples=["waiting"]
    )


class CaseRequestsOut(BaseModel):
    requests: list[CaseRequestOut] = Field(
        description="The case's requests the caller's party made or was asked, oldest first",
        examples=[[]],
    )
