"""A case after its action, from a party's side: action points, findings, the outcome fed back, the
jurist's review of the selection and closing the case. Free text (a reason, a note) is sealed here
before it leaves the party (:mod:`exchange.client.texts`); findings are checked here against the
covenant files before they are sent, with the same check the hub makes.

    c = ExchangeClient(url, keys.current, "agent-7", "employee")
    register_findings(c, covenant, case_id, [("uitkering-status", "onrechtmatige-uitkering", 2)])
    for line in finding_lines(covenant, findings(c, case_id)):
        print(line)

Each function sends one step and returns the hub's answer as JSON, or raises
:class:`~exchange.client.texts.HubAnswerError` with the hub's problem. The ``*_lines`` functions
turn answers into lines a person reads, with the names the covenant files give.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from exchange.client.http import ExchangeClient
from exchange.client.texts import hub_answer, seal_text
from exchange.crypto.keys import PartyKeys
from exchange.errors import InvalidInputError
from exchange.policies.engine import LEGAL_TIMEZONE
from exchange.policies.model import Covenant
from exchange.policies.violations import check_findings
from exchange.vocabulary import Category, PartyId

#: How a person reads the hub's outcome codes (docs/api.md, feedback).
OUTCOME_NAMES = {
    "violation-found": "Overtreding vastgesteld",
    "no-violation": "Geen overtreding",
    "referred-to-police": "Overgedragen aan de politie",
    "benefit-adjusted": "Uitkering aangepast",
    "registration-corrected": "Inschrijving gecorrigeerd",
    "enforcement-started": "Handhaving gestart",
    "no-action": "Geen actie",
}
#: How a person reads the hub's kinds of action point.
ACTION_KIND_NAMES = {
    "reinspection": "Hercontrole",
    "fine": "Boete",
    "registration-correction": "Correctie inschrijving",
    "benefit-review": "Heronderzoek uitkering",
    "referral": "Doorverwijzing",
    "enforcement-order": "Last onder dwangsom of bestuursdwang",
    "other": "Overig",
}
STATUS_NAMES = {"open": "open", "done": "afgerond", "cancelled": "vervallen"}
VERDICTS = ("approved", "concerns")

Finding = tuple[str, str, int]


# -- steps -----------------------------------------------------------------------------------------


def add_action(
    client: ExchangeClient,
    case_id: str,
    kind: str,
    owner: str,
    deadline: datetime,
    idempotency_key: str | None = None,
) -> Any:
    """The coordinator assigns an action point to a participating party, due at ``deadline``; the
    same ``idempotency_key`` (a form sent again after a timeout) adds it once."""
    if deadline.tzinfo is None:
        raise InvalidInputError("give the deadline with a time zone, e.g. 2026-12-31T17:00+01:00")
    if kind not in ACTION_KIND_NAMES:
        raise InvalidInputError(
            f"kind must be one of {', '.join(sorted(ACTION_KIND_NAMES))}; nothing was sent"
        )
    body = {"kind": kind, "owner": owner, "deadline": deadline.isoformat()}
    return hub_answer(client.post(f"/v1/cases/{case_id}/actions", body, idempotency_key), 201)


def update_action(
    client: ExchangeClient, keys: PartyKeys, case_id: str, action_id: str, status: str, reason: str | None
) -> Any:
    """Set an action point's status (its owner or the coordinator); a reason is sealed here."""
    if status not in STATUS_NAMES:
        raise InvalidInputError(f"status must be one of {', '.join(STATUS_NAMES)}; nothing was sent")
    body: dict[str, Any] = {"status": status}
    if reason is not None:
        body["reason_sealed"] = seal_text(client, keys, case_id, "action-reason", reason)
    return hub_answer(client.post(f"/v1/cases/{case_id}/actions/{action_id}", body))


def actions(client: ExchangeClient, case_id: str) -> list[Any]:
    return list(hub_answer(client.get(f"/v1/cases/{case_id}/actions")))


def register_findings(
    client: ExchangeClient, covenant: Covenant, case_id: str, found: Sequence[Finding]
) -> list[Any]:
    """Register the party's findings (category, code, count), replacing its earlier ones; checked
    against ``covenant`` first, so a typo is refused before anything is sent."""
    check_findings(covenant, found)
    body = {"findings": [{"category": c, "code": k, "count": n} for c, k, n in found]}
    return list(hub_answer(client.post(f"/v1/cases/{case_id}/findings", body))["findings"])


def findings(client: ExchangeClient, case_id: str) -> list[Any]:
    return list(hub_answer(client.get(f"/v1/cases/{case_id}/findings"))["findings"])


def give_feedback(client: ExchangeClient, case_id: str, outcome: str) -> Any:
    """The coordinator records the case's outcome; the hub tells every party that contributed an item
    or answered a hit."""
    if outcome not in OUTCOME_NAMES:
        raise InvalidInputError(
            f"outcome must be one of {', '.join(sorted(OUTCOME_NAMES))}; nothing was sent"
        )
    return hub_answer(client.post(f"/v1/cases/{case_id}/feedback", {"outcome": outcome}))


