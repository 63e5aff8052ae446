"""Replaying past decisions under a revised covenant lists exactly the decisions that would change."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.policies.compiler import compile_covenant
from exchange.policies.files import LoadedVersion
from exchange.policies.impact import replay


def decision_event(
    requester: str,
    role: str,
    provider: str,
    category: str,
    purpose: str,
    phase: str,
    allowed: bool,
    articles: tuple[str, ...] = (),
) -> dict[str, Any]:
    e = Event(
        datetime(2022, 3, 1, 10, tzinfo=UTC),
        "tr-1",
        Action.DECISION,
        Actor(requester, "u-1", role),
        Outcome.ALLOWED if allowed else Outcome.DENIED,
        counterparty=provider,
        category=category,
        purpose=purpose,
        phase=phase,
        covenant="pit/2021",
        articles=articles,
    )
    return e.to_data()


def test_revision_impact(shipped: list[LoadedVersion]) -> None:
    """Dropping Senzer's benefit flow changes exactly the decisions it allowed; others stay as they were."""
    pit = next(v.covenant for v in shipped if str(v.covenant.ref) == "pit/2021")
    revised = compile_covenant(
        dataclasses.replace(pit, flows=tuple(f for f in pit.flows if f.id != "bijstand-naar-gemeenten"))
    )
    events = [
        (
            0,
            decision_event(
                "someren", "employee", "senzer", "bijstand-status", "uitkeringsfraude", "action", True, ("7",)
            ),
        ),
        (
            1,
            decision_event(
                "asten",
                "employee",
                "uwv",
                "uitkering-status",
                "uitkeringsfraude",
                "preparation",
                True,
                ("7",),
            ),
        ),
        (
            2,
            decision_event(
                "asten", "employee", "uwv", "uitkering-status", "brandveiligheid", "preparation", False
            ),
        ),
        (3, {"action": "disclosure", "processingActivity": {"covenant": "pit/2021"}}),
        (
            4,
            decision_event(
                "someren", "employee", "senzer", "bijstand-status", "uitkeringsfraude", "action", True
            )
            | {"processingActivity": {"covenant": "kit/2020", "articles": []}},
        ),
    ]
    replayed, changed = replay(events, revised)
    assert replayed == 3
    assert [c.index for c in changed] == [0]
    assert changed[0].was_allowed and not changed[0].now_allowed
    text = changed[0].render()
    assert text.startswith(
        "#0: someren (employee) <- senzer 'bijstand-status' for 'uitkeringsfraude' in action: "
        "allowed (art. 7) -> denied:"
    )
    widened = compile_covenant(pit)
    _, back = replay(
        [
            (
                9,
                decision_event(
                    "asten", "employee", "uwv", "uitkering-status", "uitkeringsfraude", "preparation", False
                ),
            )
        ],
        widened,
    )
    assert [b.now_allowed for b in back] == [True]
