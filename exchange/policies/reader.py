"""Turn the YAML of one covenant version into a :class:`Covenant`, collecting every problem.

The reader is pure: it takes the files' text, not paths. It reports all problems it can find in one
pass, each with file and line, because a jurist fixing a covenant wants the whole list at once.
"""

from __future__ import annotations

import functools
import re
from datetime import date

from exchange.policies.extras_reader import (
    read_confidential,
    read_custodian,
    read_programme,
    read_violations,
    with_confidential,
)
from exchange.policies.flow_reader import NEEDS_EXCEPTION
from exchange.policies.flow_reader import read_flow as _read_flow
from exchange.policies.model import (
    ArticleText,
    CategoryDef,
    Covenant,
    Flow,
    Group,
    Party,
    PartyRole,
    PurposeDef,
)
from exchange.policies.scenario_reader import read_scenarios
from exchange.policies.yamlfields import Collector as _Collector
from exchange.policies.yamlfields import ident as _ident
from exchange.policies.yamlfields import policy_text as _policy_text
from exchange.policies.yamlfields import read_date as _date
from exchange.policies.yamlfields import read_list as _read_list
from exchange.policies.yamlfields import require as _require
from exchange.policies.yamlfields import retention_days as _retention
from exchange.policies.yamlfields import texts as _texts
from exchange.policies.yamlsource import CovenantFileError, Node, Problem, ShapeError, parse_yaml
from exchange.vocabulary import (
    Article,
    Category,
    CovenantId,
    CovenantRef,
    GroupId,
    LegalGround,
    PartyId,
    Phase,
    Purpose,
    Role,
    Sensitivity,
)

COVENANT_FILE = "covenant.yaml"
FLOWS_FILE = "flows.yaml"
SCENARIOS_FILE = "scenarios.yaml"

DEFAULT_ROLES = ("coordinator", "employee", "privacy-officer", "jurist")
DEFAULT_QUERY_LIMIT = 10

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# A legal ground names a statute and an article: "Participatiewet art. 64", "AVG art. 6 lid 1 sub e".
_RETENTION = re.compile(r"^P(\d+)([YMD])$")
_DAYS_PER_UNIT = {"Y": 365, "M": 30, "D": 1}
# Sensitivities whose flows must cite an explicit statutory exception (AVG art. 9 and 10, UAVG art. 46).


def read_covenant(files: dict[str, str], source: str = "") -> Covenant:
    """Read one covenant version from its files' text, keyed by file name.

    ``files`` holds ``covenant.yaml`` and ``flows.yaml`` (paths as they should appear in messages
    are formed as ``source/name``). Raises :class:`CovenantFileError` listing every problem found.
    """
    out = _Collector()
    prefix = f"{source}/" if source else ""
    if COVENANT_FILE not in files:
        raise CovenantFileError([Problem(prefix + COVENANT_FILE, 1, "file is missing")])
    root = parse_yaml(files[COVENANT_FILE], prefix + COVENANT_FILE)
    flows_root = parse_yaml(files[FLOWS_FILE], prefix + FLOWS_FILE) if FLOWS_FILE in files else None
    if flows_root is None:
        out.problems.append(Problem(prefix + FLOWS_FILE, 1, "file is missing"))

    top = out.guard(root.mapping)
    if top is None:
        raise CovenantFileError(out.problems)

    header = out.guard(lambda: _read_header(top, root))
    if header is None:
        raise CovenantFileError(out.problems)
    ref, title, effective_from, effective_until, query_limit = header
    if effective_until is not None and effective_until <= effective_from:
        out.add(top["effective_until"], "effective_until must be after effective_from")

    phases = _read_phases(out, top.get("phases"))
    parties = _read_parties(out, top, root)
    groups = _read_groups(out, top, parties)
    roles, role_holders = _read_roles(out, top.get("roles"), parties, groups)
    articles = _read_articles(out, top, root)
    purposes = _read_purposes(out, top, root)
    categories = _read_categories(out, top, root)
    custodian = read_custodian(out, top, parties)
    programme = read_programme(out, top)
    violations = read_violations(out, top, frozenset(articles))
    label = f"{ref.id.upper()} {ref.version}"

    flows: list[Flow] = []
    if flows_root is not None:
        flows_top = out.guard(flows_root.mapping)
        flows_node: Node = flows_root
        flow_nodes = out.guard(lambda: _require(flows_top or {}, "flows", flows_node).sequence())
        seen: set[str] = set()
        for node in flow_nodes or []:

            def one_flow(node: Node = node) -> Flow:
                return _read_flow(
                    node, out, label, parties, groups, articles, purposes, categories, roles, phases
                )

            flow = out.guard(one_flow)
            if flow is None:
                continue
            if flow.id in seen:
                out.add(node, f"flow id '{flow.id}' is used twice")
            seen.add(flow.id)
            flows.append(flow)

    if out.problems:
        raise CovenantFileError(out.problems)
    return Covenant(
        ref=ref,
        title=title,
        effective_from=effective_from,
        effective_until=effective_until,
        query_limit=query_limit,
        roles=roles,
        phases=phases,
        parties=parties,
        groups=groups,
        articles=articles,
        purposes=purposes,
        categories=categories,
        flows=tuple(flows),
        role_holders=role_holders,
        source=source,
        custodian=custodian,
        violations=violations,
        programme=programme,
    )


