"""Covenant revisions: the covenant's key custodian proposes a new version, every signatory party
approves it, and it takes effect on its ``effective_from`` in every worker, without a restart.

- **Propose.** A jurist of the custodian of the version in force sends the version's files as one
  bundle with the policy digest they compile to. The hub checks and compiles them itself, runs their
  scenarios (all must pass), and replays the covenant's past decisions and hit/no-hit answers under
  the proposal against the version in force (the impact report). A proposal still open for the same
  covenant is superseded. The proposal counts as the custodian's own approval.
- **Approve.** A privacy officer or jurist of each other signatory party approves. Case-by-case
  partners see the proposal but are not asked, and a party the revision adds signs by joining once
  it is in force. The last approval makes the version ``approved``;
  the engine then uses it from its ``effective_from`` (from the approval, if that day has passed),
  and the version it replaces ends there (:mod:`exchange.policies.engine`).
- **Withdraw.** The custodian's jurist withdraws an open proposal; it can no longer be approved.

Every step is a ``policy-change`` event naming the version and its digest (``details.step``:
proposed, approval, approved, withdrawn, superseded). Spec: docs/specs/covenant-revisions.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exchange.audit.events import Action, Outcome
from exchange.cases.unit import Unit
from exchange.errors import ConflictError, DeniedError, InvalidInputError, NotFoundError
from exchange.policies.bundle import CheckedBundle, check_bundle, suite_summary
from exchange.policies.compiler import CompiledPolicy
from exchange.policies.engine import LEGAL_TIMEZONE, DecisionEngine
from exchange.policies.impact import impact
from exchange.policies.model import Covenant
from exchange.storage.revisions import (
    APPROVED,
    PROPOSED,
    SUPERSEDED,
    WITHDRAWN,
    RevisionRepository,
    StoredVersion,
    past_answers,
)
from exchange.vocabulary import PartyId

PROPOSER_ROLE = "jurist"
APPROVER_ROLES = ("privacy-officer", "jurist")
#: How many of the newest decisions and hit/no-hit answers a proposal's impact report replays.
IMPACT_EVENTS = 200_000


@dataclass(frozen=True, slots=True)
class Proposal:
    """A stored version with what the caller's party is asked to do about it."""

    version: StoredVersion
    #: approve (a signatory that has not approved yet), approved, informed (a case-by-case partner).
    yours: str
    waiting_for: tuple[str, ...]


