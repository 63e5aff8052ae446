"""The answer to an access request (AVG art. 15) from the disclosure log, for a privacy officer to turn
into a letter: which parties received or learned what about the subject, under which purpose,
article and legal ground, and when.

Input is the log entries about the subject's pseudonyms (:mod:`exchange.storage.access_queries`)
and the covenant's versions; no user id enters, so none can come out. The answer holds:

- cases: the cases that named the subject, with the coordinating party, purpose and opening day;
- disclosures: hits, items disclosed, items read and feedback, grouped by recipient, provider,
  kind, category, purpose, articles and legal grounds, with the days (Amsterdam) and a count;
- no-hits: hit/no-hit answers that found nothing (no-hit) and those that could not look (no-index:
  the provider published no index), counted apart per asking party, asked party and category,
  never one by one;
- withheld: every category some version of the covenant marks ``confidential`` (police data under
  the Wpg, signals of organised crime), each with the parties that provide it. The list is the same
  for every subject, whether or not anything of the category was exchanged about this one: not
  its existence, nor its dates, parties, articles or counts are revealed through another party's
  access request (docs/adr/0017-access-requests-withhold-confidential-categories.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from exchange.policies.engine import LEGAL_TIMEZONE
from exchange.policies.model import Covenant
from exchange.storage.access_queries import CASE_OPENED, AccessEntry
from exchange.vocabulary import Article, Category, PartyId, Purpose

__all__ = ["AccessAnswer", "AccessEntry", "access_answer"]

#: What a group of entries did, by the log action (and outcome) it comes from.
HIT, DISCLOSED, READ, FEEDBACK, REQUEST = "hit", "disclosed", "read", "feedback", "request"


@dataclass(frozen=True, slots=True)
class Named:
    """An identifier from the covenant and the name the covenant gives it (the id if it gives none)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class CaseOpened:
    case: str
    coordinator: Named
    purpose: Named | None
    opened: date


@dataclass(frozen=True, slots=True)
class Disclosure:
    """Entries of one kind from one provider to one recipient, in one category, purpose and ground."""

    kind: str
    recipient: Named
    provider: Named
    category: Named | None
    purpose: Named | None
    articles: tuple[Named, ...]  # number and title
    legal_grounds: tuple[str, ...]
    dates: tuple[date, ...]
    count: int


@dataclass(frozen=True, slots=True)
class NoHits:
    asked_by: Named
    provider: Named
    category: Named
    count: int  # answers that found nothing (no-hit)
    no_index: int = 0  # answers while the provider had published no index: nothing was checked


@dataclass(frozen=True, slots=True)
class Withheld:
    category: Named
    ask: tuple[Named, ...]  # the parties that provide it under the covenant


@dataclass(frozen=True, slots=True)
class AccessAnswer:
    covenant: Named
    versions: tuple[str, ...]
    subjects: int
    cases: tuple[CaseOpened, ...]
    disclosures: tuple[Disclosure, ...]
    no_hits: tuple[NoHits, ...]
    withheld: tuple[Withheld, ...]
    #: The log entries the answer accounts for (withheld ones not counted).
    entries: int


#: recipient, provider, kind, category, purpose, articles, legal grounds
_Key = tuple[str, str, str, str | None, str | None, tuple[str, ...], tuple[str, ...]]


class _Names:
    """Names from the version an entry was logged under, else from the newest version."""

    def __init__(self, versions: Mapping[str, Covenant], current: Covenant) -> None:
        self.versions = versions
        self.order = [current, *sorted(versions.values(), key=lambda c: c.effective_from, reverse=True)]

    def _chain(self, ref: str | None) -> list[Covenant]:
        first = self.versions.get(ref or "")
        return [first, *self.order] if first is not None else self.order

    def party(self, party: str, ref: str | None) -> Named:
        for c in self._chain(ref):
            p = c.parties.get(PartyId(party))
            if p is not None:
                return Named(party, p.name)
        return Named(party, party)

    def category(self, category: str, ref: str | None) -> Named:
        for c in self._chain(ref):
            k = c.categories.get(Category(category))
            if k is not None:
                return Named(category, k.name)
        return Named(category, category)

    def purpose(self, purpose: str | None, ref: str | None) -> Named | None:
        if purpose is None:
            return None
        for c in self._chain(ref):
            p = c.purposes.get(Purpose(purpose))
            if p is not None:
                return Named(purpose, p.name)
        return Named(purpose, purpose)

    def article(self, number: str, ref: str | None) -> Named:
        for c in self._chain(ref):
            a = c.articles.get(Article(number))
            if a is not None:
                return Named(number, a.title)
        return Named(number, "")

    def grounds(self, e: AccessEntry, provider: str, recipient: str) -> tuple[str, ...]:
        """The grounds the entry records, else those of the flows of its version that allow it (a
        disclosure event records its articles only)."""
        if e.legal_grounds or e.category is None:
            return e.legal_grounds
        c = self._chain(e.covenant)[0]
        found: list[str] = []
        for f in c.flows:
            if (
                Category(e.category) in f.categories
                and f.purpose == e.purpose
                and f.article in e.articles
                and any(PartyId(provider) in c.members(end) for end in f.providers)
                and any(PartyId(recipient) in c.members(end) for end in f.recipients)
            ):
                found.extend(g for g in (f.ground, f.exception) if g is not None)
        return tuple(dict.fromkeys(found))


