"""Wire types of the pseudonym key routes (docs/specs/pseudonym-keys.md). JSON only; the copies are
base64 of the sealed copy format, which the hub checks but cannot open."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

_IDENT = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"
_KID = r"^x25519_[0-9a-f]{24}$"
_COPY = "AbCd..."  # examples only; a real copy is about 500 base64 characters


class CopyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party: str = Field(pattern=_IDENT, description="The recipient party.", examples=["senzer"])
    kid: str = Field(
        pattern=_KID,
        description="The recipient's current sealing (X25519) key id the copy is sealed to.",
        examples=["x25519_0123456789abcdef01234567"],
    )
    sealed: str = Field(
        max_length=4096,
        description="Base64 of the sealed copy (docs/specs/pseudonym-keys.md), signed by the custodian.",
        examples=[_COPY],
    )


class DistributionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    copies: list[CopyIn] = Field(
        min_length=1,
        max_length=256,
        description="One sealed copy per party and current sealing key.",
        examples=[[{"party": "senzer", "kid": "x25519_0123456789abcdef01234567", "sealed": _COPY}]],
    )
    previous_accepted_until: datetime | None = Field(
        default=None,
        description=(
            "For a new version: until when the version it supersedes stays accepted (the overlap). "
            "Required when a version is on record already; left out when topping up."
        ),
        examples=["2026-12-31T00:00:00Z"],
    )


class DistributionOut(BaseModel):
    covenant: str = Field(description="The covenant id.", examples=["pit"])
    version: int = Field(description="The key version.", examples=[2])
    stored: int = Field(description="How many copies were stored.", examples=[9])


class KeyVersionOut(BaseModel):
    version: int = Field(description="A distributed key version.", examples=[1])
    accepted_until: datetime | None = Field(
        description="Until when a superseded version stays accepted; null for the newest.",
        examples=["2026-12-31T00:00:00Z"],
    )


class PartyKeyStatusOut(BaseModel):
    party: str = Field(description="A party of the covenant version in force.", examples=["senzer"])
    kid: str = Field(description="Its current sealing key id.", examples=["x25519_0123456789abcdef01234567"])
    public: str = Field(
        description="Its current X25519 public key, base64url.", examples=["q1w2e3r4t5y6u7i8o9p0..."]
    )
    missing: list[int] = Field(
        description="Accepted versions it has no copy of for this key.", examples=[[2]]
    )


class PendingOut(BaseModel):
    covenant: str = Field(description="The covenant id.", examples=["pit"])
    custodian: str = Field(description="The covenant's key custodian.", examples=["helmond"])
    versions: list[KeyVersionOut] = Field(
        description="Every version on record, oldest first.",
        examples=[[{"version": 1, "accepted_until": None}]],
    )
    parties: list[PartyKeyStatusOut] = Field(
        description="Every party of the covenant with a registered sealing key, and what it lacks.",
        examples=[
            [{"party": "senzer", "kid": "x25519_0123456789abcdef01234567", "public": "...", "missing": [1]}]
        ],
    )
    unregistered: list[str] = Field(
        description="Parties of the covenant with no current sealing key registered at the hub.",
        examples=[["asten"]],
    )


class SigningKeyOut(BaseModel):
    kid: str = Field(
        description="The custodian's Ed25519 key id.", examples=["ed25519_0123456789abcdef01234567"]
    )
    public: str = Field(description="The public key, base64url.", examples=["q1w2e3r4t5y6u7i8o9p0..."])
    status: str = Field(description="current, retired or destroyed.", examples=["current"])


class CopyOut(BaseModel):
    version: int = Field(description="The key version.", examples=[1])
    kid: str = Field(
        description="The sealing key the copy is sealed to.", examples=["x25519_0123456789abcdef01234567"]
    )
    accepted_until: datetime | None = Field(
        description="Until when this version stays accepted; null for the newest.", examples=[None]
    )
    sealed: str = Field(description="Base64 of the sealed copy.", examples=[_COPY])


class MyCopiesOut(BaseModel):
    covenant: str = Field(description="The covenant id.", examples=["pit"])
    custodian: str = Field(description="The covenant's key custodian.", examples=["helmond"])
    custodian_keys: list[SigningKeyOut] = Field(
        description="The custodian's signing keys as registered at the hub.",
        examples=[[{"kid": "ed25519_0123456789abcdef01234567", "public": "...", "status": "current"}]],
    )
    versions: list[KeyVersionOut] = Field(
        description="The versions accepted now.", examples=[[{"version": 1, "accepted_until": None}]]
    )
    copies: list[CopyOut] = Field(
        description="The caller's own copies of the versions accepted now.",
        examples=[
            [
                {
                    "version": 1,
                    "kid": "x25519_0123456789abcdef01234567",
                    "accepted_until": None,
                    "sealed": _COPY,
                }
            ]
        ],
    )
