"""The start page per role, and what the party owns after a case's action: its action points (a list
page where its staff mark them done) and the outcomes fed back to it.

A coordinator's start page lists the open cases opened here with something new since that user last
opened them (hits fetched, items or texts sealed for the party), the party's action points that are
due or overdue, and the feedback received; an employee's lists the enrichment requests waiting and
the party's action points. All of it comes from one read of the hub's inbox (``GET /v1/inbox``), not
one call per case; only an outcome's code needs its case's ``GET /v1/cases/{id}/feedback``, on the
feedback page. The counts in the menu are those of the user's last inbox read, kept in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from exchange.client import followup
from exchange.client.followup import ACTION_KIND_NAMES, OUTCOME_NAMES
from exchange.node.casework_store import CaseRow
from exchange.node.context import COORDINATOR, HUB_ERRORS, Pages, trouble
from exchange.node.covenants import CovenantBook
from exchange.node.followup_web import MAX_REASON, due_soon, reason_problem, shown_action
from exchange.node.hub import LISTS, HubStatus, inbox_counts
from exchange.node.seen_store import mark_seen, seen_by
from exchange.node.signin import SignedIn
from exchange.policies.model import Covenant

ACTION_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


@dataclass
class MenuCounts:
    """Per account: what its last inbox read counted, and which cases held something new on its
    last start page (less each case opened since), for the menu on every page."""

    counts: dict[int, dict[str, int]] = field(default_factory=dict)
    new_cases: dict[int, set[str]] = field(default_factory=dict)

    def keep(self, who: SignedIn, counts: dict[str, int]) -> None:
        self.counts[who.account.id] = counts

    def keep_new(self, who: SignedIn, cases: set[str]) -> None:
        self.new_cases[who.account.id] = cases

    def seen(self, who: SignedIn, case_id: str) -> None:
        self.new_cases.get(who.account.id, set()).discard(case_id)

    def of(self, who: SignedIn | None) -> dict[str, int] | None:
        if who is None or who.account.id not in self.counts:
            return None
        return self.counts[who.account.id] | {"cases": len(self.new_cases.get(who.account.id, ()))}


def moment(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def new_in_cases(
    cases: list[CaseRow], seen: dict[str, datetime], items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The open cases with hits fetched, or items or texts sealed for the party, after the user last
    opened them (or ever, if they never did), most recent first."""
    found = []
    for case in cases:
        last = seen.get(case.case_id)
        fresh = [
            i
            for i in items
            if i.get("case") == case.case_id
            and (last is None or ((at := moment(i.get("created"))) is not None and at > last))
        ]
        hits = case.hits_at is not None and (last is None or case.hits_at > last)
        if fresh or hits:
            found.append({"case": case, "items": len(fresh), "hits": hits})
    return found


class SeenSection:
    """Records, each time a user opens a case page, that they saw the case now."""

    def __init__(self, pages: Pages, menu: MenuCounts) -> None:
        self.pages, self.menu = pages, menu

    def view(
        self, who: SignedIn, case_id: str, hub: dict[str, Any] | None, covenant: Covenant | None
    ) -> dict[str, Any]:
        with self.pages.rt.sessions.begin() as s:
            mark_seen(s, who.account.id, case_id, self.pages.rt.clock())
        self.menu.seen(who, case_id)
        return {}

    def router(self, case_page: Callable[..., Response]) -> APIRouter:
        return APIRouter()


