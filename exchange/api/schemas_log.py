"""Wire types of the log's routes (``/v1/log/...``): keys, proofs and witnesses' cosignatures."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_B64 = "standard base64 (RFC 4648 section 4)"
_HASH = "q0LpmRhuYFU6dvwsLJAcpCPXvXN7ljbfxDlBmAtRkS0="


class CheckpointKeyOut(BaseModel):
    name: str = Field(description="The key name: the log's origin line.", examples=["exchange.example/log"])
    public: str = Field(description=f"The Ed25519 public key, {_B64}.", examples=[_HASH])
    verifier: str = Field(
        description="The signed-note verifier key: <name>+<hex key id>+<base64(0x01 || public key)>.",
        examples=["exchange.example/log+1a2b3c4d+AU7Ybp8yJuV4eRwDkg2xf3F3n01v3Pdl10rsPSIyqX6h"],
    )


class ReceiptKeyOut(BaseModel):
    public: str = Field(description=f"The receipt key's Ed25519 public key, {_B64}.", examples=[_HASH])
    key_id: str = Field(
        description="Its key id as receipts carry it: hex of SHA-256('exchange-receipt/v1\\n' || key)[:4].",
        examples=["1a2b3c4d"],
    )


class LogKeysOut(BaseModel):
    origin: str = Field(description="The log's origin line.", examples=["exchange.example/log"])
    checkpoint: CheckpointKeyOut | None = Field(
        description="The key that signs checkpoints; null when the service was not given it "
        "(EXCHANGE_LOG_PUBLIC_KEY). Pin it from the operator, not from here.",
        examples=[None],
    )
    receipt: ReceiptKeyOut = Field(description="The key that signs Exchange-Receipt headers.")


class InclusionOut(BaseModel):
    index: int = Field(description="The entry's log index.", examples=[1042])
    size: int = Field(description="The tree size the proof is for.", examples=[1100])
    leaf_hash: str = Field(description=f"SHA-256(0x00 || event), {_B64}.", examples=[_HASH])
    proof: list[str] = Field(
        description=f"The RFC 9162 audit path, leaf to root, {_B64}.", examples=[[_HASH]]
    )
    event: str = Field(
        description="The event's canonical JSON (RFC 8785), exactly the bytes the leaf hash covers.",
        examples=['{"action":"hit-query",...}'],
    )


class ConsistencyOut(BaseModel):
    from_size: int = Field(alias="from", description="The older tree size.", examples=[1000])
    to_size: int = Field(alias="to", description="The newer tree size.", examples=[1100])
    proof: list[str] = Field(description=f"The RFC 9162 consistency proof, {_B64}.", examples=[[_HASH]])

    model_config = ConfigDict(populate_by_name=True)


class CosignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(
        pattern=r"^[^\s+]{1,200}$",
        description="The witness's key name (c2sp.org/signed-note); registered to the caller's party "
        "with the request's signing key on its first cosignature.",
        examples=["helmond.example/witness"],
    )
    old: int = Field(
        ge=0,
        description="The size of the checkpoint this witness cosigned before (0 the first time), "
        "as in c2sp.org/tlog-witness add-checkpoint; must match the hub's record.",
        examples=[1000],
    )
    size: int = Field(ge=1, description="The size of the checkpoint cosigned.", examples=[1100])
    cosignature: str = Field(
        max_length=400,
        description="The c2sp.org/tlog-cosignature line: "
        "'\u2014 <name> <base64(key id || time || signature)>'.",
        examples=["\u2014 helmond.example/witness 3ZKcRwAAAABnS0a1..."],
    )


class CosignedOut(BaseModel):
    witness: str = Field(description="The witness's key name.", examples=["helmond.example/witness"])
    size: int = Field(description="The checkpoint size now cosigned.", examples=[1100])
    already: bool = Field(description="True when the same cosignature was stored before.", examples=[False])