def _read_header(top: dict[str, Node], root: Node) -> tuple[CovenantRef, str, date, date | None, int]:
    cid = _ident(_require(top, "id", root), "covenant id")
    version_node = _require(top, "version", root)
    version = version_node.text()
    if not _ID.match(version):
        raise ShapeError(version_node, f"version '{version}' is not a valid label (e.g. 2021)")
    title = _require(top, "title", root).text()
    effective_from = _date(_require(top, "effective_from", root))
    until_node = top.get("effective_until")
    effective_until = _date(until_node) if until_node is not None and until_node.value else None
    limit_node = top.get("query_limit")
    query_limit = DEFAULT_QUERY_LIMIT
    if limit_node is not None:
        if not isinstance(limit_node.value, int) or limit_node.value < 1:
            raise ShapeError(limit_node, "query_limit must be a whole number of at least 1")
        query_limit = limit_node.value
    return CovenantRef(CovenantId(cid), version), title, effective_from, effective_until, query_limit


def _read_roles(
    out: _Collector, node: Node | None, parties: dict[PartyId, Party], groups: dict[GroupId, Group]
) -> tuple[tuple[Role, ...], dict[Role, tuple[str, ...]]]:
    """``roles`` is a mapping from each role to the parties or groups that may hold it (``all``: every
    party), or, in older files, a list of roles any party may hold."""
    if node is None or node.value is None:
        return tuple(Role(r) for r in DEFAULT_ROLES), {}
    if not isinstance(node.value, dict):
        return tuple(Role(r) for r in _read_list(out, node, "role")), {}
    roles: list[Role] = []
    holders: dict[Role, tuple[str, ...]] = {}
    for key, value in (out.guard(node.mapping) or {}).items():
        name = out.guard(functools.partial(_ident, Node(key, value.file, value.line), "role"))
        if name is None:
            continue
        role = Role(name)
        roles.append(role)
        names = _read_list(out, value, "party or group")
        if names == ["all"]:
            continue  # every party may hold it
        if not names:
            out.add(value, f"role '{role}' names no party or group (write 'all' for every party)")
        for name in names:
            if PartyId(name) not in parties and GroupId(name) not in groups:
                out.add(value, f"role '{role}': '{name}' is not a party or group of this covenant")
        holders[role] = tuple(names)
    return tuple(roles), holders


def _read_phases(out: _Collector, node: Node | None) -> tuple[Phase, ...]:
    if node is None:
        return tuple(Phase)
    phases: list[Phase] = []
    for item in _texts(node):
        try:
            phases.append(Phase(item.text()))
        except (ValueError, ShapeError):
            out.add(item, f"unknown phase '{item.value}'; phases are {', '.join(Phase)}")
    return tuple(phases)


def _entries(out: _Collector, top: dict[str, Node], key: str, root: Node) -> list[Node]:
    seq = out.guard(lambda: _require(top, key, root).sequence())
    return seq or []


