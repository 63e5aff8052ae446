"""A new party joins a covenant: it asks, the hub's operator and the covenant's key custodian both
approve, and only then is it registered with its keys.

The request is signed with the key it presents (proof of possession, checked at the edge). The
party id must be one the covenant version in force lists (a covenant revision adds it first) and
must not be registered yet. Each step is a log event without free text: ``join-request``,
``join-approval`` or ``join-rejection`` (with ``details.side``: operator or custodian), and the
``key-registration`` when the join takes effect. A rejection by either side closes the join for good.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from exchange.audit.events import Action, Outcome
from exchange.cases.unit import Unit
from exchange.errors import ConflictError, DeniedError, InvalidInputError, NotFoundError, RateLimited
from exchange.policies.engine import DecisionEngine
from exchange.policies.model import Covenant
from exchange.storage.directory import is_registered
from exchange.storage.joins import APPROVED, PENDING, Join, JoinRepository
from exchange.storage.parties import parse_public_keys, register_party, signing_key
from exchange.vocabulary import PartyId

#: The roles in which the custodian's people decide on joins.
CUSTODIAN_ROLES = ("privacy-officer", "coordinator")
OPERATOR, CUSTODIAN = "operator", "custodian"
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class JoinLimits:
    """At most ``pending_per_covenant`` pending joins per covenant, ``per_hour`` new ones an hour."""

    pending_per_covenant: int = 3
    per_hour: int = 10


class JoinService:
    """Join requests and their two approvals, bound to one unit of work."""

    def __init__(self, unit: Unit, decisions: DecisionEngine, limits: JoinLimits | None = None) -> None:
        self.unit = unit
        self.decisions = decisions
        self.limits = limits or JoinLimits()
        self.joins = JoinRepository(unit.session)

    def _in_force(self, covenant: str) -> Covenant:
        found = self.decisions.covenant(covenant.split("/")[0], self.unit.now)
        if found is None:
            raise NotFoundError(f"no version of covenant '{covenant}' is in force", code="not-in-force")
        return found

    def request(self, name: str, covenant: str, keys_data: Any) -> Join:
        """The caller (a party id not yet registered, authenticated by the key it presents) asks to
        join ``covenant``."""
        c = self.unit.caller
        party = c.party
        cov = self._in_force(covenant)
        if PartyId(party) not in cov.parties:
            raise DeniedError(
                f"'{party}' is not a party to {cov.label}; a revision of the covenant adds it first",
                code="not-a-party",
            )
        keys = parse_public_keys(party, keys_data)
        current = [kid for kid, alg, _v, status, _p in keys if alg == "ed25519" and status == "current"]
        if current != [c.kid]:
            raise InvalidInputError("the request must be signed with the current signing key it presents")
        if is_registered(self.unit.session, party):
            raise ConflictError(
                f"'{party}' is registered already; publish new keys with POST /v1/keys instead",
                code="registered",
            )
        if any(signing_key(self.unit.session, kid) is not None for kid, *_ in keys if kid.startswith("ed")):
            raise ConflictError("a presented key is registered already; make new keys", code="registered")
        if self.joins.pending_for_party(party):
            raise ConflictError(f"a join for '{party}' is pending already", code="join-pending")
        self._limit(cov)
        join_id = f"join-{uuid.uuid4().hex[:20]}"
        self.joins.add(join_id, party, name, str(cov.ref.id), c.kid, keys_data, self.unit.now)
        self.unit.record(
            Action.JOIN_REQUEST,
            Outcome.DONE,
            counterparty=party,
            covenant=str(cov.ref),
            details={"join": join_id},
        )
        found = self.joins.get(join_id)
        if found is None:  # pragma: no cover - added in this transaction
            raise NotFoundError(join_id)
        return found

    def _limit(self, cov: Covenant) -> None:
        """The hub's limits on joins: few pending per covenant, few new ones an hour in all."""
        if self.joins.count_pending(str(cov.ref.id)) >= self.limits.pending_per_covenant:
            raise RateLimited(
                f"{cov.label} has {self.limits.pending_per_covenant} joins waiting for approval; "
                "try again once they are decided",
                retry_after=int(HOUR.total_seconds()),
                code="joins-pending",
            )
        recent = self.joins.requested_since(self.unit.now - HOUR)
        if len(recent) >= self.limits.per_hour:
            wait = recent[-self.limits.per_hour] + HOUR - self.unit.now
            raise RateLimited(
                f"the hub takes {self.limits.per_hour} joins an hour; try again later",
                retry_after=int(wait.total_seconds()) + 1,
                code="joins-per-hour",
            )

    def _custodian_covenants(self) -> list[Covenant]:
        c = self.unit.caller
        if c.role not in CUSTODIAN_ROLES:
            raise DeniedError(
                f"joins are decided by the custodian's {' or '.join(CUSTODIAN_ROLES)}, not '{c.role}'",
                code="not-custodian-role",
            )
        return [
            cov
            for cov in self.decisions.in_force(self.unit.now)
            if cov.custodian == PartyId(c.party) and cov.may_hold(c.party, c.role)
        ]

    def pending_for_custodian(self) -> list[Join]:
        """The pending joins of the covenants whose keys the caller's party keeps."""
        return self.joins.pending([str(c.ref.id) for c in self._custodian_covenants()])

    def decide_as_custodian(self, join_id: str, approve: bool) -> Join:
        """The covenant's custodian approves or rejects; another party is answered as if the join
        did not exist."""
        mine = {str(c.ref.id) for c in self._custodian_covenants()}
        join = self.joins.get(join_id)
        if join is None or join.covenant not in mine:
            raise NotFoundError(f"no join '{join_id}' for a covenant whose keys your party keeps")
        return self._decide(join, CUSTODIAN, approve)

    def decide_as_operator(self, join_id: str, approve: bool) -> Join:
        """The hub's operator approves or rejects (``exchange admin approve-join``/``reject-join``)."""
        join = self.joins.get(join_id)
        if join is None:
            raise NotFoundError(f"no join '{join_id}'; 'exchange admin joins' lists the pending ones")
        return self._decide(join, OPERATOR, approve)

    def pending(self) -> list[Join]:
        """Every pending join (the operator's list)."""
        return self.joins.pending()

    def _decide(self, join: Join, side: str, approve: bool) -> Join:
        if join.status != PENDING:
            raise ConflictError(f"join '{join.id}' is {join.status} already", code="join-decided")
        if (join.operator if side == OPERATOR else join.custodian) is not None:
            raise ConflictError(f"the {side} has decided on join '{join.id}' already", code="join-decided")
        verdict = APPROVED if approve else "rejected"
        self.joins.decide(join.id, side, verdict, self.unit.now)
        self.unit.record(
            Action.JOIN_APPROVAL if approve else Action.JOIN_REJECTION,
            Outcome.ALLOWED if approve else Outcome.DENIED,
            counterparty=join.party,
            details={"join": join.id, "side": side},
        )
        other = join.custodian if side == OPERATOR else join.operator
        if approve and other == APPROVED:
            self._take_effect(join)
        found = self.joins.get(join.id)
        if found is None:  # pragma: no cover - read in this transaction
            raise NotFoundError(join.id)
        return found

    def _take_effect(self, join: Join) -> None:
        """Both sides approved: register the party and its keys, as ``register-party`` does."""
        cov = self._in_force(join.covenant)
        if PartyId(join.party) not in cov.parties:
            raise ConflictError(
                f"'{join.party}' is no longer a party to {cov.label}; the join cannot take effect",
                code="not-a-party",
            )
        if is_registered(self.unit.session, join.party):
            raise ConflictError(f"'{join.party}' was registered meanwhile", code="registered")
        added = register_party(self.unit.session, join.party, join.name, join.public_keys, self.unit.now)
        self.joins.registered(join.id, self.unit.now)
        self.unit.record(
            Action.KEY_REGISTRATION,
            Outcome.DONE,
            counterparty=join.party,
            covenant=str(cov.ref),
            details={"join": join.id, "keys_added": len(added), "signing_key": join.kid},
        )