def install(app: FastAPI, pages: Pages, book: CovenantBook, menu: MenuCounts, idle_minutes: int) -> None:
    rt = pages.rt

    def inbox(who: SignedIn) -> HubStatus:
        role = pages.role(who)
        if role is None:
            return HubStatus(None, problem="no-role")
        status = inbox_counts(
            rt.settings.hub_url,
            rt.keystore.keys.current,
            who.account.name,
            role,
            rt.settings.hub_timeout_seconds,
        )
        if status.counts is not None:
            menu.keep(
                who, {"requests": status.counts["enrichment_requests"], "actions": status.counts["actions"]}
            )
        return status

    def coordinates(who: SignedIn) -> bool:
        return COORDINATOR in who.account.roles and COORDINATOR in rt.party.roles

    def covenant_names(now: datetime) -> dict[str, Covenant]:
        return {str(c.ref.id): c for c in book.all} | {str(c.ref.id): c for c in book.in_force(now)}

    @app.get("/start")
    def start(request: Request) -> Response:
        who = pages.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        hub = inbox(who)
        now = rt.clock()
        actions = [shown_action(a, now) for a in hub.box.get("actions") or []]
        values: dict[str, Any] = {
            "hub": hub,
            "lists": LISTS,
            "idle_minutes": idle_minutes,
            "coordinating": coordinates(who),
            "requests": hub.box.get("enrichment_requests") or [],
            "actions": actions,
            "due_actions": [a for a in actions if due_soon(a, now)],
            "feedback": hub.box.get("feedback") or [],
            "kinds": ACTION_KIND_NAMES,
            "new_cases": [],
            "covenants": covenant_names(now),
        }
        if values["coordinating"]:
            with rt.sessions.begin() as s:
                cases = list(s.scalars(select(CaseRow).where(CaseRow.phase != "closed")).all())
                seen = seen_by(s, who.account.id)
            values["new_cases"] = new_in_cases(cases, seen, hub.box.get("items") or [])
            menu.keep_new(who, {n["case"].case_id for n in values["new_cases"]})
        return pages.render("start.html", who, **values)

    def action_page(who: SignedIn, status: int = 200, **values: Any) -> Response:
        hub = inbox(who)
        now = rt.clock()
        values.setdefault("errors", [])
        values.setdefault("form", {})
        values.setdefault("hub_trouble", None)
        actions = [shown_action(a, now) for a in hub.box.get("actions") or []]
        return pages.render(
            "actions.html", who, status, hub=hub, actions=actions, kinds=ACTION_KIND_NAMES, **values
        )

    @app.get("/actiepunten")
    def owned_actions(request: Request, gedaan: str = "") -> Response:
        who = pages.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        return action_page(who, done=gedaan)

    @app.post("/actiepunten/{case_id}/{action_id}")
    def mark_action(
        request: Request,
        case_id: str,
        action_id: str,
        csrf: str = Form("", max_length=100),
        status: str = Form("done", max_length=20),
        reason: str = Form("", max_length=MAX_REASON),
        overdue: str = Form("", max_length=5),
    ) -> Response:
        who = pages.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        if not pages.csrf_ok(who, csrf):
            return pages.refused(who)
        role = pages.role(who)
        if role is None or not set(case_id + action_id) <= ACTION_ID_CHARS:
            return pages.page("message.html", 404, kind="not-found", who=who)
        form = {"case": case_id, "action": action_id, "status": status, "reason": reason, "overdue": overdue}
        problem = reason_problem(status, reason, bool(overdue), f"reason-{action_id}")
        if problem is not None:
            return action_page(who, 400, errors=[problem], form=form)
        text = " ".join(reason.split()) or None
        client = pages.hub(who, role)
        try:
            followup.update_action(client, rt.keystore.keys, case_id, action_id, status, text)
        except HUB_ERRORS as exc:
            return action_page(who, 502, hub_trouble=trouble(exc), form=form)
        finally:
            client.close()
        return RedirectResponse("/actiepunten?gedaan=actiepunt-bijgewerkt", 303)

    @app.get("/terugkoppeling")
    def feedback_received(request: Request) -> Response:
        who = pages.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        hub = inbox(who)
        role = pages.role(who)
        received: list[dict[str, Any]] = []
        problem = None
        if role is not None and hub.box.get("feedback"):
            client = pages.hub(who, role)
            try:
                for ref in hub.box["feedback"]:
                    outcome = followup.feedback(client, str(ref["case"])).get("outcome")
                    received.append(
                        {"case": ref["case"], "decided": moment(ref.get("decided")), "outcome": outcome}
                    )
            except HUB_ERRORS as exc:
                problem = trouble(exc)
            finally:
                client.close()
        return pages.render(
            "feedback.html", who, hub=hub, received=received, outcomes=OUTCOME_NAMES, hub_trouble=problem
        )
