"""Wire types of covenant revisions: proposals, approvals, withdrawals (Pydantic). Only JSON here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from exchange.api.schemas import F, Id
from exchange.policies.bundle import MAX_FILE_CHARS

DIGEST = r"^sha256:[0-9a-f]{64}$"
DIGEST_EXAMPLE = "sha256:8339a9d7e865a331d0550e894f89bd2a683e2de07ec73479e7d43690c6216589"


class ProposalIn(BaseModel):
    """A covenant version as one bundle of its files, with the digest they compile to."""

    model_config = ConfigDict(extra="forbid")
    files: dict[str, str] = F(
        "The version directory's files by name: covenant.yaml (required), flows.yaml, scenarios.yaml "
        f"and README.md, as UTF-8 text of at most {MAX_FILE_CHARS // 1024} KiB each.",
        {"covenant.yaml": "id: pit\nversion: '2027'\n...", "flows.yaml": "flows:\n  ..."},
        min_length=1,
        max_length=4,
    )
    digest: str = F(
        "The policy digest the files compile to, as `exchange convenant publish` computes it; the hub "
        "compiles them itself and refuses a mismatch.",
        DIGEST_EXAMPLE,
        pattern=DIGEST,
    )


class ApprovalOut(BaseModel):
    party: str = Id("The signatory party that approved.", "senzer")
    user: str = Id("The user who approved on its behalf.", "jurist-17")
    role: str = Id("The role in which the user approved: privacy-officer or jurist.", "jurist")
    approved: datetime = F("When (the hub's clock).", "2026-12-01T09:30:00Z")


class VersionOut(BaseModel):
    """A proposed covenant version, its approvals and what the calling party is asked to do."""

    digest: str = F("The policy digest: the version's identity.", DIGEST_EXAMPLE)
    covenant: str = Id("The covenant's id.", "pit")
    version: str = F("The version label.", "2027")
    effective_from: date = F(
        "The day it takes effect once every signatory approved (from the last approval if later).",
        "2027-01-01",
    )
    state: str = F(
        "proposed (waiting for approvals), approved (in force from effective_from), withdrawn or "
        "superseded (by a later proposal).",
        "proposed",
    )
    proposed_by: str = Id("The covenant's key custodian that proposed it.", "helmond")
    proposed_user: str = Id("The jurist who proposed it.", "jurist-1")
    proposed: datetime = F("When it was proposed.", "2026-11-30T10:00:00Z")
    decided: datetime | None = F("When it was approved by the last signatory, withdrawn or superseded.", None)
    signatories: list[str] = F(
        "The signatory parties that must approve (the proposer's approval is its proposal).",
        ["helmond", "politie-oost-brabant"],
    )
    waiting_for: list[str] = F("The signatories that have not approved yet.", ["politie-oost-brabant"])
    joining: list[str] = F(
        "Parties the revision adds; each signs by joining (POST /v1/joins) once it is in force.", []
    )
    approvals: list[ApprovalOut] = F("The approvals so far, oldest first.", [])
    yours: str = F(
        "What the calling party is asked: approve, approved (it has), informed (a case-by-case "
        "partner, not asked) or not-asked (no longer open).",
        "approve",
    )
    previous: dict[str, str] = F(
        "The version in force when it was proposed, which it replaces.",
        {"version": "pit/2021", "digest": DIGEST_EXAMPLE},
    )
    scenarios: dict[str, Any] = F(
        "Its scenario results: passed, total, coverage per article, flows without a scenario.",
        {"passed": 25, "total": 25, "articles": {}, "untested_flows": []},
    )
    impact: dict[str, Any] = F(
        "Past decisions and hit/no-hit answers of the covenant replayed under it against the version in "
        "force: what would change, by case and party, without subjects.",
        {},
    )
    files: dict[str, str] | None = F("The version's files (on GET of one version only).", None)


class VersionsOut(BaseModel):
    versions: list[VersionOut] = F("Newest first.", [])