def _read_parties(out: _Collector, top: dict[str, Node], root: Node) -> dict[PartyId, Party]:
    parties: dict[PartyId, Party] = {}
    for node in _entries(out, top, "parties", root):

        def one(node: Node = node) -> Party:
            m = node.mapping()
            role_node = _require(m, "role", node)
            try:
                role = PartyRole(role_node.text())
            except ValueError:
                raise ShapeError(role_node, "party role must be 'signatory' or 'case-by-case'") from None
            return Party(
                id=PartyId(_ident(_require(m, "id", node), "party id")),
                name=_require(m, "name", node).text(),
                kind=_require(m, "kind", node).text(),
                role=role,
                attributes=frozenset(_read_list(out, m.get("attributes"), "attribute")),
            )

        party = out.guard(one)
        if party is None:
            continue
        if party.id in parties:
            out.add(node, f"party '{party.id}' is listed twice")
        parties[party.id] = party
    return parties


def _read_groups(
    out: _Collector, top: dict[str, Node], parties: dict[PartyId, Party]
) -> dict[GroupId, Group]:
    groups: dict[GroupId, Group] = {}
    node_list = top.get("groups")
    for node in (out.guard(node_list.sequence) if node_list is not None else None) or []:

        def one(node: Node = node) -> Group:
            m = node.mapping()
            gid = GroupId(_ident(_require(m, "id", node), "group id"))
            members: list[PartyId] = []
            for member in _require(m, "members", node).sequence():
                pid = PartyId(member.text())
                if pid not in parties:
                    out.add(member, f"group '{gid}' lists '{pid}', which is not a party")
                members.append(pid)
            return Group(gid, _require(m, "name", node).text(), tuple(members))

        group = out.guard(one)
        if group is None:
            continue
        if group.id in groups or PartyId(group.id) in parties:
            out.add(node, f"id '{group.id}' is used for more than one party or group")
        groups[group.id] = group
    return groups


def _read_articles(out: _Collector, top: dict[str, Node], root: Node) -> dict[Article, ArticleText]:
    articles: dict[Article, ArticleText] = {}
    for node in _entries(out, top, "articles", root):

        def one(node: Node = node) -> ArticleText:
            m = node.mapping()
            number = Article(_policy_text(_require(m, "number", node), "article number"))
            return ArticleText(
                number, _require(m, "title", node).text(), _require(m, "text", node).text().strip()
            )

        article = out.guard(one)
        if article is None:
            continue
        if article.number in articles:
            out.add(node, f"article {article.number} is listed twice")
        articles[article.number] = article
    return articles


def _read_purposes(out: _Collector, top: dict[str, Node], root: Node) -> dict[Purpose, PurposeDef]:
    purposes: dict[Purpose, PurposeDef] = {}
    for node in _entries(out, top, "purposes", root):

        def one(node: Node = node) -> PurposeDef:
            m = node.mapping()
            grounds = tuple(
                LegalGround(_policy_text(g, "legal ground")) for g in _texts(_require(m, "grounds", node))
            )
            desc = m.get("description")
            return PurposeDef(
                Purpose(_ident(_require(m, "id", node), "purpose id")),
                _require(m, "name", node).text(),
                grounds,
                desc.text().strip() if desc is not None else "",
            )

        purpose = out.guard(one)
        if purpose is None:
            continue
        if purpose.id in purposes:
            out.add(node, f"purpose '{purpose.id}' is listed twice")
        purposes[purpose.id] = purpose
    return purposes


def _read_categories(out: _Collector, top: dict[str, Node], root: Node) -> dict[Category, CategoryDef]:
    categories: dict[Category, CategoryDef] = {}
    for node in _entries(out, top, "categories", root):

        def one(node: Node = node) -> CategoryDef:
            m = node.mapping()
            sens_node = _require(m, "sensitivity", node)
            try:
                sensitivity = Sensitivity(sens_node.text())
            except ValueError:
                raise ShapeError(
                    sens_node,
                    f"sensitivity '{sens_node.value}' must be one of {', '.join(Sensitivity)}",
                ) from None
            desc = m.get("description")
            return CategoryDef(
                Category(_ident(_require(m, "id", node), "category id")),
                _require(m, "name", node).text(),
                sensitivity,
                _retention(_require(m, "retention", node)),
                desc.text().strip() if desc is not None else "",
            )

        category = out.guard(one)
        if category is None:
            continue
        category = with_confidential(category, read_confidential(out, node))
        if category.id in categories:
            out.add(node, f"category '{category.id}' is listed twice")
        categories[category.id] = category
    return categories


__all__ = ["NEEDS_EXCEPTION", "read_covenant", "read_scenarios"]