def confidential_categories(versions: Iterable[Covenant]) -> set[str]:
    """Categories some version marks confidential: withheld whichever version an entry names."""
    return {str(k.id) for c in versions for k in c.categories.values() if k.confidential}


def _withheld(versions: list[Covenant], names: _Names, hidden: set[str]) -> tuple[Withheld, ...]:
    out = []
    for category in sorted(hidden):
        providers: dict[str, None] = {}
        for c in versions:
            for f in c.flows:
                if Category(category) in f.categories:
                    for end in f.providers:
                        providers.update(dict.fromkeys(str(m) for m in c.members(end)))
        ask = tuple(names.party(p, None) for p in providers)
        out.append(Withheld(names.category(category, None), ask))
    return tuple(out)


def _sides(e: AccessEntry) -> tuple[str, str, str] | None:
    """(kind, recipient, provider) of an entry, or None for an entry that is not a disclosure."""
    other = e.counterparty or ""
    if e.action == "hit-query":
        return (HIT, e.actor_party, other) if e.outcome == "hit" else None
    if e.action == "disclosure":
        return DISCLOSED, other, e.actor_party
    if e.action == "dossier-read":
        return READ, e.actor_party, other
    if e.action == "feedback":
        return FEEDBACK, other, e.actor_party
    if e.action == "decision":
        return REQUEST, e.actor_party, other
    return None


def _day(e: AccessEntry) -> date:
    return e.time.astimezone(LEGAL_TIMEZONE).date()


def access_answer(
    entries: Iterable[AccessEntry], versions: Mapping[str, Covenant], current: Covenant, subjects: int
) -> AccessAnswer:
    """Group the log entries about a subject for a letter; ``versions`` are every version of the
    covenant by reference (``pit/2021``), ``current`` the one in force, ``subjects`` how many
    pseudonyms were looked up."""
    every = [current, *versions.values()]
    names = _Names(versions, current)
    hidden = confidential_categories(every)
    cases: dict[str, CaseOpened] = {}
    groups: dict[_Key, list[AccessEntry]] = defaultdict(list)
    no_hits: dict[tuple[str, str, str, str | None, str], int] = defaultdict(int)
    shown = 0
    for e in entries:
        if e.category is not None and e.category in hidden:
            continue
        if e.action == CASE_OPENED:
            if e.case is not None and e.case not in cases:
                coordinator = names.party(e.actor_party, e.covenant)
                cases[e.case] = CaseOpened(e.case, coordinator, names.purpose(e.purpose, e.covenant), _day(e))
            shown += 1
            continue
        if e.action == "hit-query" and e.outcome in ("no-hit", "no-index") and e.category is not None:
            no_hits[(e.actor_party, e.counterparty or "", e.category, e.covenant, e.outcome)] += 1
            shown += 1
            continue
        sides = _sides(e)
        if sides is None:
            continue
        kind, recipient, provider = sides
        grounds = names.grounds(e, provider, recipient)
        groups[(recipient, provider, kind, e.category, e.purpose, e.articles, grounds)].append(e)
        shown += 1
    disclosures = []
    for (recipient, provider, kind, category, purpose, articles, grounds), found in groups.items():
        ref = found[-1].covenant
        disclosures.append(
            Disclosure(
                kind=kind,
                recipient=names.party(recipient, ref),
                provider=names.party(provider, ref),
                category=names.category(category, ref) if category is not None else None,
                purpose=names.purpose(purpose, ref),
                articles=tuple(names.article(a, ref) for a in articles),
                legal_grounds=grounds,
                dates=tuple(sorted({_day(e) for e in found})),
                count=len(found),
            )
        )
    disclosures.sort(key=lambda d: (d.recipient.name, d.provider.name, d.kind, d.dates[0]))
    merged: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: {"no-hit": 0, "no-index": 0})
    refs: dict[tuple[str, str, str], str | None] = {}
    for (asker, provider, category, ref, outcome), n in no_hits.items():
        merged[(asker, provider, category)][outcome] += n
        refs.setdefault((asker, provider, category), ref)
    summary = sorted(
        (
            NoHits(
                names.party(a, refs[(a, p, k)]),
                names.party(p, refs[(a, p, k)]),
                names.category(k, refs[(a, p, k)]),
                n["no-hit"],
                n["no-index"],
            )
            for (a, p, k), n in merged.items()
        ),
        key=lambda h: (h.asked_by.name, h.provider.name, h.category.name),
    )
    return AccessAnswer(
        covenant=Named(str(current.ref.id), current.title),
        versions=tuple(sorted(versions)),
        subjects=subjects,
        cases=tuple(cases.values()),  # in the order they were opened: entries come oldest first
        disclosures=tuple(disclosures),
        no_hits=tuple(summary),
        withheld=_withheld(every, names, hidden),
        entries=shown,
    )
