"""Covenant pseudonym keys through the hub, sealed: the custodian distributes a key version as one
sealed copy per party and sealing key; each party fetches its own copies; the hub stores what it
cannot open and checks who may send what. Format: docs/specs/pseudonym-keys.md.

Which pseudonym versions the hub accepts once versions are on record is in
:mod:`exchange.cases.key_versions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from exchange.audit.events import Action, Outcome
from exchange.cases.rules import covenant_in_force, require_party
from exchange.cases.unit import Unit
from exchange.crypto.pseudonym_copy import InvalidCopy, decode_copy, verify_copy
from exchange.errors import ConflictError, DeniedError, InvalidInputError
from exchange.policies.engine import DecisionEngine
from exchange.policies.model import Covenant
from exchange.storage.models import PartyKeyRow
from exchange.storage.parties import encryption_keys
from exchange.storage.pseudonym_keys import KeyVersionInfo, PseudonymKeyRepository, StoredCopy, signing_keys

#: The custodian's roles that may distribute and see what is pending.
CUSTODIAN_ROLES = ("coordinator", "privacy-officer")
MAX_COPIES = 256


@dataclass(frozen=True, slots=True)
class CopyUpload:
    party: str
    kid: str
    sealed: bytes


@dataclass(frozen=True, slots=True)
class PartyStatus:
    """A party of the covenant, its current sealing key, and the accepted versions it lacks a copy of
    for that key."""

    party: str
    kid: str
    public: bytes
    missing: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Pending:
    covenant: str
    custodian: str
    versions: tuple[KeyVersionInfo, ...]
    parties: tuple[PartyStatus, ...]
    unregistered: tuple[str, ...]  # parties of the covenant with no current sealing key at the hub


@dataclass(frozen=True, slots=True)
class MyCopies:
    covenant: str
    custodian: str
    custodian_keys: tuple[tuple[str, bytes, str], ...]  # (kid, Ed25519 public, status)
    versions: tuple[KeyVersionInfo, ...]
    copies: tuple[StoredCopy, ...]


def _plain_id(covenant: str) -> str:
    if "/" in covenant:
        raise InvalidInputError(
            f"pseudonym keys belong to a covenant, not to one version of it: use '{covenant.split('/')[0]}'"
        )
    return covenant


def require_custodian(covenant: Covenant, party: str, role: str) -> str:
    """The covenant's custodian, if ``party`` is it and acts as its coordinator or privacy officer."""
    if covenant.custodian is None:
        raise DeniedError(
            f"{covenant.label} names no key custodian, so its pseudonym keys cannot go through the hub",
            code="no-custodian",
        )
    if party != covenant.custodian:
        raise DeniedError(
            f"only {covenant.label}'s key custodian, '{covenant.custodian}', distributes its pseudonym keys",
            code="not-custodian",
        )
    if role not in CUSTODIAN_ROLES:
        raise DeniedError(
            "only the custodian's coordinator or privacy officer handles pseudonym keys",
            code="not-custodian-role",
        )
    return str(covenant.custodian)


