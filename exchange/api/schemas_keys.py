"""Wire types of the key directory, key publication and joins (Pydantic). Only JSON lives here."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

IDENT = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"
KID_EXAMPLE = "ed25519_3f9a0c4e1b2d5a6f7e8d9c0b"
PUBLIC_EXAMPLE = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5"


class KeyOut(BaseModel):
    """One registered public key of a party in the caller's covenants."""

    party: str = Field(description="The party that registered the key.", examples=["senzer"])
    kid: str = Field(
        description="Key id: the algorithm and the first 24 hex digits of SHA-256 over "
        "'exchange-kid-v1', the algorithm and the public key; a client recomputes and checks it.",
        examples=[KID_EXAMPLE],
    )
    algorithm: str = Field(
        description="ed25519 (signing) or x25519 (sealing).", examples=["ed25519", "x25519"]
    )
    version: int = Field(description="The party's key version the key belongs to.", examples=[2])
    status: str = Field(
        description="current, retired (verifies what was stored before retired_at) or destroyed "
        "(its secret is erased; the public key stays to verify older signatures).",
        examples=["current", "retired"],
    )
    public: str = Field(
        description="The 32-byte public key, base64url without padding.", examples=[PUBLIC_EXAMPLE]
    )
    registered: datetime = Field(
        description="When the hub registered the key (its own clock).", examples=["2026-11-30T10:00:00Z"]
    )
    retired_at: datetime | None = Field(
        description="When the hub retired or destroyed the key (its own clock); null while current.",
        examples=[None, "2026-12-01T09:30:00Z"],
    )


class DirectoryOut(BaseModel):
    keys: list[KeyOut] = Field(
        description="Every registered key of every party in the covenant versions in force that name "
        "the caller, by party, version and algorithm.",
        examples=[[]],
    )


class PublicKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kid: str = Field(
        description="The key id, as exchange keys export-public writes it.", examples=[KID_EXAMPLE]
    )
    public: str = Field(
        description="The public key, base64url without padding.", max_length=64, examples=[PUBLIC_EXAMPLE]
    )


class KeyVersionIn(BaseModel):
    """One key version as ``exchange keys export-public`` writes it."""

    model_config = ConfigDict(extra="forbid")
    party: str = Field(pattern=IDENT, description="The party the keys belong to.", examples=["senzer"])
    version: int = Field(ge=1, le=1_000_000, description="The key version.", examples=[2])
    status: str = Field(
        pattern=r"^(current|retired|destroyed)$",
        description="current, retired or destroyed (exactly one version is current).",
        examples=["current"],
    )
    x25519: PublicKeyIn = Field(description="The sealing key of this version.")
    ed25519: PublicKeyIn = Field(description="The signing key of this version.")


class PublishedOut(BaseModel):
    party: str = Field(description="The party whose keys were registered.", examples=["senzer"])
    added: list[str] = Field(description="The key ids newly registered.", examples=[[KID_EXAMPLE]])


class JoinIn(BaseModel):
    """A new party's request to join a covenant; signed with the current signing key in ``keys``."""

    model_config = ConfigDict(extra="forbid")
    party: str = Field(
        pattern=IDENT, description="The party id the covenant version in force lists.", examples=["deurne"]
    )
    name: str = Field(
        min_length=2, max_length=200, description="The organisation's name.", examples=["Gemeente Deurne"]
    )
    covenant: str = Field(pattern=IDENT, description="The covenant to join, by id.", examples=["pit"])
    keys: list[KeyVersionIn] = Field(
        min_length=1, max_length=64, description="The party's public keys (exchange keys export-public)."
    )


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool = Field(description="true to approve the join, false to reject it.", examples=[True])


class JoinOut(BaseModel):
    id: str = Field(description="The join's id.", examples=["join-5d1c0a9e8b7f6a5d4c3b"])
    party: str = Field(description="The party that asks to join.", examples=["deurne"])
    name: str = Field(description="The organisation's name, as it gave it.", examples=["Gemeente Deurne"])
    covenant: str = Field(description="The covenant it joins.", examples=["pit"])
    signing_key: str = Field(
        description="The signing key id the request was signed with; compare it out of band.",
        examples=[KID_EXAMPLE],
    )
    status: str = Field(
        description="pending, rejected (by either side) or registered (both approved).", examples=["pending"]
    )
    requested: datetime = Field(
        description="When the hub received the request.", examples=["2026-11-30T10:00:00Z"]
    )
    operator: str | None = Field(
        description="The operator's verdict: approved, rejected or null.", examples=[None]
    )
    custodian: str | None = Field(
        description="The covenant custodian's verdict: approved, rejected or null.", examples=["approved"]
    )


class JoinsOut(BaseModel):
    joins: list[JoinOut] = Field(description="Pending joins, oldest first.", examples=[[]])
