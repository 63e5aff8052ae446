"""A covenant to and from plain JSON data, so compiled policies can be stored and reloaded by digest."""

from __future__ import annotations

from datetime import date
from typing import Any

from exchange.errors import InvalidInputError
from exchange.policies.model import (
    ArticleText,
    CategoryDef,
    Covenant,
    Flow,
    Group,
    Party,
    PartyRole,
    PurposeDef,
    ViolationDef,
)
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


def covenant_to_data(c: Covenant) -> dict[str, Any]:
    """Everything that makes a covenant version, as JSON-ready data in a stable order.

    ``programme`` appears only when the covenant names one, so versions without it keep their digests."""
    data: dict[str, Any] = {
        "id": c.ref.id,
        "version": c.ref.version,
        "title": c.title,
        "effective_from": c.effective_from.isoformat(),
        "effective_until": c.effective_until.isoformat() if c.effective_until else None,
        "query_limit": c.query_limit,
        "roles": list(c.roles),
        "role_holders": {r: list(h) for r, h in c.role_holders.items()},
        "phases": [str(p) for p in c.phases],
        "parties": [
            {
                "id": p.id,
                "name": p.name,
                "kind": p.kind,
                "role": str(p.role),
                "attributes": sorted(p.attributes),
            }
            for p in c.parties.values()
        ],
        "groups": [{"id": g.id, "name": g.name, "members": list(g.members)} for g in c.groups.values()],
        "articles": [{"number": a.number, "title": a.title, "text": a.text} for a in c.articles.values()],
        "purposes": [
            {"id": p.id, "name": p.name, "grounds": list(p.grounds), "description": p.description}
            for p in c.purposes.values()
        ],
        "categories": [
            {
                "id": k.id,
                "name": k.name,
                "sensitivity": str(k.sensitivity),
                "retention_days": k.retention_days,
                "description": k.description,
                "confidential": k.confidential,
            }
            for k in c.categories.values()
        ],
        "custodian": c.custodian,
        "violations": [{"id": v.id, "name": v.name, "article": v.article} for v in c.violations.values()],
        "flows": [
            {
                "id": f.id,
                "from": list(f.providers),
                "to": list(f.recipients),
                "categories": list(f.categories),
                "purpose": f.purpose,
                "phases": [str(p) for p in f.phases],
                "form": str(f.form),
                "ground": f.ground,
                "article": f.article,
                "exception": f.exception,
                "roles": list(f.roles),
                "requires_recipient": sorted(f.requires_recipient),
                "requires_provider": sorted(f.requires_provider),
                "note": f.note,
            }
            for f in c.flows
        ],
    }
    if c.programme:
        data["programme"] = c.programme
    return data


def covenant_from_data(d: dict[str, Any]) -> Covenant:
    """The inverse of :func:`covenant_to_data`. Raises :class:`InvalidInputError` on bad data."""
    try:
        until = d["effective_until"]
        return Covenant(
            ref=CovenantRef(CovenantId(d["id"]), d["version"]),
            title=d["title"],
            effective_from=date.fromisoformat(d["effective_from"]),
            effective_until=date.fromisoformat(until) if until else None,
            query_limit=int(d["query_limit"]),
            roles=tuple(Role(r) for r in d["roles"]),
            role_holders={Role(r): tuple(h) for r, h in d.get("role_holders", {}).items()},
            phases=tuple(Phase(p) for p in d["phases"]),
            parties={
                PartyId(p["id"]): Party(
                    PartyId(p["id"]),
                    p["name"],
                    p["kind"],
                    PartyRole(p["role"]),
                    frozenset(p["attributes"]),
                )
                for p in d["parties"]
            },
            groups={
                GroupId(g["id"]): Group(GroupId(g["id"]), g["name"], tuple(PartyId(m) for m in g["members"]))
                for g in d["groups"]
            },
            articles={
                Article(a["number"]): ArticleText(Article(a["number"]), a["title"], a["text"])
                for a in d["articles"]
            },
            purposes={
                Purpose(p["id"]): PurposeDef(
                    Purpose(p["id"]),
                    p["name"],
                    tuple(LegalGround(g) for g in p["grounds"]),
                    p["description"],
                )
                for p in d["purposes"]
            },
            categories={
                Category(k["id"]): CategoryDef(
                    Category(k["id"]),
                    k["name"],
                    Sensitivity(k["sensitivity"]),
                    int(k["retention_days"]),
                    k["description"],
                    bool(k.get("confidential", False)),
                )
                for k in d["categories"]
            },
            flows=tuple(
                Flow(
                    id=f["id"],
                    providers=tuple(f["from"]),
                    recipients=tuple(f["to"]),
                    categories=tuple(Category(x) for x in f["categories"]),
                    purpose=Purpose(f["purpose"]),
                    phases=tuple(Phase(p) for p in f["phases"]),
                    form=Form(f["form"]),
                    ground=LegalGround(f["ground"]),
                    article=Article(f["article"]),
                    exception=LegalGround(f["exception"]) if f["exception"] else None,
                    roles=tuple(Role(r) for r in f["roles"]),
                    requires_recipient=frozenset(f["requires_recipient"]),
                    requires_provider=frozenset(f["requires_provider"]),
                    note=f["note"],
                )
                for f in d["flows"]
            ),
            custodian=PartyId(d["custodian"]) if d.get("custodian") else None,
            violations={
                v["id"]: ViolationDef(v["id"], v["name"], Article(v["article"]) if v.get("article") else None)
                for v in d.get("violations", [])
            },
            programme=str(d["programme"]) if d.get("programme") else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"not a valid compiled covenant: {exc!r}") from None
