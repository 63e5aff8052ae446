"""The case page's part after the action: action points (add one, mark it done or cancelled),
findings per category and violation, the outcome fed back to the parties, and a jurist's review of
the selection. The steps are :mod:`exchange.client.followup`'s, as ``exchange client`` takes them;
every free text (an overdue action point's reason, a review note) is sealed here first.

The section is drawn by ``_followup.html``, included from ``case.html``; :class:`FollowUpSection`
gives the case page its values and the forms their routes. A form is offered only in the phases the
hub accepts it and to the roles it accepts it from; a POST is checked the same way before anything is
sent, so an employee's POST is refused here (403) and the hub hears nothing of it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from exchange.client import followup
from exchange.client.followup import ACTION_KIND_NAMES, OUTCOME_NAMES, STATUS_NAMES, VERDICTS
from exchange.client.texts import hub_answer
from exchange.errors import InvalidInputError
from exchange.node.cases import ATTEMPT, CASE_ID
from exchange.node.context import HUB_ERRORS, Pages, trouble
from exchange.node.covenants import CovenantBook
from exchange.node.intake import MIN_TEXT, N_, FieldError
from exchange.node.signin import SignedIn
from exchange.policies.model import Covenant
from exchange.policies.violations import MAX_COUNT

JURIST = "jurist"
#: Phases in which the hub takes each step (exchange.cases.followup, exchange.cases.findings).
ACTION_PHASES = ("action", "follow-up")
FINDING_PHASES = ("action", "follow-up", "feedback")
FEEDBACK_PHASES = ("feedback",)
REVIEW_PHASES = ("preparation", "action", "follow-up", "feedback")
#: An open action point due within this time is "due" on the start page and the case page.
DUE_SOON = timedelta(days=7)
MAX_REASON = 4000

CasePage = Callable[..., Response]


def is_jurist(pages: Pages, who: SignedIn) -> bool:
    return JURIST in who.account.roles and JURIST in pages.rt.party.roles


def due_soon(action: dict[str, Any], now: datetime) -> bool:
    """An open action point whose deadline has passed or comes within :data:`DUE_SOON`."""
    try:
        deadline = datetime.fromisoformat(str(action["deadline"]))
    except (KeyError, ValueError):
        return False
    return bool(action.get("overdue")) or deadline - now <= DUE_SOON


def shown_action(action: dict[str, Any], now: datetime) -> dict[str, Any]:
    """An action point as the pages show it: its deadline as a moment, and whether it is due."""
    shown = dict(action)
    shown.setdefault("status", "open")  # the inbox lists open action points only, without a status
    try:
        shown["deadline_at"] = datetime.fromisoformat(str(action["deadline"]))
    except (KeyError, ValueError):
        shown["deadline_at"] = None
    shown["due"] = action.get("status", "open") == "open" and due_soon(action, now)
    return shown


class FollowUpSection:
    """The follow-up part of the case page: its values and its forms' routes."""

    def __init__(self, pages: Pages, book: CovenantBook) -> None:
        self.pages, self.book = pages, book

    def view(
        self, who: SignedIn, case_id: str, hub: dict[str, Any] | None, covenant: Covenant | None
    ) -> dict[str, Any]:
        """What ``_followup.html`` shows; nothing when the hub gave no case (the page says why)."""
        if hub is None:
            return {"followup": None}
        now = self.pages.rt.clock()
        client = self.pages.hub(who)
        try:
            actions = [shown_action(a, now) for a in followup.actions(client, case_id)]
            found = followup.findings(client, case_id)
            outcome = followup.feedback(client, case_id).get("outcome")
        except HUB_ERRORS:
            return {"followup": None}
        finally:
            client.close()
        phase, closed = str(hub.get("phase")), bool(hub.get("closed"))
        return {
            "followup": {
                "actions": sorted(actions, key=lambda a: (a.get("status") != "open", str(a["deadline"]))),
                "open_actions": sum(1 for a in actions if a.get("status") == "open"),
                "findings": found,
                "outcome": outcome,
                "reviews": list(hub.get("reviews") or []),
                "may_act": not closed and phase in ACTION_PHASES,
                "may_find": not closed and phase in FINDING_PHASES,
                "may_feed_back": not closed and phase in FEEDBACK_PHASES and outcome is None,
                "may_review": not closed and phase in REVIEW_PHASES and is_jurist(self.pages, who),
                "kinds": ACTION_KIND_NAMES,
                "outcomes": OUTCOME_NAMES,
                "statuses": STATUS_NAMES,
                "verdicts": VERDICTS,
                "max_count": MAX_COUNT,
                "attempt": secrets.token_hex(16),
            }
        }

    def router(self, case_page: CasePage) -> APIRouter:
        r = APIRouter()
        pages, rt = self.pages, self.pages.rt

        def guard(request: Request, case_id: str, csrf: str) -> SignedIn | Response:
            who = pages.coordinator_posting(request, csrf)
            if isinstance(who, SignedIn) and not CASE_ID.match(case_id):
                return pages.page("message.html", 404, kind="not-found", who=who)
            return who

        def again(who: SignedIn, case_id: str, errors: list[FieldError], form: dict[str, str]) -> Response:
            return case_page(who, case_id, 400, errors=errors, form=form)

        def send(
            who: SignedIn, case_id: str, step: Callable[[Any], object], form: dict[str, str], role: str
        ) -> Response | None:
            """Take ``step`` with a client as ``who`` in ``role``; the case page with the hub's
            trouble (and the form as typed) when it did not happen, None when it did."""
            client = pages.hub(who, role)
            try:
                step(client)
            except HUB_ERRORS as exc:
                return case_page(who, case_id, 502, hub_trouble=trouble(exc), form=form)
            finally:
                client.close()
            return None

        @r.post("/casussen/{case_id}/actiepunten")
        def add_action(
            request: Request,
            case_id: str,
            csrf: str = Form("", max_length=100),
            kind: str = Form("", max_length=64),
            owner: str = Form("", max_length=100),
            deadline: str = Form("", max_length=40),
            attempt: str = Form("", max_length=64),
        ) -> Response:
            who = guard(request, case_id, csrf)
            if not isinstance(who, SignedIn):
                return who
            attempt = attempt if ATTEMPT.match(attempt) else secrets.token_hex(16)
            form = {"step": "action", "kind": kind, "owner": owner, "deadline": deadline, "attempt": attempt}
            errors = []
            if kind not in ACTION_KIND_NAMES:
                errors.append(FieldError("action-kind", N_("Choose what has to be done.")))
            if not owner:
                errors.append(FieldError("action-owner", N_("Choose the partner who carries it out.")))
            moment = None
            if not deadline.strip():
                errors.append(FieldError("action-deadline", N_("Fill in the deadline, e.g. 31-12-2026.")))
            else:
                try:
                    moment = followup.parse_deadline(dutch_date(deadline))
                except InvalidInputError:
                    errors.append(
                        FieldError("action-deadline", N_("This is not a date. Write it as 31-12-2026."))
                    )
            if moment is not None and moment <= rt.clock():
                errors.append(FieldError("action-deadline", N_("The deadline must lie in the future.")))
            if errors or moment is None:
                return again(who, case_id, errors, form)
            at = moment
            failed = send(
                who,
                case_id,
                lambda c: followup.add_action(c, case_id, kind, owner, at, f"action-{attempt}"),
                form,
                "coordinator",
            )
            return failed or RedirectResponse(f"/casussen/{case_id}?gedaan=actiepunt#actiepunten", 303)

        @r.post("/casussen/{case_id}/actiepunten/{action_id}")
        def update_action(
            request: Request,
            case_id: str,
            action_id: str,
            csrf: str = Form("", max_length=100),
            status: str = Form("", max_length=20),
            reason: str = Form("", max_length=MAX_REASON),
            overdue: str = Form("", max_length=5),
        ) -> Response:
            who = guard(request, case_id, csrf)
            if not isinstance(who, SignedIn):
                return who
            form = {"step": "update", "action": action_id, "status": status, "reason": reason}
            problem = reason_problem(status, reason, bool(overdue), f"reason-{action_id}")
            if problem is not None:
                return again(who, case_id, [problem], form)
            keys = rt.keystore.keys
            text = " ".join(reason.split()) or None
            failed = send(
                who,
                case_id,
                lambda c: followup.update_action(c, keys, case_id, action_id, status, text),
                form,
                "coordinator",
            )
            return failed or RedirectResponse(
                f"/casussen/{case_id}?gedaan=actiepunt-bijgewerkt#actiepunten", 303
            )

        @r.post("/casussen/{case_id}/bevindingen")
        def add_finding(
            request: Request,
            case_id: str,
            csrf: str = Form("", max_length=100),
            category: str = Form("", max_length=128),
            code: str = Form("", max_length=128),
            count: str = Form("", max_length=12),
        ) -> Response:
            who = guard(request, case_id, csrf)
            if not isinstance(who, SignedIn):
                return who
            form = {"step": "finding", "category": category, "code": code, "count": count}
            errors = []
            if not category:
                errors.append(FieldError("finding-category", N_("Choose the category.")))
            if not code:
                errors.append(FieldError("finding-code", N_("Choose what was found.")))
            number = int(count) if count.strip().isdigit() else 0
            if not 1 <= number <= MAX_COUNT:
                errors.append(
                    FieldError(
                        "finding-count",
                        N_("Fill in how many were found: a whole number from 1 to %(max)s."),
                        {"max": MAX_COUNT},
                    )
                )
            if errors:
                return again(who, case_id, errors, form)

            client = pages.hub(who)
            try:
                covenant = self.covenant_of(str(hub_answer(client.get(f"/v1/cases/{case_id}"))["covenant"]))
                if category not in {str(c) for c in covenant.categories}:
                    errors.append(FieldError("finding-category", N_("Choose the category.")))
                if code not in covenant.violations:
                    errors.append(FieldError("finding-code", N_("Choose what was found.")))
                if not errors:
                    found = followup.findings(client, case_id)
                    rows = followup.with_finding(found, rt.party.id, (category, code, number))
                    followup.register_findings(client, covenant, case_id, rows)
            except HUB_ERRORS as exc:
                return case_page(who, case_id, 502, hub_trouble=trouble(exc), form=form)
            finally:
                client.close()
            if errors:
                return again(who, case_id, errors, form)
            return RedirectResponse(f"/casussen/{case_id}?gedaan=bevinding#bevindingen", 303)

        @r.post("/casussen/{case_id}/terugkoppeling")
        def give_feedback(
            request: Request,
            case_id: str,
            csrf: str = Form("", max_length=100),
            outcome: str = Form("", max_length=64),
        ) -> Response:
            who = guard(request, case_id, csrf)
            if not isinstance(who, SignedIn):
                return who
            form = {"step": "feedback", "outcome": outcome}
            if outcome not in OUTCOME_NAMES:
                return again(who, case_id, [FieldError("outcome", N_("Choose the outcome."))], form)
            failed = send(
                who, case_id, lambda c: followup.give_feedback(c, case_id, outcome), form, "coordinator"
            )
            return failed or RedirectResponse(
                f"/casussen/{case_id}?gedaan=teruggekoppeld#terugkoppeling", 303
            )

        @r.post("/casussen/{case_id}/toetsing")
        def review(
            request: Request,
            case_id: str,
            csrf: str = Form("", max_length=100),
            verdict: str = Form("", max_length=20),
            note: str = Form("", max_length=MAX_REASON),
        ) -> Response:
            who = guard(request, case_id, csrf)
            if not isinstance(who, SignedIn):
                return who
            if not is_jurist(pages, who):
                return pages.page("casework_message.html", 403, kind="not-jurist", who=who)
            form = {"step": "review", "verdict": verdict, "note": note}
            errors = []
            if verdict not in VERDICTS:
                errors.append(FieldError("verdict", N_("Choose your verdict.")))
            if len(" ".join(note.split())) < MIN_TEXT:
                errors.append(
                    FieldError(
                        "review-note",
                        N_("Write the reason in at least %(count)s characters."),
                        {"count": MIN_TEXT},
                    )
                )
            if errors:
                return again(who, case_id, errors, form)
            keys = rt.keystore.keys
            failed = send(
                who, case_id, lambda c: followup.review(c, keys, case_id, verdict, note), form, JURIST
            )
            return failed or RedirectResponse(f"/casussen/{case_id}?gedaan=getoetst#toetsing", 303)

        return r

    def covenant_of(self, ref: str) -> Covenant:
        return followup.covenant_of(self.book.all, ref)


def dutch_date(text: str) -> str:
    """``31-12-2026`` (as people here write it) as ISO ``2026-12-31``; anything else unchanged."""
    text = text.strip()
    day, _, rest = text.partition("-")
    if len(day) in (1, 2) and day.isdigit():
        month, _, year = rest.partition("-")
        year, _, clock = year.partition(" ")
        iso = f"{year}-{month.zfill(2)}-{day.zfill(2)}"
        return f"{iso}T{clock}" if clock else iso
    return text


def reason_problem(status: str, reason: str, overdue: bool, field: str) -> FieldError | None:
    """What is wrong with a status change, if anything: an unknown status, or an overdue action
    point without a reason of at least :data:`MIN_TEXT` characters (the hub requires one)."""
    if status not in STATUS_NAMES:
        return FieldError(field, N_("Choose what became of the action point."))
    folded = " ".join(reason.split())
    if overdue and not folded:
        return FieldError(
            field,
            N_("The deadline has passed: write why, in at least %(count)s characters."),
            {"count": MIN_TEXT},
        )
    if folded and len(folded) < MIN_TEXT:
        return FieldError(
            field, N_("Write the reason in at least %(count)s characters."), {"count": MIN_TEXT}
        )
    return None
