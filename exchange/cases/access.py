"""Access requests (AVG art. 15): a party's privacy officer asks what the exchange holds about one data
subject in one covenant, by the subject's pseudonym under each key version in use.

The answer covers every party of the covenant, not only the asking one: the subject may ask any
controller, and each must say who received the data (art. 15 lid 1 sub c). Categories the covenant
marks confidential are withheld when the edge groups the entries (:mod:`exchange.reports.access`).
The request is an event of its own, ``access-request``, one per pseudonym looked up, with the
covenant and the number of entries answered; the pseudonyms go only in the event's subject field,
never in free text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exchange.audit.events import Action, Outcome
from exchange.cases.rules import covenant_in_force, require_role
from exchange.cases.unit import Unit
from exchange.crypto.pseudonym import parse_pseudonym
from exchange.errors import InvalidInputError
from exchange.policies.engine import DecisionEngine
from exchange.policies.model import Covenant
from exchange.storage.access_queries import AccessEntry, access_entries

OFFICER = "privacy-officer"
#: One pseudonym per key version in use; more than a few versions are never in use at once, and a
#: larger bound would let one request look up several subjects.
MAX_PSEUDONYMS = 4


def check_pseudonyms(pseudonyms: Sequence[str]) -> list[str]:
    """The pseudonyms as given, each valid, at most one per key version and at most
    :data:`MAX_PSEUDONYMS`. Two of one version are two subjects, and one request is about one."""
    if not pseudonyms:
        raise InvalidInputError("give the subject's pseudonym under each key version in use (at least one)")
    if len(pseudonyms) > MAX_PSEUDONYMS:
        raise InvalidInputError(
            f"at most {MAX_PSEUDONYMS} pseudonyms, one per key version of the same subject; "
            f"{len(pseudonyms)} were given"
        )
    seen: dict[int, str] = {}
    for text in pseudonyms:
        p = parse_pseudonym(text)
        if p.key_version in seen:
            raise InvalidInputError(
                f"two pseudonyms under key version {p.key_version}: an access request is about one subject,"
                " with one pseudonym per key version"
            )
        seen[p.key_version] = str(p)
    return list(seen.values())


@dataclass(frozen=True, slots=True)
class AccessFacts:
    """The log entries about one subject, with the covenant's versions to name them by."""

    current: Covenant  # the version in force
    versions: dict[str, Covenant]  # every installed version, by reference ('pit/2021')
    subjects: list[str]  # the pseudonyms looked up
    entries: list[AccessEntry]


class AccessService:
    """Access requests, bound to one unit of work."""

    def __init__(self, unit: Unit, decisions: DecisionEngine) -> None:
        self.unit = unit
        self.decisions = decisions

    def covenant(self, covenant_id: str) -> Covenant:
        """The version of the covenant in force, once the caller is shown to be a privacy officer of
        a party that may hold that role under it. Everything else is refused (and logged as such)."""
        covenant = covenant_in_force(self.decisions, covenant_id.partition("/")[0], self.unit.now)
        require_role(covenant, self.unit.caller, OFFICER, "answers access requests")
        return covenant

    def search(self, covenant_id: str, pseudonyms: Sequence[str]) -> AccessFacts:
        """What the log holds about the subject under every version of the covenant. Reads only:
        the edge groups it, and shows it once :meth:`record` has logged the request."""
        subjects = check_pseudonyms(pseudonyms)
        current = self.covenant(covenant_id)
        versions = {
            str(p.covenant.ref): p.covenant
            for p in self.decisions.policies
            if p.covenant.ref.id == current.ref.id
        }
        entries = access_entries(self.unit.session, subjects, sorted(versions))
        return AccessFacts(current, versions, subjects, entries)

    def record(self, covenant_id: str, pseudonyms: Sequence[str], answered: int) -> int:
        """Log the request: one ``access-request`` event per pseudonym, sharing the request's trace,
        with the covenant in force and the number of entries answered (withheld ones not counted).
        Returns the first event's index."""
        subjects = check_pseudonyms(pseudonyms)
        covenant = self.covenant(covenant_id)
        details: dict[str, str | int | bool] = {"entries": answered, "pseudonyms": len(subjects)}
        base = self.unit.event(
            Action.ACCESS_REQUEST, Outcome.DONE, covenant=str(covenant.ref), details=details
        )
        indexes = self.unit.record_all([base.derive(subject=s) for s in subjects])
        return indexes[0]
