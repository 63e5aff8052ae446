"""Turn the YAML of one covenant version into a :class:`Covenant`, collecting every problem.

The reader is pure: it takes the files' text, not paths. It reports all problems it can find in one
pass, each with file and line, because a jurist fixing a covenant wants the whole list at once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

from exchange.policies.model import (
    ArticleText,
    CategoryDef,
    Covenant,
    Flow,
    Group,
    Party,
    PartyRole,
    PurposeDef,
    Scenario,
)
from exchange.policies.yamlsource import CovenantFileError, Node, Problem, ShapeError, parse_yaml
from exchange.vocabulary import (
    Article,
    Category,
    CovenantId,
    CovenantRef,
    Form,
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
_GROUND = re.compile(r"\S.*\bart(ikel|\.)\s*\S+", re.IGNORECASE)
_RETENTION = re.compile(r"^P(\d+)([YMD])$")
_DAYS_PER_UNIT = {"Y": 365, "M": 30, "D": 1}
# Sensitivities whose flows must cite an explicit statutory exception (AVG art. 9 and 10, UAVG art. 46).
NEEDS_EXCEPTION = frozenset({Sensitivity.SPECIAL, Sensitivity.CRIMINAL, Sensitivity.BSN})

T = TypeVar("T")


class _Collector:
    """Accumulates problems; ``guard`` runs a step and records a shape error instead of stopping."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, node: Node, message: str) -> None:
        self.problems.append(node.problem(message))

    def guard(self, step: Callable[[], T]) -> T | None:
        try:
            return step()
        except ShapeError as exc:
            self.problems.append(exc.node.problem(exc.message))
            return None


def _require(mapping: dict[str, Node], key: str, where: Node) -> Node:
    node = mapping.get(key)
    if node is None or node.value is None:
        raise ShapeError(where, f"missing required key '{key}'")
    return node


def _ident(node: Node, what: str) -> str:
    value = node.text()
    if not _ID.match(value):
        raise ShapeError(node, f"{what} '{value}' is not a valid id (lowercase letters, digits and '-')")
    return value


def _texts(node: Node | None) -> list[Node]:
    """A value that may be written as one text or as a list of texts."""
    if node is None or node.value is None:
        return []
    if isinstance(node.value, list):
        return node.value
    return [node]


def _policy_text(node: Node, what: str) -> str:
    """Text that ends up inside a Casbin policy row: no bare commas, balanced brackets."""
    value = node.text().strip()
    if not value:
        raise ShapeError(node, f"{what} is empty")
    if "," in value or "\n" in value:
        raise ShapeError(node, f"{what} '{value}' may not contain a comma or a line break")
    depth = 0
    for ch in value:
        depth += ch in "(["
        depth -= ch in ")]"
        if depth < 0:
            break
    if depth != 0:
        raise ShapeError(node, f"{what} '{value}' has unbalanced brackets")
    return value


def _date(node: Node) -> date:
    if isinstance(node.value, date):
        return node.value
    try:
        return date.fromisoformat(node.text())
    except ValueError:
        raise ShapeError(node, f"'{node.value}' is not a date (YYYY-MM-DD)") from None


def _retention(node: Node) -> int:
    match = _RETENTION.match(node.text())
    if not match:
        raise ShapeError(node, f"retention '{node.value}' must look like P5Y, P6M or P30D")
    return int(match.group(1)) * _DAYS_PER_UNIT[match.group(2)]


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

    roles = tuple(Role(r) for r in _read_list(out, top.get("roles"), "role")) or tuple(
        Role(r) for r in DEFAULT_ROLES
    )
    phases = _read_phases(out, top.get("phases"))
    parties = _read_parties(out, top, root)
    groups = _read_groups(out, top, parties)
    articles = _read_articles(out, top, root)
    purposes = _read_purposes(out, top, root)
    categories = _read_categories(out, top, root)
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
        source=source,
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


def _read_list(out: _Collector, node: Node | None, what: str) -> list[str]:
    values: list[str] = []
    for item in _texts(node):
        value = out.guard(functools.partial(_ident, item, what))
        if value is not None:
            values.append(value)
    return values


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
        if category.id in categories:
            out.add(node, f"category '{category.id}' is listed twice")
        categories[category.id] = category
    return categories


