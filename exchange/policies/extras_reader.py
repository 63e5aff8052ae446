"""The parts of ``covenant.yaml`` that say who keeps the covenant's keys and what a team may register:
the key custodian party, the programme, confidential categories and the violation codes of findings.

Kept apart from :mod:`exchange.policies.reader` so each module stays readable; the reader calls
these with its collector, so every problem is still reported with its file and line.
"""

from __future__ import annotations

from exchange.policies.model import CategoryDef, Party, PartyRole, ViolationDef
from exchange.policies.yamlfields import Collector, ident, require
from exchange.policies.yamlsource import Node, ShapeError
from exchange.vocabulary import Article, PartyId


def read_custodian(out: Collector, top: dict[str, Node], parties: dict[PartyId, Party]) -> PartyId | None:
    """``custodian``: the signatory party that makes the covenant's pseudonym keys and seals them to
    each party. Optional in older files; without it the hub cannot distribute pseudonym keys."""
    node = top.get("custodian")
    if node is None or node.value is None:
        return None
    value = out.guard(lambda: ident(node, "custodian"))
    if value is None:
        return None
    party = parties.get(PartyId(value))
    if party is None:
        out.add(node, f"custodian '{value}' is not a party of this covenant version")
        return None
    if party.role is not PartyRole.SIGNATORY:
        out.add(node, f"custodian '{value}' must be a signatory, not a case-by-case partner")
        return None
    return party.id


def read_programme(out: Collector, top: dict[str, Node]) -> str | None:
    """``programme``: the programme the covenant belongs to, e.g. ``lsi`` for every LSI project, so a
    report can add up the programme's covenants. Optional."""
    node = top.get("programme")
    if node is None or node.value is None:
        return None
    return out.guard(lambda: ident(node, "programme"))


def read_confidential(out: Collector, node: Node) -> bool:
    """A category's ``confidential: true``: an access request shows it as withheld, naming the
    provider to ask, instead of its details (police data under the Wpg, for instance)."""
    flag = node.mapping().get("confidential") if isinstance(node.value, dict) else None
    if flag is None or flag.value is None:
        return False
    if not isinstance(flag.value, bool):
        out.add(flag, "confidential must be true or false")
        return False
    return flag.value


def read_violations(
    out: Collector, top: dict[str, Node], articles: frozenset[Article]
) -> dict[str, ViolationDef]:
    """``violations``: the codes a party may register as findings after an action, each with a
    name and optionally the article it falls under. Findings are counts per code, never people."""
    node = top.get("violations")
    if node is None or node.value is None:
        return {}
    entries = out.guard(node.sequence) or []
    found: dict[str, ViolationDef] = {}
    for entry in entries:

        def one(entry: Node = entry) -> ViolationDef:
            m = entry.mapping()
            code = ident(require(m, "id", entry), "violation id")
            article_node = m.get("article")
            article = None
            if article_node is not None and article_node.value is not None:
                article = Article(article_node.text())
                if article not in articles:
                    raise ShapeError(article_node, f"violation '{code}': unknown article '{article}'")
            return ViolationDef(code, require(m, "name", entry).text(), article)

        violation = out.guard(one)
        if violation is None:
            continue
        if violation.id in found:
            out.add(entry, f"violation '{violation.id}' is listed twice")
        found[violation.id] = violation
    return found


def with_confidential(category: CategoryDef, confidential: bool) -> CategoryDef:
    if not confidential:
        return category
    return CategoryDef(
        category.id,
        category.name,
        category.sensitivity,
        category.retention_days,
        category.description,
        confidential=True,
    )
