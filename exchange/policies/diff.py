"""What a covenant revision changes, in words a jurist reads and as JSON for machines.

The diff works on the expanded permissions (recipient party, provider party, category, purpose,
phase, form), so a change of group membership shows as the parties it affects, not as a changed line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from exchange.policies.model import Covenant
from exchange.vocabulary import Article, Form, PartyId, Phase

Permission = tuple[str, str, str, str, str]  # recipient, provider, category, purpose, phase


def permissions(c: Covenant) -> dict[Permission, Form]:
    """Every (recipient, provider, category, purpose, phase) the covenant allows, with its form.

    Attribute requirements are applied; role restrictions are not part of a permission here,
    and neither is a party's flow to itself.
    """
    out: dict[Permission, Form] = {}
    for f in c.flows:
        recipients = {p for r in f.recipients for p in c.members(r)}
        providers = {p for q in f.providers for p in c.members(q)}
        for r in recipients:
            if not f.requires_recipient <= c.parties[r].attributes:
                continue
            for p in providers:
                # A party needs no covenant to see its own data; group-to-group flows include
                # every member as its own provider, which is noise in a diff.
                if p == r or not f.requires_provider <= c.parties[p].attributes:
                    continue
                for cat in f.categories:
                    for phase in f.phases:
                        key = (r, p, cat, f.purpose, str(phase))
                        if out.get(key) != Form.CONTENT:
                            out[key] = f.form
    return out


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # gains, loses, widens, narrows
    recipient: str
    provider: str
    category: str
    purpose: str
    phases: tuple[str, ...]
    detail: str


def _group_phases(perms: dict[Permission, Any]) -> dict[tuple[str, str, str, str], list[str]]:
    grouped: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    for r, p, cat, purpose, phase in sorted(perms):
        grouped[(r, p, cat, purpose)].append(phase)
    return grouped


def diff_covenants(old: Covenant, new: Covenant) -> dict[str, Any]:
    """The differences between two versions as data (see :func:`render_diff` for words)."""
    a, b = permissions(old), permissions(new)
    changes: list[Change] = []
    gained = {k: v for k, v in b.items() if k not in a}
    lost = {k: v for k, v in a.items() if k not in b}
    for kind, perms in (("gains", gained), ("loses", lost)):
        for (r, p, cat, purpose), phases in _group_phases(perms).items():
            forms = {perms[(r, p, cat, purpose, ph)] for ph in phases}
            form = "content" if Form.CONTENT in forms else "hit/no-hit only"
            changes.append(Change(kind, r, p, cat, purpose, tuple(phases), form))
    form_changes = {k: (a[k], b[k]) for k in a.keys() & b.keys() if a[k] != b[k]}
    for (r, p, cat, purpose), phases in _group_phases(form_changes).items():
        before, after = form_changes[(r, p, cat, purpose, phases[0])]
        kind = "widens" if after == Form.CONTENT else "narrows"
        changes.append(Change(kind, r, p, cat, purpose, tuple(phases), f"{before} -> {after}"))

    def ids(x: dict[Any, Any]) -> set[str]:
        return {str(k) for k in x}

    articles_changed = sorted(
        n
        for n in ids(old.articles) & ids(new.articles)
        if old.articles[Article(n)].text != new.articles[Article(n)].text
        or old.articles[Article(n)].title != new.articles[Article(n)].title
    )
    return {
        "old": str(old.ref),
        "new": str(new.ref),
        "parties_added": sorted(ids(new.parties) - ids(old.parties)),
        "parties_removed": sorted(ids(old.parties) - ids(new.parties)),
        "purposes_added": sorted(ids(new.purposes) - ids(old.purposes)),
        "purposes_removed": sorted(ids(old.purposes) - ids(new.purposes)),
        "categories_added": sorted(ids(new.categories) - ids(old.categories)),
        "categories_removed": sorted(ids(old.categories) - ids(new.categories)),
        "articles_added": sorted(ids(new.articles) - ids(old.articles)),
        "articles_removed": sorted(ids(old.articles) - ids(new.articles)),
        "articles_changed": articles_changed,
        "changes": [
            {
                "kind": ch.kind,
                "recipient": ch.recipient,
                "provider": ch.provider,
                "category": ch.category,
                "purpose": ch.purpose,
                "phases": list(ch.phases),
                "detail": ch.detail,
            }
            for ch in sorted(changes, key=lambda c: (c.recipient, c.kind, c.provider, c.category))
        ],
    }


def _set_name(old: Covenant, new: Covenant, parties: frozenset[str]) -> str:
    """Name a set of parties by a group of the new (or old) covenant where one matches exactly."""
    for c in (new, old):
        for g in c.groups.values():
            if frozenset(g.members) == parties:
                return g.name
    names = []
    for pid in sorted(parties):
        party = new.parties.get(PartyId(pid)) or old.parties.get(PartyId(pid))
        names.append(party.name if party is not None else pid)
    return ", ".join(names)


_VERBS = {
    "gains": "now receive{s}",
    "loses": "no longer receive{s}",
    "widens": "receive{s} content instead of only hit/no-hit:",
    "narrows": "receive{s} only hit/no-hit instead of content:",
}


def render_diff(old: Covenant, new: Covenant) -> str:
    """The diff in words, with identical changes for several parties folded into one line."""
    d = diff_covenants(old, new)
    lines = [f"What changes from {old.label} to {new.label}", ""]
    for key, words in (
        ("parties_added", "New parties"),
        ("parties_removed", "Parties that leave"),
        ("purposes_added", "New purposes"),
        ("purposes_removed", "Purposes dropped"),
        ("categories_added", "New data categories"),
        ("categories_removed", "Data categories dropped"),
        ("articles_added", "New articles"),
        ("articles_removed", "Articles removed"),
        ("articles_changed", "Articles whose text changed"),
    ):
        if d[key]:
            lines.append(f"{words}: {', '.join(d[key])}")
    # Fold: first the providers of one recipient's identical change, then the recipients
    # that share an identical (change, providers) pair.
    by_recipient: dict[tuple[str, str, str, str, str, str], set[str]] = defaultdict(set)
    for ch in d["changes"]:
        rkey = (
            ch["kind"],
            ch["recipient"],
            ch["category"],
            ch["purpose"],
            ",".join(ch["phases"]),
            ch["detail"],
        )
        by_recipient[rkey].add(ch["provider"])
    folded: dict[tuple[str, str, str, str, str, frozenset[str]], set[str]] = defaultdict(set)
    for (kind, recipient, cat, purpose, phases, detail), providers in by_recipient.items():
        folded[(kind, cat, purpose, phases, detail, frozenset(providers))].add(recipient)
    order = {str(p): i for i, p in enumerate(Phase)}
    rows = []
    for (kind, cat, purpose, phases, detail, provider_set), recipients in folded.items():
        who = _set_name(old, new, frozenset(recipients))
        src = _set_name(old, new, provider_set)
        phase_list = sorted(phases.split(","), key=lambda p: order.get(p, 99))
        form = "" if kind in ("widens", "narrows") else f" ({detail})"
        verb = _VERBS[kind].format(s="" if len(recipients) > 1 else "s")
        rows.append(
            (
                kind,
                who,
                f"- {who} {verb} '{cat}' from {src}{form}, for '{purpose}' in {', '.join(phase_list)}",
            )
        )
    if rows:
        lines.append("")
        for kind in ("gains", "loses", "widens", "narrows"):
            chosen = sorted(r for r in rows if r[0] == kind)
            if chosen:
                lines.append(
                    {
                        "gains": "Permissions gained:",
                        "loses": "Permissions lost:",
                        "widens": "Widened:",
                        "narrows": "Narrowed:",
                    }[kind]
                )
                lines.extend(r[2] for r in chosen)
    else:
        lines.append("No party gains or loses any permission.")
    return "\n".join(lines)