class PseudonymKeyService:
    """Distributing and fetching sealed pseudonym key copies, bound to one unit of work."""

    def __init__(self, unit: Unit, decisions: DecisionEngine) -> None:
        self.unit = unit
        self.decisions = decisions
        self.repo = PseudonymKeyRepository(unit.session)

    def _custodian_covenant(self, covenant_id: str) -> tuple[Covenant, str]:
        c = self.unit.caller
        covenant = covenant_in_force(self.decisions, _plain_id(covenant_id), self.unit.now)
        custodian = require_custodian(covenant, c.party, c.role)
        require_party(covenant, c)
        return covenant, custodian

    def _current_key(self, party: str) -> PartyKeyRow | None:
        current = [k for k in encryption_keys(self.unit.session, party) if k.status == "current"]
        return current[-1] if current else None

    def distribute(
        self, covenant_id: str, version: int, copies: Sequence[CopyUpload], previous_until: datetime | None
    ) -> int:
        """Store the custodian's sealed copies of ``version``; a new version supersedes the newest
        one on record, which stays accepted until ``previous_until``. Returns how many were stored."""
        covenant, custodian = self._custodian_covenant(covenant_id)
        cid, now = str(covenant.ref.id), self.unit.now
        if version < 1:
            raise InvalidInputError("pseudonym key versions start at 1")
        if not copies or len(copies) > MAX_COPIES:
            raise InvalidInputError(f"send 1 to {MAX_COPIES} copies")
        if len({(x.party, x.kid) for x in copies}) != len(copies):
            raise InvalidInputError("a party's sealing key has two copies in the request")
        known = {v.version: v for v in self.repo.versions(cid)}
        newest = max(known, default=0)
        is_new = version not in known
        if is_new and version < newest:
            raise ConflictError(
                f"version {version} is older than version {newest} of '{cid}': versions only go up",
                code="version-order",
            )
        if not is_new:
            older = [v.accepted_until for n, v in known.items() if n < version]
            # The same upload sent again (a retry after a lost answer) names the same overlap.
            if previous_until is not None and previous_until not in older:
                raise InvalidInputError(
                    f"version {version} was distributed already; its predecessor's overlap was set then, "
                    "leave out 'previous_accepted_until' when topping up"
                )
            if not known[version].accepted_at(now):
                raise ConflictError(
                    f"version {version} of '{cid}' is no longer accepted; distribute the newest version",
                    code="version-superseded",
                )
        elif newest and previous_until is None:
            raise InvalidInputError(
                f"a new version supersedes version {newest}: say until when it stays accepted "
                "('previous_accepted_until')"
            )
        elif previous_until is not None and previous_until < now:
            raise InvalidInputError("'previous_accepted_until' lies in the past")
        signers = {
            k.kid: k.public for k in signing_keys(self.unit.session, custodian) if k.status == "current"
        }
        rows = [self._checked(covenant, custodian, signers, version, x) for x in copies]
        if is_new:
            self.repo.add_version(cid, version, custodian, now)
            if newest and previous_until is not None:
                for v in known.values():
                    self.repo.supersede(cid, v.version, previous_until)
            details: dict[str, str | int | bool] = {"version": version}
            if newest and previous_until is not None:
                details["previous_version"] = newest
                details["previous_accepted_until"] = _stamp(previous_until)
            self._record(Action.PSEUDONYM_KEY_VERSION, covenant, details=details)
        self.repo.put_copies(cid, version, rows, now)
        for party, kid, _, _ in rows:
            self._record(
                Action.PSEUDONYM_KEY_COPY,
                covenant,
                counterparty=party,
                details={"version": version, "kid": kid},
            )
        return len(rows)

    def _checked(
        self, covenant: Covenant, custodian: str, signers: dict[str, bytes], version: int, x: CopyUpload
    ) -> tuple[str, str, bytes, str]:
        cid = str(covenant.ref.id)
        if x.party not in covenant.parties:
            raise DeniedError(
                f"'{x.party}' is not a party to {covenant.label}: it gets no copy", code="not-a-party"
            )
        current = self._current_key(x.party)
        if current is None or current.kid != x.kid:
            raise ConflictError(
                f"'{x.kid}' is not the current sealing key of '{x.party}'; seal to the key "
                f"GET /v1/covenants/{cid}/pseudonym-keys/pending names",
                code="key-not-current",
            )
        try:
            copy = decode_copy(x.sealed)
            h = verify_copy(copy, custodian, signers)
        except InvalidCopy:
            raise InvalidInputError(
                f"the copy for '{x.party}' is not a sealed copy signed with {custodian}'s current signing key"
            ) from None
        if (h.covenant, h.key_version, h.party, h.kid) != (cid, version, x.party, x.kid):
            raise InvalidInputError(
                f"the copy for '{x.party}' is bound to {h.covenant} v{h.key_version}, party '{h.party}', "
                f"key '{h.kid}'; seal it for {cid} v{version}, '{x.party}', '{x.kid}'"
            )
        return x.party, x.kid, x.sealed, h.custodian_kid

    def pending(self, covenant_id: str) -> Pending:
        """For the custodian: every registered party of the covenant with its current sealing key, and
        the accepted versions it lacks a copy of for that key (new parties, rotated keys)."""
        covenant, custodian = self._custodian_covenant(covenant_id)
        cid = str(covenant.ref.id)
        versions = self.repo.versions(cid)
        accepted = [v.version for v in versions if v.accepted_at(self.unit.now)]
        held = self.repo.held(cid)
        parties, unregistered = [], []
        for party in sorted(covenant.parties):
            key = self._current_key(party)
            if key is None:
                unregistered.append(str(party))
                continue
            missing = tuple(v for v in accepted if (v, party, key.kid) not in held)
            parties.append(PartyStatus(str(party), key.kid, key.public, missing))
        self._record(
            Action.PSEUDONYM_KEY_PENDING,
            covenant,
            details={"pending": sum(1 for p in parties if p.missing), "unregistered": len(unregistered)},
        )
        return Pending(cid, custodian, tuple(versions), tuple(parties), tuple(unregistered))

    def mine(self, covenant_id: str) -> MyCopies:
        """For a party of the covenant in force: its copies of the versions still accepted, with the
        custodian's registered signing keys to verify them by."""
        c = self.unit.caller
        covenant = covenant_in_force(self.decisions, _plain_id(covenant_id), self.unit.now)
        require_party(covenant, c)
        cid = str(covenant.ref.id)
        if covenant.custodian is None:
            raise DeniedError(
                f"{covenant.label} names no key custodian, so its pseudonym keys do not go through the hub",
                code="no-custodian",
            )
        versions = [v for v in self.repo.versions(cid) if v.accepted_at(self.unit.now)]
        accepted = {v.version for v in versions}
        copies = [x for x in self.repo.copies_for(cid, c.party) if x.version in accepted]
        keys = signing_keys(self.unit.session, str(covenant.custodian))
        self._record(
            Action.PSEUDONYM_KEY_FETCH,
            covenant,
            details={"copies": len(copies), "versions": ".".join(str(x.version) for x in copies) or "none"},
        )
        return MyCopies(
            cid,
            str(covenant.custodian),
            tuple((k.kid, k.public, k.status) for k in keys),
            tuple(versions),
            tuple(copies),
        )

    def _record(
        self,
        action: Action,
        covenant: Covenant,
        details: dict[str, str | int | bool],
        counterparty: str | None = None,
    ) -> None:
        self.unit.record(
            action, Outcome.DONE, None, covenant=str(covenant.ref), counterparty=counterparty, details=details
        )


def _stamp(moment: datetime) -> str:
    """RFC 3339 UTC, whole seconds: an identifier-safe time for an event's details."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
