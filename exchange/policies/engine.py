"""The policy decision engine: ``decide(request) -> Decision``, deny by default.

The engine holds an immutable snapshot of every installed compiled policy. Installing a new version
builds a new snapshot and swaps one reference, so a concurrent reader sees the old or the new policy
whole, never a mixture (a reloading Casbin enforcer answered wrongly mid-reload here). Every compiled
version ever installed stays in the history by digest, so a past decision can be re-evaluated under
the policy it was made with. Any exception inside the decision path becomes a denial whose reason
says so; it is logged without request values, which may identify a case.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from exchange.policies.compiler import CompiledPolicy
from exchange.policies.decision import Decision, DecisionRequest, Grant
from exchange.policies.explain import FlowIndex, allowed_reason, denial_reason
from exchange.policies.model import Covenant, role_not_held
from exchange.policies.table import DecisionTable
from exchange.vocabulary import Category, CovenantId, Form, PartyId, Phase, PolicyDigest, Purpose

log = logging.getLogger(__name__)

# Covenant dates are Dutch legal dates: a covenant in force "from 1 July 2021" starts at midnight
# in Amsterdam, not in UTC.
LEGAL_TIMEZONE = ZoneInfo("Europe/Amsterdam")

#: Signature of an alternative matcher (the Casbin reference): policy, request → grants.
Matcher = Callable[[CompiledPolicy, DecisionRequest], tuple[Grant, ...]]


@dataclass(frozen=True, slots=True)
class _Installed:
    """One compiled version with what deciding needs precomputed."""

    policy: CompiledPolicy
    table: DecisionTable
    flows: FlowIndex
    phases: frozenset[str]
    #: The first day it is no longer in force: its own ``effective_until``, or the day a later
    #: version of the same covenant takes effect, whichever comes first (a revision supersedes it).
    until: date | None = None
    #: The later version that ends it before its own ``effective_until``, if one does.
    superseded_by: str | None = None

    def in_force_on(self, day: date) -> bool:
        c = self.policy.covenant
        return c.effective_from <= day and (self.until is None or day < self.until)

    @classmethod
    def build(cls, policy: CompiledPolicy) -> _Installed:
        c = policy.covenant
        return cls(
            policy,
            DecisionTable(policy.policy_text),
            FlowIndex(c),
            frozenset(str(p) for p in c.phases),
            c.effective_until,
        )


def _windows(versions: list[_Installed]) -> tuple[_Installed, ...]:
    """The versions of one covenant by effective date, each ending where the next one starts if that
    is before its own ``effective_until`` (an approved revision takes over on its ``effective_from``)."""
    versions = sorted(versions, key=lambda v: v.policy.covenant.effective_from)
    out = []
    for i, v in enumerate(versions):
        own = v.policy.covenant.effective_until
        nxt = versions[i + 1].policy.covenant if i + 1 < len(versions) else None
        if nxt is not None and (own is None or nxt.effective_from < own):
            out.append(dataclasses.replace(v, until=nxt.effective_from, superseded_by=nxt.label))
        else:
            out.append(dataclasses.replace(v, until=own, superseded_by=None))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    current: dict[CovenantId, tuple[_Installed, ...]]  # versions per covenant, by effective date
    history: dict[PolicyDigest, _Installed]


class DecisionEngine:
    """Decides requests against installed covenant versions. Safe to share between threads."""

    def __init__(self, policies: Iterable[CompiledPolicy] = ()) -> None:
        self._write_lock = threading.Lock()
        self._snapshot = _Snapshot({}, {})
        self.install(*policies)

    def install(self, *policies: CompiledPolicy) -> None:
        """Make these versions current, replacing versions with the same covenant id and version.

        The tables are built before the swap; if building fails, the previous policies stay in force.
        """
        built = [_Installed.build(p) for p in policies]
        with self._write_lock:
            old = self._snapshot
            current = {k: list(v) for k, v in old.current.items()}
            history = dict(old.history)
            for inst in built:
                cref = inst.policy.covenant.ref
                versions = [v for v in current.get(cref.id, []) if v.policy.covenant.ref != cref]
                versions.append(inst)
                current[cref.id] = versions
                history[inst.policy.digest] = inst
            self._snapshot = _Snapshot({k: _windows(v) for k, v in current.items()}, history)

    @property
    def generation(self) -> int:
        """Changes whenever policies are installed: a key for caches of decisions."""
        return id(self._snapshot)

    @property
    def policies(self) -> list[CompiledPolicy]:
        return [v.policy for vs in self._snapshot.current.values() for v in vs]

    @property
    def digests(self) -> frozenset[PolicyDigest]:
        """The digests of the versions installed now."""
        return frozenset(v.policy.digest for vs in self._snapshot.current.values() for v in vs)

    def history(self, digest: PolicyDigest) -> CompiledPolicy | None:
        inst = self._snapshot.history.get(digest)
        return inst.policy if inst is not None else None

    def covenant(self, ref: str, moment: datetime) -> Covenant | None:
        """The covenant version ``ref`` ("pit" or "pit/2021") names, if it is in force at ``moment``."""
        probe = DecisionRequest("", "", "", "", "", "", ref, moment)
        found = self._resolve(self._snapshot, probe)
        if isinstance(found, tuple):
            return None
        day = moment.astimezone(LEGAL_TIMEZONE).date()
        return found.policy.covenant if found.in_force_on(day) else None

    def in_force(self, moment: datetime) -> list[Covenant]:
        """Every covenant version in force at ``moment`` (legal day, Amsterdam time)."""
        day = moment.astimezone(LEGAL_TIMEZONE).date()
        return [v.policy.covenant for vs in self._snapshot.current.values() for v in vs if v.in_force_on(day)]

    def holds_role(self, party: str, role: str, moment: datetime) -> bool:
        """Whether some covenant version in force at ``moment`` lets ``party`` act in ``role``."""
        return any(c.may_hold(party, role) for c in self.in_force(moment))

    def decide(self, request: DecisionRequest, matcher: Matcher | None = None) -> Decision:
        """Decide under the covenant version the request names or the one in force at its moment."""
        try:
            snapshot = self._snapshot
            found = self._resolve(snapshot, request)
            if isinstance(found, tuple):
                return _deny(request, *found)
            return _decide_on(found, request, matcher)
        except Exception:
            log.exception("decision failed; denied by default")
            return _deny(request, "internal-error", "internal error while deciding; denied by default")

    def decide_under(self, digest: PolicyDigest, request: DecisionRequest) -> Decision:
        """Re-evaluate a request under a past policy, whatever is in force now."""
        inst = self._snapshot.history.get(digest)
        if inst is None:
            return _deny(request, "unknown-policy", f"no compiled policy with digest {digest} is known")
        try:
            return _decide_on(inst, request, None, check_validity=False)
        except Exception:
            log.exception("decision failed; denied by default")
            return _deny(request, "internal-error", "internal error while deciding; denied by default")

    @staticmethod
    def _resolve(snapshot: _Snapshot, request: DecisionRequest) -> _Installed | tuple[str, str]:
        cid, _, version = request.covenant.partition("/")
        versions = snapshot.current.get(CovenantId(cid))
        if not versions:
            return "unknown-covenant", f"unknown covenant '{cid}'"
        day = request.moment.astimezone(LEGAL_TIMEZONE).date()
        if version:
            for v in versions:
                if v.policy.covenant.ref.version == version:
                    # A version a revision replaced hands over: a case opened under it continues
                    # under the revision (docs/specs/covenant-revisions.md).
                    if v.superseded_by is None or v.until is None or day < v.until:
                        return v
                    break
            else:
                return "unknown-covenant", f"covenant '{cid}' has no version '{version}'"
        for v in versions:
            if v.in_force_on(day):
                return v
        return "not-in-force", f"no version of {cid.upper()} is in force on {day.isoformat()}"


def _deny(request: DecisionRequest, code: str, reason: str, inst: _Installed | None = None) -> Decision:
    if inst is None:
        return Decision(request, False, None, reason, code=code)
    return Decision(request, False, None, reason, inst.policy.covenant.ref, inst.policy.digest, code=code)


def _validity_problem(inst: _Installed, day: date) -> tuple[str, str] | None:
    c = inst.policy.covenant
    if day < c.effective_from:
        return (
            "not-in-force",
            f"{c.label} is not yet in force on {day} (it takes effect on {c.effective_from})",
        )
    if inst.until is not None and day >= inst.until:
        return "not-in-force", f"{c.label} is no longer in force on {day} (it ended on {inst.until})"
    return None


def _decide_on(
    inst: _Installed,
    request: DecisionRequest,
    matcher: Matcher | None,
    check_validity: bool = True,
) -> Decision:
    c = inst.policy.covenant
    day = request.moment.astimezone(LEGAL_TIMEZONE).date()
    problem = _validity_problem(inst, day) if check_validity else None
    if problem is None:
        problem = _vocabulary_problem(inst, request)
    if problem is not None:
        return _deny(request, *problem, inst)
    if matcher is not None:
        grants = matcher(inst.policy, request)
    else:
        key = (request.requester, request.provider, request.category, request.purpose, request.phase)
        grants = inst.table.grants(key, request.role)
    if not grants:
        code, reason = denial_reason(
            c,
            inst.flows,
            request.requester,
            request.role,
            request.provider,
            request.category,
            request.purpose,
            request.phase,
        )
        return _deny(request, code, reason, inst)
    form = Form.CONTENT if any(g.form is Form.CONTENT for g in grants) else Form.HIT
    return Decision(request, True, form, allowed_reason(c, grants), c.ref, inst.policy.digest, grants)


def _vocabulary_problem(inst: _Installed, r: DecisionRequest) -> tuple[str, str] | None:
    """Deny by default: every name in the request must be known to this covenant version."""
    c = inst.policy.covenant
    if PartyId(r.requester) not in c.parties:
        return "unknown-party", f"'{r.requester}' is not a party to {c.label}"
    if PartyId(r.provider) not in c.parties:
        return "unknown-party", f"'{r.provider}' is not a party to {c.label}"
    if r.role not in c.roles:
        return "unknown-role", f"'{r.role}' is not a role in {c.label}"
    if not c.may_hold(r.requester, r.role):
        return "role-not-held", role_not_held(c, r.requester, r.role)
    if Category(r.category) not in c.categories:
        return "unknown-category", f"'{r.category}' is not a data category of {c.label}"
    if Purpose(r.purpose) not in c.purposes:
        return "unknown-purpose", f"'{r.purpose}' is not a purpose of {c.label}"
    if r.phase not in inst.phases:
        known = ", ".join(str(p) for p in Phase)
        return "unknown-phase", f"'{r.phase}' is not a case phase of {c.label} (phases: {known})"
    return None
