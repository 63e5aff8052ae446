"""Covenant revisions over the signed API: the key custodian's jurist proposes a version, each
signatory's privacy officer or jurist approves it, and every worker decides under it from its
``effective_from``. The use cases are in :mod:`exchange.cases.revisions`."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import Response

from exchange.api import problems
from exchange.api.context import Ctx, SignedRoute
from exchange.api.schemas_revisions import DIGEST, ApprovalOut, ProposalIn, VersionOut, VersionsOut
from exchange.cases.revisions import Proposal, RevisionService
from exchange.errors import InvalidInputError
from exchange.storage.revisions import STATES

router = APIRouter(route_class=SignedRoute)
_DIGEST = re.compile(DIGEST)
WRITE = problems.problem_responses(400, 401, 403, 404, 409, 413, 503)


def _digest(value: str) -> str:
    if not _DIGEST.match(value):
        raise InvalidInputError("a covenant version is named by its digest: 'sha256:' and 64 hex digits")
    return value


def _out(p: Proposal, files: bool = False) -> VersionOut:
    v = p.version
    return VersionOut(
        digest=v.digest,
        covenant=v.covenant,
        version=v.version,
        effective_from=v.effective_from,
        state=v.state,
        proposed_by=v.proposed_by,
        proposed_user=v.proposed_user,
        proposed=v.proposed,
        decided=v.decided,
        signatories=list(v.report.get("signatories", ())),
        waiting_for=list(p.waiting_for),
        joining=list(v.report.get("joining", ())),
        approvals=[
            ApprovalOut(party=a.party, user=a.user, role=a.role, approved=a.approved) for a in v.approvals
        ],
        yours=p.yours,
        previous=dict(v.report.get("previous", {})),
        scenarios=dict(v.report.get("scenarios", {})),
        impact=dict(v.report.get("impact", {})),
        files=v.files if files else None,
    )


def _json(p: Proposal, status: int = 200, files: bool = False) -> Response:
    return Response(
        _out(p, files).model_dump_json().encode(), status_code=status, media_type="application/json"
    )


@router.post("/v1/covenant-versions", status_code=201, response_model=VersionOut, responses=WRITE)
def propose_version(body: ProposalIn, ctx: Ctx) -> Response:
    """Propose a new version of a covenant in force (a jurist of its key custodian): the files as one
    bundle and the digest they compile to. The hub checks, compiles and tests them, attaches the
    impact on past decisions and hit/no-hit answers, supersedes an open proposal for the covenant,
    and counts the proposal as the custodian's approval. Every party of the covenant sees it."""
    found = ctx.write(
        lambda unit: RevisionService(unit, ctx.service.decisions).propose(body.files, body.digest)
    )
    ctx.service.policies.refresh(force=True)  # a covenant with one signatory is approved at once
    return _json(found, 201)


@router.get(
    "/v1/covenant-versions",
    response_model=VersionsOut,
    responses=problems.problem_responses(400, 401, 403),
)
def list_versions(ctx: Ctx, state: str | None = None) -> Response:
    """The versions proposed for the covenants the caller's party takes part in, newest first;
    ``state`` keeps one state (proposed, approved, withdrawn, superseded)."""
    if state is not None and state not in STATES:
        raise InvalidInputError(f"state must be one of {', '.join(STATES)}")
    found = ctx.read(lambda unit: RevisionService(unit, ctx.service.decisions).listing(state))
    body = VersionsOut(versions=[_out(p) for p in found])
    return Response(body.model_dump_json().encode(), media_type="application/json")


@router.get(
    "/v1/covenant-versions/{digest}",
    response_model=VersionOut,
    responses=problems.problem_responses(400, 401, 403, 404),
)
def show_version(digest: str, ctx: Ctx) -> Response:
    """One proposed version with its files, approvals, scenario results and impact (parties of
    the covenant only; anyone else: 404)."""
    _digest(digest)
    return _json(ctx.read(lambda unit: RevisionService(unit, ctx.service.decisions).get(digest)), files=True)


@router.post("/v1/covenant-versions/{digest}/approval", response_model=VersionOut, responses=WRITE)
def approve_version(digest: str, ctx: Ctx) -> Response:
    """A signatory party approves (its privacy officer or jurist). The last approval makes the
    version approved: every worker decides under it from its effective_from."""
    _digest(digest)
    found = ctx.write(lambda unit: RevisionService(unit, ctx.service.decisions).approve(digest))
    ctx.service.policies.refresh(force=True)
    return _json(found)


@router.post("/v1/covenant-versions/{digest}/withdrawal", response_model=VersionOut, responses=WRITE)
def withdraw_version(digest: str, ctx: Ctx) -> Response:
    """The key custodian's jurist withdraws an open proposal; it can no longer be approved."""
    _digest(digest)
    return _json(ctx.write(lambda unit: RevisionService(unit, ctx.service.decisions).withdraw(digest)))
