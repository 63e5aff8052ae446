"""The key directory and a party's own key rotation, over the signed API.

The directory lists the registered public keys of every party in the caller's covenants (the
versions in force that name the caller): what a recipient needs to check a provider's signature
without a hand-made file. A party publishes its own rotated keys, signed with its current key; the
previous version is then retired on the hub's clock, exactly as ``exchange admin register-party``
does it (:func:`exchange.storage.parties.register_party`).
"""

from __future__ import annotations

from typing import Any

from exchange.audit.events import Action, Outcome
from exchange.cases.unit import Unit
from exchange.errors import InvalidInputError, NotFoundError
from exchange.policies.engine import DecisionEngine
from exchange.storage.directory import DirectoryKey, party_name, published_keys
from exchange.storage.parties import parse_public_keys, register_party
from exchange.vocabulary import PartyId


class KeyService:
    """The directory and key publication, bound to one unit of work."""

    def __init__(self, unit: Unit, decisions: DecisionEngine) -> None:
        self.unit = unit
        self.decisions = decisions

    def covenant_parties(self) -> set[str]:
        """Every party of the covenant versions in force that name the caller (the caller too)."""
        me = PartyId(self.unit.caller.party)
        return {str(p) for c in self.decisions.in_force(self.unit.now) if me in c.parties for p in c.parties}

    def directory(self, party: str | None = None) -> list[DirectoryKey]:
        """The registered keys of the parties in the caller's covenants; of ``party`` only, when
        given (a party outside them is answered like one without keys: an empty list)."""
        parties = self.covenant_parties()
        if party is not None:
            parties &= {party}
        return published_keys(self.unit.session, parties)

    def publish(self, data: Any) -> list[str]:
        """Register the caller's party's keys after a rotation (``exchange keys export-public``
        output): new versions are added and the previous current one retired. Returns the key ids
        added. Logged as a ``key-registration`` event."""
        party = self.unit.caller.party
        keys = parse_public_keys(party, data)  # refuses another party's keys, names the fault
        name = party_name(self.unit.session, party)
        if name is None:  # pragma: no cover - the request was signed with a key of this party
            raise NotFoundError(f"party '{party}' is not registered")
        listed = {kid for kid, *_ in keys}
        missing = [k.kid for k in published_keys(self.unit.session, {party}) if k.kid not in listed]
        if missing:
            # Left out, a registered current version would stay current beside the new one.
            raise InvalidInputError(
                f"the keys must list every registered version, {missing[0]} is missing; "
                "send the whole output of 'exchange keys export-public'"
            )
        added = register_party(self.unit.session, party, name, data, self.unit.now)
        current = next(kid for kid, alg, _v, status, _p in keys if alg == "ed25519" and status == "current")
        self.unit.record(
            Action.KEY_REGISTRATION,
            Outcome.DONE,
            counterparty=party,
            details={"keys_added": len(added), "signing_key": current},
        )
        return added