def feedback(client: ExchangeClient, case_id: str) -> Any:
    return hub_answer(client.get(f"/v1/cases/{case_id}/feedback"))


def review(client: ExchangeClient, keys: PartyKeys, case_id: str, verdict: str, note: str) -> Any:
    """A jurist's review of the selection decision, with a note sealed here."""
    if verdict not in VERDICTS:
        raise InvalidInputError("verdict must be 'approved' or 'concerns'; nothing was sent")
    sealed = seal_text(client, keys, case_id, "review-note", note)
    return hub_answer(client.post(f"/v1/cases/{case_id}/review", {"verdict": verdict, "note_sealed": sealed}))


def close(client: ExchangeClient, keys: PartyKeys, case_id: str, reason: str) -> Any:
    """The coordinator closes the case, from any phase, with a closing reason sealed here (the
    protocol asks for one: docs/api.md, case steps)."""
    sealed = seal_text(client, keys, case_id, "closing-reason", reason)
    body = {"to": "closed", "reason_sealed": sealed}
    return hub_answer(client.post(f"/v1/cases/{case_id}/transitions", body))


# -- reading -----------------------------------------------------------------------------------------


def parse_deadline(text: str) -> datetime:
    """An ISO date (the end of that day in Dutch time) or date and time (Dutch time if no zone),
    as a person types a deadline: ``2026-12-31``, ``2026-12-31T17:00`` or ``2026-12-31 17:00``."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(datetime.fromisoformat(text).date(), time(23, 59), LEGAL_TIMEZONE)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"'{text}' is not a date (2026-12-31) or a moment (2026-12-31T17:00)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LEGAL_TIMEZONE)


def with_finding(found: Sequence[Any], party: str, new: Finding) -> list[Finding]:
    """``party``'s findings as the hub listed them in ``found``, with ``new`` added or its count
    replaced (the hub replaces a party's findings as a whole, so a form that adds one sends all)."""
    mine = {(str(f["category"]), str(f["code"])): int(f["count"]) for f in found if f.get("party") == party}
    category, code, count = new
    mine[(category, code)] = count
    return [(c, k, n) for (c, k), n in sorted(mine.items())]


def parse_finding(text: str) -> Finding:
    """``CATEGORY:CODE=COUNT`` (e.g. ``uitkering-status:onrechtmatige-uitkering=2``) as a finding."""
    pair, eq, count = text.partition("=")
    category, colon, code = pair.partition(":")
    if not (eq and colon and category and code and count.strip().isdigit()):
        raise InvalidInputError(
            f"'{text}' is not CATEGORY:CODE=COUNT, e.g. uitkering-status:onrechtmatige-uitkering=2"
        )
    return category.strip(), code.strip(), int(count)


def party_name(covenant: Covenant | None, party: str) -> str:
    known = covenant.parties.get(PartyId(party)) if covenant is not None else None
    return known.name if known is not None else party


def finding_lines(covenant: Covenant, found: Sequence[Any]) -> list[str]:
    """One line per finding: party, category and violation by their names in the covenant, count."""
    lines = []
    for f in found:
        cat = covenant.categories.get(Category(f["category"]))
        violation = covenant.violations.get(f["code"])
        vname = violation.name if violation else f["code"]
        article = f", art. {violation.article}" if violation and violation.article else ""
        lines.append(
            f"{party_name(covenant, f['party'])}: {f['count']} x {vname} ({f['code']}{article}) "
            f"in {cat.name if cat else f['category']} ({f['category']})"
        )
    return lines or ["Nog geen bevindingen geregistreerd."]


def action_lines(covenant: Covenant | None, found: Sequence[Any]) -> list[str]:
    """One line per action point: id, kind, owner by name, deadline, status and whether overdue."""
    lines = []
    for a in found:
        reason = f"; reden gegeven door {a['reason']['by']}" if a.get("reason") else ""
        overdue = " (te laat)" if a["overdue"] else ""
        lines.append(
            f"{a['id']}  {ACTION_KIND_NAMES.get(a['kind'], a['kind'])}  "
            f"{party_name(covenant, a['owner'])}  uiterlijk {a['deadline']}  "
            f"{STATUS_NAMES.get(a['status'], a['status'])}{overdue}{reason}"
        )
    return lines or ["Geen actiepunten."]


def feedback_lines(covenant: Covenant | None, answer: Any) -> list[str]:
    """The outcome by its name, and (after giving it) who was told."""
    outcome = answer.get("outcome")
    if outcome is None:
        return ["Nog geen uitkomst teruggekoppeld."]
    lines = [f"Uitkomst: {OUTCOME_NAMES.get(outcome, outcome)} ({outcome})"]
    told = answer.get("told") or []
    if told:
        lines.append("Teruggekoppeld aan: " + ", ".join(party_name(covenant, p) for p in told))
    return lines


def covenant_of(versions: Sequence[Covenant], ref: str) -> Covenant:
    """The version a case names (``pit/2021``), from the covenant files."""
    for c in versions:
        if str(c.ref) == ref:
            return c
    held = ", ".join(sorted(str(c.ref) for c in versions)) or "none"
    raise InvalidInputError(
        f"the case is under {ref}, which the covenant files do not hold (they hold: {held})"
    )
