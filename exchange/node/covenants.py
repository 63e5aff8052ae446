"""The covenants a node's pages offer: those of the covenant tree that name the node's party and are
in force on the day asked (Amsterdam time, as the hub counts)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from exchange.policies.engine import LEGAL_TIMEZONE
from exchange.policies.files import load_tree
from exchange.policies.model import Covenant
from exchange.vocabulary import PartyId


class CovenantBook:
    def __init__(self, tree: Path, party: str) -> None:
        self.party = PartyId(party)
        self.all = [v.covenant for v in load_tree(tree) if self.party in v.covenant.parties]

    def in_force(self, now: datetime) -> list[Covenant]:
        day = now.astimezone(LEGAL_TIMEZONE).date()
        return sorted((c for c in self.all if c.in_force_on(day)), key=lambda c: c.label)

    def get(self, covenant_id: str, now: datetime) -> Covenant | None:
        return next((c for c in self.in_force(now) if str(c.ref.id) == covenant_id), None)

    def partners(self, now: datetime) -> list[tuple[str, str]]:
        """(party id, name) of every other party of the covenants in force, by name."""
        seen: dict[str, str] = {}
        for c in self.in_force(now):
            for pid, p in c.parties.items():
                if pid != self.party:
                    seen.setdefault(str(pid), p.name)
        return sorted(seen.items(), key=lambda kv: kv[1])

    def party_names(self) -> dict[str, str]:
        """Party id to name, from every version that names this party (a later version's name wins)."""
        return {str(i): p.name for c in self.all for i, p in c.parties.items()}

    def purpose_names(self) -> dict[str, str]:
        """Purpose id to name, from every version that names this party."""
        return {str(i): p.name for c in self.all for i, p in c.purposes.items()}
