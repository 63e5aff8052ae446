"""The jurist's pages: covenant versions and their validity, the rules as a table, the difference
between two versions in words, the scenarios with coverage per article, and which past decisions
of the jurist's party a version would decide differently."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from exchange.console.sessions import ConsoleUser
from exchange.console.web import Console, _, render
from exchange.errors import InvalidInputError, NotFoundError
from exchange.policies.compiler import CompiledPolicy
from exchange.policies.files import LoadedVersion
from exchange.policies.impact import ImpactRow, replay
from exchange.policies.model import Covenant
from exchange.policies.scenarios import run_scenarios
from exchange.reports.covenant_compare import compare
from exchange.storage.models import LogEntry
from exchange.vocabulary import GroupId

IMPACT_LIMIT = 500


def role_rows(c: Covenant) -> list[dict[str, str]]:
    """Which parties may act in which role: groups named with their members; empty for all parties."""
    rows = []
    for role in c.roles:
        written = c.role_holders.get(role)
        holders = (
            ""
            if written is None
            else "; ".join(
                f"{c.groups[GroupId(n)].name} ({', '.join(c.groups[GroupId(n)].members)})"
                if GroupId(n) in c.groups
                else n
                for n in written
            )
        )
        rows.append({"role": role, "holders": holders})
    return rows


def named(items: Mapping[Any, Any], key: str) -> str:
    """The name the covenant gives ``key`` (a category or purpose), or the key if it has none."""
    return str(items[key].name) if key in items else key


def rules(c: Covenant) -> list[dict[str, Any]]:
    """The flows of a version as table rows, with the names the covenant gives its groups (and their
    members), categories and purposes."""

    def ends(names: tuple[str, ...]) -> str:
        out = []
        for n in names:
            group = c.groups.get(GroupId(n))
            out.append(f"{group.name} ({', '.join(group.members)})" if group else n)
        return "; ".join(out)

    rows = []
    for f in c.flows:  # one row per flow
        article = c.articles.get(f.article)
        rows.append(
            {
                "id": f.id,
                "providers": ends(f.providers),
                "recipients": ends(f.recipients),
                "categories": ", ".join(named(c.categories, k) for k in f.categories),
                "purpose": named(c.purposes, f.purpose),
                "phases": list(f.phases),
                "form": str(f.form),
                "article": f.article,
                "article_title": article.title if article else "",
                "ground": f.ground,
                "exception": f.exception,
                "roles": list(f.roles),
                "conditions": ", ".join(sorted(f.requires_recipient | f.requires_provider)),
                "note": f.note,
            }
        )
    return rows


def install(console: Console) -> None:
    service = console.service

    def versions() -> list[LoadedVersion]:
        return sorted(service.versions, key=lambda v: (v.covenant.ref.id, v.covenant.effective_from))

    def find(cid: str, version: str) -> LoadedVersion:
        for v in service.versions:
            if v.covenant.ref.id == cid and v.covenant.ref.version == version:
                return v
        raise NotFoundError(f"no covenant version '{cid}/{version}'")

    def compiled(v: LoadedVersion) -> CompiledPolicy:
        for p in service.decisions.policies:
            if p.covenant.ref == v.covenant.ref:
                return p
        raise NotFoundError(f"covenant version '{v.covenant.ref}' is not installed")

    def previous(v: LoadedVersion) -> LoadedVersion | None:
        same = [w for w in versions() if w.covenant.ref.id == v.covenant.ref.id]
        i = same.index(v)
        return same[i - 1] if i > 0 else None

    def index(request: Request, who: ConsoleUser) -> Response:
        today = console.now().date()
        rows = [
            {
                "id": v.covenant.ref.id,
                "version": v.covenant.ref.version,
                "label": v.covenant.label,
                "title": v.covenant.title,
                "from": v.covenant.effective_from,
                "until": v.covenant.effective_until,
                "in_force": v.covenant.in_force_on(today),
                "future": v.covenant.effective_from > today,
                "parties": len(v.covenant.parties),
                "flows": len(v.covenant.flows),
                "scenarios": len(v.scenarios),
                "digest": compiled(v).digest[:16],
                "previous": before.covenant.ref.version if before else None,
            }
            for v, before in ((v, previous(v)) for v in versions())
        ]
        return render("covenants.html", title=_("Covenants"), who=who, rows=rows, today=today)

    def version_page(request: Request, who: ConsoleUser) -> Response:
        v = find(request.path_params["cid"], request.path_params["version"])
        c = v.covenant
        articles = [{"number": a.number, "title": a.title, "text": a.text} for a in c.articles.values()]
        return render(
            "covenant.html",
            title=_("%(covenant)s: rules") % {"covenant": c.label},
            who=who,
            c=c,
            rules=rules(c),
            roles=role_rows(c),
            articles=articles,
            purposes=list(c.purposes.values()),
            categories=list(c.categories.values()),
            parties=list(c.parties.values()),
        )

    def diff_page(request: Request, who: ConsoleUser) -> Response:
        cid = request.path_params["cid"]
        old_v = request.query_params.get("old", "")
        new_v = request.query_params.get("new", "")
        if not old_v or not new_v:
            raise InvalidInputError("choose two versions: ?old=...&new=...")
        old, new = find(cid, old_v), find(cid, new_v)
        return render(
            "covenant_diff.html",
            title=_("%(old)s and %(new)s side by side")
            % {"old": old.covenant.label, "new": new.covenant.label},
            who=who,
            c=compare(old.covenant, new.covenant),
            old=old.covenant,
            new=new.covenant,
        )

    def scenarios_page(request: Request, who: ConsoleUser) -> Response:
        v = find(request.path_params["cid"], request.path_params["version"])
        report = run_scenarios(service.decisions, v.covenant, list(v.scenarios))
        flows_per_article: dict[str, int] = defaultdict(int)
        for f in v.covenant.flows:
            flows_per_article[f.article] += 1
        coverage = [
            {
                "article": number,
                "title": v.covenant.articles[number].title,
                "scenarios": report.article_hits.get(number, 0),
                "flows": flows_per_article[number],
            }
            for number in v.covenant.articles
            if flows_per_article.get(number)
        ]
        results = [
            {
                "name": r.scenario.name,
                "passed": r.passed,
                "failures": r.failures,
                "allowed": r.decision.allowed,
                "articles": ", ".join(r.decision.articles),
                "code": r.decision.code,
                "reason": r.decision.reason,
            }
            for r in report.results
        ]
        return render(
            "covenant_scenarios.html",
            title=_("%(covenant)s: scenarios") % {"covenant": v.covenant.label},
            who=who,
            c=v.covenant,
            results=results,
            passed=sum(r["passed"] for r in results),
            coverage=coverage,
            untested=report.untested_flows,
        )

    def impact_page(request: Request, who: ConsoleUser) -> Response:
        v = find(request.path_params["cid"], request.path_params["version"])
        policy = compiled(v)

        def query(session: Session) -> tuple[int, list[ImpactRow]]:
            rows = session.execute(
                select(LogEntry.idx, LogEntry.event)
                .where(
                    LogEntry.action == "decision",
                    LogEntry.covenant.like(f"{v.covenant.ref.id}/%"),
                    or_(LogEntry.actor_party == who.party, LogEntry.counterparty == who.party),
                )
                .order_by(LogEntry.idx)
            )
            return replay(((idx, json.loads(event)) for idx, event in rows), policy)

        replayed, changed = console.viewed(who, "covenant-impact", query, lambda r: r[0])
        return render(
            "covenant_impact.html",
            title=_("%(covenant)s: effect on earlier decisions") % {"covenant": v.covenant.label},
            who=who,
            c=v.covenant,
            replayed=replayed,
            changed=changed[:IMPACT_LIMIT],
            total=len(changed),
            limit=IMPACT_LIMIT,
        )

    console.page("/console/covenants", index)
    console.page("/console/covenants/{cid}/diff", diff_page)
    console.page("/console/covenants/{cid}/{version}", version_page)
    console.page("/console/covenants/{cid}/{version}/scenarios", scenarios_page)
    console.page("/console/covenants/{cid}/{version}/impact", impact_page)
