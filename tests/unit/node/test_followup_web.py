"""The follow-up pages' pure helpers: a Dutch date read, a status change checked, an action point
called due, and what is new in a case since a user last opened it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from exchange.node.casework_store import CaseRow
from exchange.node.followup_web import due_soon, dutch_date, reason_problem, shown_action
from exchange.node.start_web import new_in_cases

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_date_as_people_here_write_it_is_read_as_iso() -> None:
    """31-12-2026 and 1-2-2027 become ISO dates; a time may follow; ISO passes through."""
    assert dutch_date("31-12-2026") == "2026-12-31"
    assert dutch_date(" 1-2-2027 ") == "2027-02-01"
    assert dutch_date("31-12-2026 17:00") == "2026-12-31T17:00"
    assert dutch_date("2026-12-31") == "2026-12-31"
    assert dutch_date("morgen") == "morgen"


def test_an_overdue_action_point_needs_a_reason_and_a_status_must_be_known() -> None:
    """Overdue without a reason, a reason too short, an unknown status: each refused in its field."""
    assert reason_problem("done", "", False, "reason-a") is None
    assert reason_problem("done", "Ziekte van de controleur", True, "reason-a") is None
    late = reason_problem("done", "  ", True, "reason-a")
    assert late is not None and late.field == "reason-a" and "deadline has passed" in late.message
    short = reason_problem("cancelled", "kort", False, "reason-a")
    assert short is not None and "at least" in short.message
    unknown = reason_problem("gedaan", "", False, "reason-a")
    assert unknown is not None and "became of" in unknown.message


def test_an_action_point_is_due_within_a_week_or_once_overdue() -> None:
    """Due within seven days or overdue; later, or without a readable deadline, not due."""
    soon = {"deadline": (NOW + timedelta(days=3)).isoformat(), "overdue": False}
    later = {"deadline": (NOW + timedelta(days=30)).isoformat(), "overdue": False}
    assert due_soon(soon, NOW) and not due_soon(later, NOW)
    assert due_soon({**later, "overdue": True}, NOW)
    assert not due_soon({"deadline": "nooit"}, NOW)
    shown = shown_action(soon, NOW)
    assert shown["status"] == "open" and shown["due"] and shown["deadline_at"] == NOW + timedelta(days=3)
    assert not shown_action({**soon, "status": "done"}, NOW)["due"]


def _case(case_id: str, hits_at: datetime | None = None) -> CaseRow:
    return cast(CaseRow, SimpleNamespace(case_id=case_id, hits_at=hits_at))


def test_what_is_new_in_a_case_is_what_came_after_the_user_last_opened_it() -> None:
    """Items after the last look count; earlier ones do not; hits fetched after it count; a case
    never opened counts everything; a case with nothing new is left out."""
    seen = {"case-a": NOW, "case-b": NOW, "case-c": NOW}
    items: list[dict[str, Any]] = [
        {"case": "case-a", "created": (NOW + timedelta(minutes=5)).isoformat()},
        {"case": "case-a", "created": (NOW - timedelta(minutes=5)).isoformat()},
        {"case": "case-d", "created": (NOW - timedelta(days=1)).isoformat()},
    ]
    cases = [
        _case("case-a"),
        _case("case-b", hits_at=NOW + timedelta(minutes=1)),
        _case("case-c", hits_at=NOW - timedelta(minutes=1)),
        _case("case-d"),
    ]
    found = {n["case"].case_id: (n["items"], n["hits"]) for n in new_in_cases(cases, seen, items)}
    assert found == {"case-a": (1, False), "case-b": (0, True), "case-d": (1, False)}
