"""Hit/no-hit: a party keeps an index of pseudonyms per category; a case's participant asks, for the
case's subjects, which parties hold something, for exactly the (party, category) pairs the covenant
lets it ask about in the case's purpose and phase. Every answer is its own log event (ADR 0008),
appended before the answers are returned.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from exchange.audit.events import Action, Outcome
from exchange.cases.key_versions import refusal, require_accepted, unaccepted
from exchange.cases.rules import covenant_in_force, require_open, require_party
from exchange.cases.unit import Unit
from exchange.crypto.pseudonym import parse_pseudonym
from exchange.errors import DeniedError, InvalidInputError
from exchange.policies.decision import Decision, DecisionRequest
from exchange.policies.engine import LEGAL_TIMEZONE, DecisionEngine
from exchange.policies.lookup import did_you_mean, provided_categories
from exchange.storage.cases import CaseRepository, IndexRepository
from exchange.storage.pseudonym_keys import PseudonymKeyRepository
from exchange.storage.readmodels import CaseView
from exchange.vocabulary import Caller, Category, PartyId

MAX_INDEX_BATCH = 100_000


#: An answer's three states (docs/specs/hit-states.md): the provider's index for the category holds
#: the subject, does not hold it, or the provider never published an index for that category.
HIT, NO_HIT, NO_INDEX = "hit", "no-hit", "no-index"
_OUTCOME = {HIT: Outcome.HIT, NO_HIT: Outcome.NO_HIT, NO_INDEX: Outcome.NO_INDEX}


@dataclass(frozen=True, slots=True)
class HitAnswer:
    subject: str
    provider: str
    category: str
    hit: bool
    state: str  # hit | no-hit | no-index
    form: str  # what the covenant allows next: hit (only this answer) or content (enrichment)
    articles: tuple[str, ...]
    log_index: int


Pairs = list[tuple[str, Category, Decision]]
#: (provider, category) pairs the covenant allows the caller for the case's purpose in another phase.
OtherPhasePairs = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class HitResult:
    """The logged answers, and the pairs that are not allowed in this phase (no lookup, no event)."""

    answers: list[HitAnswer]
    not_in_phase: OtherPhasePairs


class KnownIndexes:
    """The (provider, category) indexes this process has seen published. A publication is never
    withdrawn (an emptied index answers no-hit), so a pair once seen stays true in every process and
    needs no invalidation; only pairs not seen yet are read from the database. On the hot path that
    means no query at all once every provider asked about has published its indexes."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def published(self, index: IndexRepository, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of ``pairs`` have a published index."""
        wanted = set(pairs)
        missing = wanted - self._seen
        if missing:
            found = index.published()
            with self._lock:
                self._seen |= found
            return (wanted - missing) | (found & missing)
        return wanted


class AllowedPairs:
    """The (provider, category) pairs a caller may ask about in a case, with their decisions.

    The same inputs give the same answer, so they are cached per policy generation, requester, role,
    case purpose and phase, and legal day (a covenant version starts and ends on a day). One cache
    for the process, shared by the requests' bound services.
    """

    LIMIT = 4096

    def __init__(self, decisions: DecisionEngine) -> None:
        self.decisions = decisions
        self._cache: dict[tuple[object, ...], tuple[Pairs, OtherPhasePairs]] = {}
        self._lock = threading.Lock()
        #: Published indexes, process-wide like the pairs (they share this object's lifetime).
        self.indexes = KnownIndexes()

    def __call__(self, c: Caller, case: CaseView, now: datetime) -> Pairs:
        return self.both(c, case, now)[0]

    def other_phases(self, c: Caller, case: CaseView, now: datetime) -> OtherPhasePairs:
        """The pairs the covenant allows the caller for the case's purpose, but not in its phase."""
        return self.both(c, case, now)[1]

    def both(self, c: Caller, case: CaseView, now: datetime) -> tuple[Pairs, OtherPhasePairs]:
        """The allowed pairs with their decisions, and the pairs allowed only in another phase."""
        day = now.astimezone(LEGAL_TIMEZONE).date()
        key = (self.decisions.generation, case.covenant, c.party, c.role, case.purpose, case.phase, day)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        covenant = covenant_in_force(self.decisions, case.covenant, now)
        # Checked on a miss only: a key is cached only after its caller passed this check.
        require_party(covenant, c)
        allowed: Pairs = []
        elsewhere: OtherPhasePairs = []
        others = [p for p in covenant.phases if p != case.phase]
        for provider in covenant.parties:
            if provider == c.party:
                continue
            for category in covenant.categories:
                request = DecisionRequest(
                    c.party, c.role, provider, category, case.purpose, case.phase, case.covenant, now
                )
                d = self.decisions.decide(request)
                if d.allowed:
                    allowed.append((str(provider), category, d))
                elif any(
                    self.decisions.decide(dataclasses.replace(request, phase=p)).allowed for p in others
                ):
                    elsewhere.append((str(provider), str(category)))
        entry = (allowed, elsewhere)
        with self._lock:
            if len(self._cache) >= self.LIMIT:
                self._cache.clear()
            self._cache[key] = entry
        return entry


