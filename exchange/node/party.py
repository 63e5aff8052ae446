"""What the covenant files say about this node's party: its name and the roles it may hold.

Pure: takes covenants, returns values. A role is allowed when at least one covenant version lets the
party hold it (:meth:`exchange.policies.model.Covenant.may_hold`); the hub checks the same per request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from exchange.errors import ConfigurationError, InvalidInputError
from exchange.policies.model import Covenant
from exchange.vocabulary import PartyId


@dataclass(frozen=True, slots=True)
class PartyProfile:
    id: str
    #: The party's name as the covenant files write it, e.g. "Gemeente Helmond".
    name: str
    #: Every role some covenant version lets this party hold, sorted.
    roles: tuple[str, ...]
    #: The covenants (their labels, e.g. "PIT 2021") that name this party.
    covenants: tuple[str, ...]

    def check_roles(self, roles: Iterable[str]) -> tuple[str, ...]:
        """``roles`` without duplicates, in the order given; an unknown one or none at all is refused
        with the roles this party may hold."""
        wanted = tuple(dict.fromkeys(r.strip() for r in roles if r.strip()))
        allowed = ", ".join(self.roles)
        if not wanted:
            raise InvalidInputError(f"give at least one role with --role; {self.id} may hold: {allowed}")
        unknown = [r for r in wanted if r not in self.roles]
        if unknown:
            raise InvalidInputError(
                f"the covenants do not let {self.id} hold the role '{unknown[0]}'; "
                f"{self.id} may hold: {allowed}"
            )
        return wanted


def party_profile(covenants: Iterable[Covenant], party: str) -> PartyProfile:
    """The party's profile; a party no covenant names is a configuration error."""
    pid = PartyId(party)
    mine = [c for c in covenants if pid in c.parties]
    if not mine:
        raise ConfigurationError(
            f"no covenant in the covenant tree names the party '{party}'; "
            "check EXCHANGE_NODE_PARTY and EXCHANGE_NODE_CONVENANT_DIR"
        )
    newest = max(mine, key=lambda c: c.effective_from)
    roles = sorted({str(r) for c in mine for r in c.roles if c.may_hold(party, r)})
    labels = tuple(dict.fromkeys(c.label for c in sorted(mine, key=lambda c: c.label)))
    return PartyProfile(party, newest.parties[pid].name, tuple(roles), labels)