class RevisionService:
    """Proposals, approvals and withdrawals of covenant versions, bound to one unit of work."""

    def __init__(self, unit: Unit, decisions: DecisionEngine) -> None:
        self.unit = unit
        self.decisions = decisions
        self.repo = RevisionRepository(unit.session)

    # -- reading ------------------------------------------------------------------------------

    def _current(self, covenant: str) -> CompiledPolicy:
        found = self.decisions.covenant(covenant, self.unit.now)
        if found is None:
            raise NotFoundError(
                f"no version of covenant '{covenant}' is in force; a new covenant is installed from "
                "its files by the hub's operator",
                code="not-in-force",
            )
        return next(p for p in self.decisions.policies if p.covenant.ref == found.ref)

    def _visible(self, v: StoredVersion) -> bool:
        party = self.unit.caller.party
        current = self.decisions.covenant(v.covenant, self.unit.now)
        in_current = current is not None and PartyId(party) in current.parties
        return in_current or party in v.report.get("parties", ())

    def _proposal(self, v: StoredVersion) -> Proposal:
        party = self.unit.caller.party
        signatories = tuple(v.report.get("signatories", ()))
        approved = {a.party for a in v.approvals}
        waiting = tuple(p for p in signatories if p not in approved)
        if party in approved:
            yours = "approved"
        elif party in signatories:
            yours = "approve" if v.state == PROPOSED else "not-asked"
        else:
            yours = "informed"
        return Proposal(v, yours, waiting)

    def get(self, digest: str) -> Proposal:
        v = self.repo.get(digest)
        if v is None or not self._visible(v):
            raise NotFoundError(f"no covenant version '{digest}' of a covenant your party takes part in")
        return self._proposal(v)

    def listing(self, state: str | None = None) -> list[Proposal]:
        """The versions proposed for every covenant the caller's party takes part in, newest first."""
        party = PartyId(self.unit.caller.party)
        ids = sorted({str(c.ref.id) for c in self.decisions.in_force(self.unit.now) if party in c.parties})
        return [self._proposal(v) for v in self.repo.of_covenants(ids, state) if self._visible(v)]

    # -- proposing ----------------------------------------------------------------------------

    def propose(self, files: dict[str, str], digest: str) -> Proposal:
        c = self.unit.caller
        checked = check_bundle(files, "proposal")
        new = checked.covenant
        if checked.compiled.digest != digest:
            raise InvalidInputError(
                f"the files compile to {checked.compiled.digest} at the hub, not {digest}: check that "
                "you sent every file of the version and run the same exchange release as the hub"
            )
        current = self._current(str(new.ref.id))
        old = current.covenant
        if c.role != PROPOSER_ROLE or old.custodian != PartyId(c.party):
            custodian = old.parties[old.custodian].name if old.custodian in old.parties else "none named"
            raise DeniedError(
                f"revisions of {old.ref.id.upper()} are proposed by a jurist of its key custodian "
                f"({custodian}), not by '{c.party}' as '{c.role}'",
                code="not-custodian",
            )
        self._check_dates(new)
        if self.repo.get(digest) is not None:
            raise ConflictError(
                f"a version with digest {digest} was proposed before; change the files (for "
                "instance the version label) to propose again",
                code="proposed-already",
            )
        for open_one in self.repo.of_covenants([str(new.ref.id)], PROPOSED):
            self.repo.set_state(open_one.digest, SUPERSEDED, self.unit.now)
            self._record(open_one.ref, open_one.digest, "superseded", by=new.ref.version)
        stored = self._store(checked, current)
        self._record(str(new.ref), digest, "proposed")
        signatories = tuple(stored.report["signatories"])
        if c.party in signatories:
            self._approve(stored, signatories)
        return self.get(digest)

    def _check_dates(self, new: Covenant) -> None:
        today = self.unit.now.astimezone(LEGAL_TIMEZONE).date()
        if new.effective_from < today:
            raise InvalidInputError(
                f"{new.label} would take effect on {new.effective_from}, which has passed; a revision "
                f"takes effect on or after the day it is proposed ({today})"
            )
        installed = [p.covenant for p in self.decisions.policies if p.covenant.ref.id == new.ref.id]
        for other in installed:
            if other.ref.version == new.ref.version:
                raise ConflictError(
                    f"{other.label} exists already; give the revision its own version label",
                    code="version-exists",
                )
            if other.effective_from >= new.effective_from:
                raise InvalidInputError(
                    f"{new.label} must take effect after {other.label}, which takes effect on "
                    f"{other.effective_from}"
                )
        state = self.repo.labels(str(new.ref.id)).get(str(new.ref.version))
        if state in (PROPOSED, APPROVED):
            raise ConflictError(
                f"a version labelled '{new.ref.version}' is {state} already", code="version-exists"
            )

    def _store(self, checked: CheckedBundle, current: CompiledPolicy) -> StoredVersion:
        new, compiled = checked.covenant, checked.compiled
        events = past_answers(self.unit.session, str(new.ref.id), IMPACT_EVENTS)
        # The signatories of the new version that are parties now sign the revision; a party the
        # revision adds signs by joining (POST /v1/joins) once the revision is in force.
        now_parties = current.covenant.parties
        report: dict[str, Any] = {
            "signatories": [p for p in checked.signatories if PartyId(p) in now_parties],
            "joining": sorted(str(p) for p in new.parties if p not in now_parties),
            "parties": sorted(str(p) for p in new.parties),
            "previous": {"version": str(current.covenant.ref), "digest": str(current.digest)},
            "scenarios": suite_summary(checked.suite),
            "impact": impact(events, compiled, current).to_data(),
            "impact_window": {"events": len(events), "limit": IMPACT_EVENTS},
        }
        stored = StoredVersion(
            str(compiled.digest),
            str(new.ref.id),
            str(new.ref.version),
            new.effective_from,
            checked.files,
            compiled.model_text,
            compiled.policy_text,
            compiled.covenant_json,
            report,
            PROPOSED,
            self.unit.caller.party,
            self.unit.caller.user,
            self.unit.now,
            None,
            (),
        )
        self.repo.add(stored)
        return stored

    # -- approving and withdrawing -------------------------------------------------------------

    def approve(self, digest: str) -> Proposal:
        c = self.unit.caller
        v = self.get(digest).version
        if v.state != PROPOSED:
            raise ConflictError(f"{v.ref} is {v.state}; it cannot be approved", code=f"version-{v.state}")
        signatories = tuple(v.report.get("signatories", ()))
        if c.party not in signatories:
            raise DeniedError(
                f"'{c.party}' did not sign {v.ref}: case-by-case partners are informed, not asked",
                code="not-signatory",
            )
        if c.role not in APPROVER_ROLES:
            raise DeniedError(
                f"a revision is approved by the party's {' or '.join(APPROVER_ROLES)}, not '{c.role}'",
                code="not-approver-role",
            )
        if any(a.party == c.party for a in v.approvals):
            raise ConflictError(f"'{c.party}' approved {v.ref} already", code="approved-already")
        self._approve(v, signatories)
        return self.get(digest)

    def _approve(self, v: StoredVersion, signatories: tuple[str, ...]) -> None:
        c = self.unit.caller
        self.repo.approve(v.digest, c.party, c.user, c.role, self.unit.now)
        self._record(v.ref, v.digest, "approval")
        approved = {a.party for a in v.approvals} | {c.party}
        if all(p in approved for p in signatories):
            self.repo.set_state(v.digest, APPROVED, self.unit.now)
            self._record(v.ref, v.digest, "approved", effective_from=v.effective_from.isoformat())

    def withdraw(self, digest: str) -> Proposal:
        c = self.unit.caller
        v = self.get(digest).version
        current = self._current(v.covenant).covenant
        if c.role != PROPOSER_ROLE or current.custodian != PartyId(c.party):
            raise DeniedError(
                f"only a jurist of the key custodian of {v.covenant.upper()} withdraws a proposal",
                code="not-custodian",
            )
        if v.state != PROPOSED:
            raise ConflictError(f"{v.ref} is {v.state}; it cannot be withdrawn", code=f"version-{v.state}")
        self.repo.set_state(v.digest, WITHDRAWN, self.unit.now)
        self._record(v.ref, v.digest, "withdrawn")
        return self.get(digest)

    def _record(self, ref: str, digest: str, step: str, **details: str) -> None:
        self.unit.record(
            Action.POLICY_CHANGE,
            Outcome.DONE,
            covenant=ref,
            policy_digest=digest,
            details={"step": step, **details},
        )