class HitService:
    """Index updates and hit/no-hit queries, bound to one unit of work."""

    def __init__(self, unit: Unit, pairs: AllowedPairs) -> None:
        self.unit = unit
        self.pairs = pairs
        self.index = IndexRepository(unit.session)

    def update_index(self, category: str, add: Iterable[str], remove: Iterable[str]) -> tuple[int, int]:
        """Add or remove subject pseudonyms in the caller's own index for one category."""
        covenants = self._require_provided(category)
        add_list, remove_list = list(dict.fromkeys(add)), list(dict.fromkeys(remove))
        if len(add_list) + len(remove_list) > MAX_INDEX_BATCH:
            raise InvalidInputError(f"at most {MAX_INDEX_BATCH} subjects per request; send batches")
        for subject in (*add_list, *remove_list):
            parse_pseudonym(subject)
        # Removing an entry of a version no longer accepted is how an index is cleaned: only additions
        # are checked.
        self._require_accepted(covenants, add_list)
        party = self.unit.caller.party
        self.index.publish(party, category, self.unit.now)
        self.index.add(party, category, add_list)
        self.index.remove(party, category, remove_list)
        self.unit.record(
            Action.INDEX_UPDATE,
            Outcome.DONE,
            category=category,
            details={"added": len(add_list), "removed": len(remove_list)},
        )
        return len(add_list), len(remove_list)

    def _require_accepted(self, covenants: list[str], subjects: list[str]) -> None:
        """An index is kept per category, not per covenant: a pseudonym is taken when one covenant
        under which the party provides the category accepts its key version, or when one of them has
        no version on record (docs/specs/pseudonym-keys.md)."""
        repo = PseudonymKeyRepository(self.unit.session)
        on_record = {cid: repo.versions(cid) for cid in covenants}
        if not subjects or any(not v for v in on_record.values()):
            return
        now = self.unit.now
        bad = set.intersection(*(unaccepted(v, subjects, now) for v in on_record.values()))
        if bad:
            cid = sorted(on_record)[0]
            raise refusal(cid, bad, on_record[cid], now)

    def _require_provided(self, category: str) -> list[str]:
        """A party keeps an index only for a category it provides under a covenant in force; a typo
        would otherwise be stored under a name nobody asks about, and every answer be no-hit. Returns
        the ids of the covenants under which it provides the category."""
        party = self.unit.caller.party
        mine = [c for c in self.pairs.decisions.in_force(self.unit.now) if PartyId(party) in c.parties]
        known = {str(k) for c in mine for k in c.categories}
        if category not in known:
            raise InvalidInputError(
                f"'{category}' is not a data category of a covenant of '{party}' in force"
                f"{did_you_mean(category, known)}"
            )
        provided = {str(k) for c in mine for k in provided_categories(c, party)}
        if category not in provided:
            listed = ", ".join(sorted(provided)) or "nothing"
            raise DeniedError(
                f"'{party}' does not provide '{category}' under any covenant in force"
                f" (it provides: {listed})",
                code="not-provider",
            )
        return sorted(
            {str(c.ref.id) for c in mine if category in {str(k) for k in provided_categories(c, party)}}
        )

    def hits(self, case_id: str) -> HitResult:
        """For each of the case's subjects, hit, no-hit or no-index per (party, category) the covenant
        lets the caller ask about in this case's purpose and phase, one log event per answer; and the
        pairs allowed for the purpose only in another phase, listed without a lookup or an event.
        Every other pair is simply absent."""
        cases = CaseRepository(self.unit.session)
        case = cases.visible(case_id, self.unit.caller.party)
        require_open(case)
        subjects = cases.subjects(case_id)
        require_accepted(self.unit.session, case.covenant, subjects, self.unit.now)
        allowed, elsewhere = self.pairs.both(self.unit.caller, case, self.unit.now)
        if not allowed:
            return HitResult([], elsewhere)
        providers = sorted({p for p, _, _ in allowed})
        held = self.index.held(subjects, providers)
        published = self.pairs.indexes.published(self.index, ((p, str(k)) for p, k, _ in allowed))
        # The answers share who asked, when, in which case and trace: one event is made and checked,
        # and each answer derives its own from it.
        base = self.unit.event(Action.HIT_QUERY, Outcome.NO_HIT, case)
        pairs = [
            (
                p,
                category,
                d.policy_digest,
                d.articles,
                d.legal_grounds,
                str(d.form),
                (p, category) in published,
            )
            for p, category, d in allowed
        ]
        pending: list[tuple[str, str, str, tuple[str, ...], str, str]] = []
        events = []
        for subject in subjects:
            about = base.derive(subject=subject)  # the pseudonym is checked once per subject
            for provider, category, digest, articles, grounds, form, indexed in pairs:
                held_here = (provider, category, subject) in held
                state = (HIT if held_here else NO_HIT) if indexed else NO_INDEX
                pending.append((subject, provider, category, articles, form, state))
                events.append(
                    about.derive(
                        outcome=_OUTCOME[state],
                        counterparty=provider,
                        category=category,
                        policy_digest=digest,
                        articles=articles,
                        legal_grounds=grounds,
                    )
                )
        # One event per answer, appended together: the answers are returned only after they are logged.
        indexes = self.unit.record_all(events)
        answers = [
            HitAnswer(subject, provider, category, state == HIT, state, form, articles, index)
            for (subject, provider, category, articles, form, state), index in zip(
                pending, indexes, strict=True
            )
        ]
        return HitResult(answers, elsewhere)
