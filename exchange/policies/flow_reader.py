"""Reading one flow of a covenant's ``flows.yaml``: who may give which categories to whom, for which
purposes and phases, in which form, under which article and legal ground. Special, criminal and BSN
data need an explicit legal exception (AVG art. 9 and 10, UAVG art. 46)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from exchange.policies.model import (
    ArticleText,
    CategoryDef,
    Flow,
    Group,
    Party,
    PurposeDef,
)
from exchange.policies.yamlfields import Collector as _Collector
from exchange.policies.yamlfields import ident as _ident
from exchange.policies.yamlfields import policy_text as _policy_text
from exchange.policies.yamlfields import read_list as _read_list
from exchange.policies.yamlfields import require as _require
from exchange.policies.yamlfields import texts as _texts
from exchange.policies.yamlsource import Node, ShapeError
from exchange.vocabulary import (
    Article,
    Category,
    Form,
    GroupId,
    LegalGround,
    PartyId,
    Phase,
    Purpose,
    Role,
    Sensitivity,
)

_GROUND = re.compile(r"\S.*\bart(ikel|\.)\s*\S+", re.IGNORECASE)
NEEDS_EXCEPTION = frozenset({Sensitivity.SPECIAL, Sensitivity.CRIMINAL, Sensitivity.BSN})

_SENSITIVITY_WORDS = {
    Sensitivity.SPECIAL: "a special category of personal data (AVG art. 9)",
    Sensitivity.CRIMINAL: "criminal-law data (AVG art. 10)",
    Sensitivity.BSN: "a citizen service number (UAVG art. 46)",
}


def read_flow(
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