def _read_flow(
    node: Node,
    out: _Collector,
    label: str,
    parties: dict[PartyId, Party],
    groups: dict[GroupId, Group],
    articles: dict[Article, ArticleText],
    purposes: dict[Purpose, PurposeDef],
    categories: dict[Category, CategoryDef],
    roles: Iterable[Role],
    phases: tuple[Phase, ...],
) -> Flow:
    m = node.mapping()
    fid = _ident(_require(m, "id", node), "flow id")

    def ends(key: str) -> tuple[str, ...]:
        names: list[str] = []
        for item in _texts(_require(m, key, node)):
            name = item.text()
            if PartyId(name) not in parties and GroupId(name) not in groups:
                out.add(item, f"flow '{fid}': '{name}' is not a party or group of {label}")
            names.append(name)
        return tuple(names)

    providers, recipients = ends("from"), ends("to")
    cats: list[Category] = []
    for item in _texts(_require(m, "categories", node)):
        cat = Category(item.text())
        if cat not in categories:
            out.add(item, f"flow '{fid}': unknown category '{cat}'")
        cats.append(cat)
    purpose_node = _require(m, "purpose", node)
    purpose = Purpose(purpose_node.text())
    if purpose not in purposes:
        out.add(purpose_node, f"flow '{fid}': unknown purpose '{purpose}'")
    flow_phases: list[Phase] = []
    for item in _texts(_require(m, "phases", node)):
        try:
            phase = Phase(item.text())
        except ValueError:
            out.add(item, f"flow '{fid}': unknown phase '{item.value}'")
            continue
        if phase not in phases:
            out.add(item, f"flow '{fid}': phase '{phase}' is not a phase of {label}")
        flow_phases.append(phase)
    form_node = _require(m, "form", node)
    try:
        form = Form(form_node.text())
    except ValueError:
        raise ShapeError(form_node, f"flow '{fid}': form must be 'hit' or 'content'") from None

    ground_node = m.get("ground")
    if ground_node is None or ground_node.value is None:
        raise ShapeError(node, f"flow '{fid}' cites no legal ground (key 'ground')")
    ground = LegalGround(_policy_text(ground_node, "legal ground"))
    if not _GROUND.match(ground):
        out.add(ground_node, f"flow '{fid}': legal ground '{ground}' names no statute article")
    article_node = m.get("article")
    if article_node is None or article_node.value is None:
        raise ShapeError(node, f"flow '{fid}' cites no covenant article (key 'article')")
    article = Article(_policy_text(article_node, "article"))
    if article not in articles:
        out.add(article_node, f"flow '{fid}': article {article} is not an article of {label}")

    exception_node = m.get("exception")
    exception = (
        LegalGround(_policy_text(exception_node, "legal exception"))
        if exception_node is not None and exception_node.value is not None
        else None
    )
    for cat in cats:
        cdef = categories.get(cat)
        if cdef is not None and cdef.sensitivity in NEEDS_EXCEPTION and exception is None:
            out.add(
                node,
                f"flow '{fid}': category '{cat}' is {_SENSITIVITY_WORDS[cdef.sensitivity]}; "
                "the flow must cite an explicit legal exception (key 'exception')",
            )
    known_roles = set(roles)
    flow_roles: list[Role] = []
    for item in _texts(m.get("roles")):
        role = Role(item.text())
        if role not in known_roles:
            out.add(item, f"flow '{fid}': unknown role '{role}'")
        flow_roles.append(role)
    requires = m.get("requires")
    req_recipient: list[str] = []
    req_provider: list[str] = []
    if requires is not None:
        req = requires.mapping()
        for key in req:
            if key not in ("recipient", "provider"):
                out.add(req[key], f"flow '{fid}': requires takes 'recipient' and 'provider'")
        req_recipient = _read_list(out, req.get("recipient"), "attribute")
        req_provider = _read_list(out, req.get("provider"), "attribute")
    note = m.get("note")
    return Flow(
        id=fid,
        providers=providers,
        recipients=recipients,
        categories=tuple(cats),
        purpose=purpose,
        phases=tuple(flow_phases),
        form=form,
        ground=ground,
        article=article,
        exception=exception,
        roles=tuple(flow_roles),
        requires_recipient=frozenset(req_recipient),
        requires_provider=frozenset(req_provider),
        note=note.text().strip() if note is not None else "",
        line=node.line,
    )


_SENSITIVITY_WORDS = {
    Sensitivity.SPECIAL: "a special category of personal data (AVG art. 9)",
    Sensitivity.CRIMINAL: "criminal-law data (AVG art. 10)",
    Sensitivity.BSN: "a citizen service number (UAVG art. 46)",
}


def read_scenarios(text: str, file: str) -> list[Scenario]:
    """Read a scenarios file. Raises :class:`CovenantFileError` listing every problem."""
    out = _Collector()
    root = parse_yaml(text, file)
    top = out.guard(root.mapping)
    items = out.guard(lambda: _require(top or {}, "scenarios", root).sequence()) or []
    scenarios: list[Scenario] = []
    for node in items:

        def one(node: Node = node) -> Scenario:
            m = node.mapping()
            req = _require(m, "request", node).mapping()
            expect_node = _require(m, "expect", node)
            expect = expect_node.text()
            if expect not in ("allow", "deny"):
                raise ShapeError(expect_node, "expect must be 'allow' or 'deny'")
            form_node = m.get("form")
            form = None
            if form_node is not None:
                try:
                    form = Form(form_node.text())
                except ValueError:
                    raise ShapeError(form_node, "form must be 'hit' or 'content'") from None
            article = m.get("article")
            moment = req.get("moment")
            rnode = m["request"]
            return Scenario(
                name=_require(m, "name", node).text(),
                requester=_require(req, "requester", rnode).text(),
                role=req["role"].text() if "role" in req else "coordinator",
                provider=_require(req, "provider", rnode).text(),
                category=_require(req, "category", rnode).text(),
                purpose=_require(req, "purpose", rnode).text(),
                phase=_require(req, "phase", rnode).text(),
                expect_allow=expect == "allow",
                form=form,
                article=str(article.value) if article is not None else None,
                moment=str(moment.value) if moment is not None else None,
                line=node.line,
                file=file,
            )

        scenario = out.guard(one)
        if scenario is not None:
            scenarios.append(scenario)
    if out.problems:
        raise CovenantFileError(out.problems)
    return scenarios
