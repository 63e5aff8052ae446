"""What the covenant files say about a provider's work: the categories this party provides (for its
index), and for an enrichment request the article and legal ground that let it answer. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from exchange.policies.model import Covenant
from exchange.vocabulary import Category, Purpose


@dataclass(frozen=True, slots=True)
class ProvidedCategory:
    covenant: str  # the covenant's id, e.g. "pit": whose pseudonym key makes the index
    covenant_label: str  # "PIT 2021"
    category: str
    name: str  # the category's name in the covenant file

    @property
    def value(self) -> str:
        """The form's value for this choice."""
        return f"{self.covenant}:{self.category}"


@dataclass(frozen=True, slots=True)
class Grounds:
    """Why this party may answer a request: from the covenant in force, for the request's own
    covenant, category, purpose and requesting party. Empty tuples when no flow allows it (the hub
    decides again when the answer is sent)."""

    covenant_label: str
    category_name: str
    purpose_name: str
    #: (number, title) of every article a flow names.
    articles: tuple[tuple[str, str], ...]
    grounds: tuple[str, ...]


def in_force(versions: Iterable[Covenant], today: date) -> list[Covenant]:
    """Per covenant id, the version in force ``today`` (or the newest one when none is)."""
    by_id: dict[str, list[Covenant]] = {}
    for c in versions:
        by_id.setdefault(str(c.ref.id), []).append(c)
    out = []
    for cid in sorted(by_id):
        now = [c for c in by_id[cid] if c.in_force_on(today)]
        out.append(now[0] if now else max(by_id[cid], key=lambda c: c.effective_from))
    return out


def provided_categories(covenants: Sequence[Covenant], party: str) -> list[ProvidedCategory]:
    """Every category ``party`` provides in some flow of the given (in-force) covenants."""
    out: dict[str, ProvidedCategory] = {}
    for c in covenants:
        for flow in c.flows:
            if not any(party in c.members(end) for end in flow.providers):
                continue
            for cat in flow.categories:
                d = c.categories.get(cat)
                p = ProvidedCategory(str(c.ref.id), c.label, str(cat), d.name if d else str(cat))
                out.setdefault(p.value, p)
    return sorted(out.values(), key=lambda p: (p.covenant, p.name))


def grounds_for(
    covenants: Sequence[Covenant],
    party: str,
    covenant: str,
    category: str,
    purpose: str,
    requester: str,
    phase: str,
) -> Grounds:
    """The covenant's articles and grounds for answering in the case's current ``phase``."""
    cid = covenant.split("/")[0]
    found = [c for c in covenants if str(c.ref.id) == cid]
    if not found:
        return Grounds(cid.upper(), category, purpose, (), ())
    c = found[0]
    articles: dict[str, str] = {}
    grounds: dict[str, None] = {}
    for flow in c.flows:
        if (
            category in flow.categories
            and flow.purpose == purpose
            and phase in flow.phases
            and any(party in c.members(end) for end in flow.providers)
            and any(requester in c.members(end) for end in flow.recipients)
        ):
            text = c.articles.get(flow.article)
            articles.setdefault(str(flow.article), text.title if text else "")
            grounds[str(flow.ground)] = None
    cat = c.categories.get(Category(category))
    pur = c.purposes.get(Purpose(purpose))
    return Grounds(
        c.label,
        cat.name if cat else category,
        pur.name if pur else purpose,
        tuple(sorted(articles.items())),
        tuple(grounds),
    )
