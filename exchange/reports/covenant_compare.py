"""Two versions of a covenant side by side, for the jurist: per article, per purpose and per flow,
what the old version says and what the new one says, in Dutch, with names from the covenant files.

Articles and purposes are matched by number and id, flows by their id; a row says whether the item
is new, gone, changed or the same. The texts are the covenant's own; the words around them (phases,
forms, "alle rollen") are Dutch here, because the jurist reads them next to the covenant's Dutch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from exchange.policies.model import Covenant, Flow
from exchange.vocabulary import GroupId, PartyId

PHASES_NL = {
    "signal": "signaal",
    "selection": "selectie",
    "preparation": "voorbereiding",
    "action": "actie",
    "follow-up": "nazorg",
    "feedback": "terugkoppeling",
    "closed": "gesloten",
}
FORMS_NL = {"hit": "alleen hit/no-hit", "content": "de gegevens zelf"}


@dataclass(frozen=True, slots=True)
class Side:
    """One version's text of an item: a heading and its lines (empty when the version lacks it)."""

    heading: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    state: str  # new | gone | changed | same
    old: Side
    new: Side


@dataclass(frozen=True, slots=True)
class Comparison:
    old: str  # the versions' labels
    new: str
    articles: tuple[Row, ...]
    purposes: tuple[Row, ...]
    flows: tuple[Row, ...]
    parties: tuple[Row, ...]

    def sections(self) -> list[tuple[str, tuple[Row, ...]]]:
        return [
            ("articles", self.articles),
            ("purposes", self.purposes),
            ("flows", self.flows),
            ("parties", self.parties),
        ]


EMPTY = Side("", ())


def _row(key: str, old: Side | None, new: Side | None) -> Row:
    if old is None:
        return Row(key, "new", EMPTY, new or EMPTY)
    if new is None:
        return Row(key, "gone", old, EMPTY)
    return Row(key, "same" if old == new else "changed", old, new)


def _rows(keys: Iterable[str], old: dict[str, Side], new: dict[str, Side]) -> tuple[Row, ...]:
    return tuple(_row(k, old.get(k), new.get(k)) for k in keys)


def _ordered(old: Iterable[str], new: Iterable[str]) -> list[str]:
    """The new version's order, then what only the old one has."""
    seen = list(dict.fromkeys(new))
    return seen + [k for k in dict.fromkeys(old) if k not in seen]


def _ends(c: Covenant, names: tuple[str, ...]) -> str:
    out = []
    for n in names:
        group = c.groups.get(GroupId(n))
        party = c.parties.get(PartyId(n))
        out.append(group.name if group else party.name if party else n)
    return "; ".join(out)


def flow_side(c: Covenant, f: Flow) -> Side:
    categories = ", ".join(c.categories[k].name if k in c.categories else k for k in f.categories)
    purpose = c.purposes[f.purpose].name if f.purpose in c.purposes else f.purpose
    article = c.articles.get(f.article)
    lines = [
        f"Van: {_ends(c, f.providers)}",
        f"Aan: {_ends(c, f.recipients)}",
        f"Gegevens: {categories}",
        f"Doel: {purpose}",
        f"Fasen: {', '.join(PHASES_NL.get(p, p) for p in f.phases)}",
        f"Vorm: {FORMS_NL.get(str(f.form), str(f.form))}",
        f"Artikel {f.article}" + (f" ({article.title})" if article else ""),
        f"Grondslag: {f.ground}" + (f"; uitzondering: {f.exception}" if f.exception else ""),
        f"Rollen: {', '.join(f.roles) if f.roles else 'alle rollen'}",
    ]
    conditions = sorted(f.requires_recipient | f.requires_provider)
    if conditions:
        lines.append(f"Voorwaarden: {', '.join(conditions)}")
    if f.note:
        lines.append(f"Toelichting: {f.note}")
    return Side(f.id, tuple(lines))


def compare(old: Covenant, new: Covenant) -> Comparison:
    def articles(c: Covenant) -> dict[str, Side]:
        return {str(n): Side(f"Artikel {n}. {a.title}", (a.text,)) for n, a in c.articles.items()}

    def purposes(c: Covenant) -> dict[str, Side]:
        return {
            str(i): Side(
                p.name,
                tuple(f"Grondslag: {g}" for g in p.grounds) + ((p.description,) if p.description else ()),
            )
            for i, p in c.purposes.items()
        }

    def flows(c: Covenant) -> dict[str, Side]:
        return {f.id: flow_side(c, f) for f in c.flows}

    def parties(c: Covenant) -> dict[str, Side]:
        return {
            str(i): Side(p.name, ("ondertekenaar" if str(p.role) == "signatory" else "partner per casus",))
            for i, p in c.parties.items()
        }

    sections = []
    for make in (articles, purposes, flows, parties):
        o, n = make(old), make(new)
        sections.append(_rows(_ordered(o, n), o, n))
    return Comparison(old.label, new.label, *sections)
