"""Two versions of a covenant side by side, for the jurist: per article, per purpose and per flow,
what the old version says and what the new one says, with names from the covenant files.

Articles and purposes are matched by number and id, flows by their id; a row says whether the item
is new, gone, changed or the same. The texts are the covenant's own; the words around them (what
each line is, phases, forms, roles) are left as codes here, and the console's page puts them into
the reader's language from the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from exchange.policies.model import Covenant, Flow
from exchange.vocabulary import GroupId, PartyId


@dataclass(frozen=True, slots=True)
class Line:
    """One line of an item: what it is (a code such as ``ground``; empty for the covenant's own
    prose) and its values, with how the page should word them: ``text`` as written, or the codes
    of a ``phase``, ``form``, ``role`` or ``party_role``."""

    label: str
    values: tuple[str, ...]
    kind: str = "text"


@dataclass(frozen=True, slots=True)
class Side:
    """One version's text of an item: a heading and its lines (empty when the version lacks it);
    an article's heading is its title, with its number apart."""

    heading: str
    lines: tuple[Line, ...]
    article: str = ""


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
    categories = tuple(c.categories[k].name if k in c.categories else k for k in f.categories)
    purpose = c.purposes[f.purpose].name if f.purpose in c.purposes else f.purpose
    article = c.articles.get(f.article)
    lines = [
        Line("from", (_ends(c, f.providers),)),
        Line("to", (_ends(c, f.recipients),)),
        Line("data", categories),
        Line("purpose", (purpose,)),
        Line("phases", tuple(f.phases), "phase"),
        Line("form", (str(f.form),), "form"),
        Line("article", (f"{f.article}" + (f" ({article.title})" if article else ""),)),
        Line("ground", (f.ground,)),
    ]
    if f.exception:
        lines.append(Line("exception", (f.exception,)))
    lines.append(Line("roles", tuple(f.roles), "role"))  # no roles: every role
    conditions = tuple(sorted(f.requires_recipient | f.requires_provider))
    if conditions:
        lines.append(Line("conditions", conditions))
    if f.note:
        lines.append(Line("note", (f.note,)))
    return Side(f.id, tuple(lines))


def compare(old: Covenant, new: Covenant) -> Comparison:
    def articles(c: Covenant) -> dict[str, Side]:
        return {str(n): Side(a.title, (Line("", (a.text,)),), str(n)) for n, a in c.articles.items()}

    def purposes(c: Covenant) -> dict[str, Side]:
        return {
            str(i): Side(
                p.name,
                tuple(Line("ground", (g,)) for g in p.grounds)
                + ((Line("", (p.description,)),) if p.description else ()),
            )
            for i, p in c.purposes.items()
        }

    def flows(c: Covenant) -> dict[str, Side]:
        return {f.id: flow_side(c, f) for f in c.flows}

    def parties(c: Covenant) -> dict[str, Side]:
        return {str(i): Side(p.name, (Line("", (str(p.role),), "party_role"),)) for i, p in c.parties.items()}

    sections = []
    for make in (articles, purposes, flows, parties):
        o, n = make(old), make(new)
        sections.append(_rows(_ordered(o, n), o, n))
    return Comparison(old.label, new.label, *sections)
