"""Replaying past decisions and hit/no-hit answers under a revised covenant lists exactly what would
change."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.errors import InvalidInputError
from exchange.policies.compiler import CompiledPolicy, compile_covenant
from exchange.policies.decision import DecisionRequest
from exchange.policies.engine import DecisionEngine
from exchange.policies.files import LoadedVersion
from exchange.policies.impact import impact, replay
from exchange.policies.impact_answers import NEWLY, NO_LONGER
from exchange.policies.model import Covenant
from exchange.vocabulary import Category


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


# Hit/no-hit answers: one hit-query event per subject and (provider, category) pair the covenant lets
# the requester ask about, sharing the query's trace id (exchange.cases.hits).

S1, S2, S3 = ("v1:" + c * 43 for c in "ABC")
COORDINATOR = ("helmond", "coordinator", "onrechtmatige-bewoning", "selection")


def allowed_pairs(policy: CompiledPolicy, context: tuple[str, str, str, str]) -> list[tuple[str, str]]:
    """The pairs a query under ``policy`` answers, as the hub builds them."""
    requester, role, purpose, phase = context
    engine = DecisionEngine([policy])
    moment = datetime(2022, 3, 1, tzinfo=UTC)
    return [
        (str(p), str(k))
        for p in policy.covenant.parties
        if p != requester
        for k in policy.covenant.categories
        if engine.decide_under(
            policy.digest,
            DecisionRequest(requester, role, p, k, purpose, phase, str(policy.covenant.ref), moment),
        ).allowed
    ]


def query(
    case: str,
    trace: str,
    subjects: list[str],
    pairs: list[tuple[str, str]],
    context: tuple[str, str, str, str] = COORDINATOR,
    covenant: str = "pit/2021",
) -> list[dict[str, Any]]:
    """The hit-query events one hit/no-hit query logs."""
    requester, role, purpose, phase = context
    return [
        Event(
            datetime(2022, 3, 1, 10, tzinfo=UTC),
            trace,
            Action.HIT_QUERY,
            Actor(requester, "u-1", role),
            Outcome.HIT if i % 2 else Outcome.NO_HIT,
            case=case,
            subject=subject,
            counterparty=provider,
            category=category,
            purpose=purpose,
            phase=phase,
            covenant=covenant,
            articles=("4",),
        ).to_data()
        for subject in subjects
        for i, (provider, category) in enumerate(pairs)
    ]


def numbered(*groups: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    return list(enumerate(e for g in groups for e in g))


def pit_2021(shipped: list[LoadedVersion]) -> Covenant:
    return next(v.covenant for v in shipped if str(v.covenant.ref) == "pit/2021")


def without_flow(c: Covenant, flow: str) -> CompiledPolicy:
    return compile_covenant(dataclasses.replace(c, flows=tuple(f for f in c.flows if f.id != flow)))


def with_category(c: Covenant, flow: str, category: str) -> CompiledPolicy:
    flows = tuple(
        dataclasses.replace(f, categories=(*f.categories, Category(category))) if f.id == flow else f
        for f in c.flows
    )
    return compile_covenant(dataclasses.replace(c, flows=flows))


def test_the_log_replayed_under_its_own_version_changes_nothing(shipped: list[LoadedVersion]) -> None:
    """Every answer a PIT 2021 query gave is one PIT 2021 allows, and no pair is missing."""
    pit = compile_covenant(pit_2021(shipped))
    pairs = allowed_pairs(pit, COORDINATOR)
    report = impact(numbered(query("case-1", "tr-a", [S1, S2], pairs)), pit)
    assert report.answers_replayed == 2 * len(pairs) > 0
    assert report.answers_changed == () and report.cases == () and report.parties == ()
    assert not report.changed


def test_an_answer_the_revision_denies_would_no_longer_be_given(shipped: list[LoadedVersion]) -> None:
    """Dropping the police's hit flow turns exactly the police-incident answers into a change, with
    the new version's denial reason, counted per subject; the other answers stay as they were."""
    pit = pit_2021(shipped)
    pairs = allowed_pairs(compile_covenant(pit), COORDINATOR)
    assert ("politie-oost-brabant", "politie-incidenten") in pairs
    revised = without_flow(pit, "hit-politie-selectie")
    report = impact(numbered(query("case-1", "tr-a", [S1, S2], pairs)), revised)
    [row] = report.answers_changed
    assert (row.case, row.requester, row.role, row.provider, row.category, row.purpose, row.phase) == (
        "case-1",
        "helmond",
        "coordinator",
        "politie-oost-brabant",
        "politie-incidenten",
        "onrechtmatige-bewoning",
        "selection",
    )
    assert row.change == NO_LONGER and (row.subjects, row.answers) == (2, 2)
    assert row.articles == ("4",) and row.code != "allowed" and "PIT 2021" in row.reason
    assert report.cases == ("case-1",) and report.parties == ("helmond", "politie-oost-brabant")
    assert report.answers_lost == 2 and report.answers_gained == 0
    assert row.render() == (
        "case case-1: helmond (coordinator) <- politie-oost-brabant 'politie-incidenten' for "
        f"'onrechtmatige-bewoning' in selection: would no longer be answered (art. 4): {row.reason} "
        "[2 subject(s), 2 answer(s)]"
    )


def test_a_pair_the_revision_allows_would_now_be_answered(shipped: list[LoadedVersion]) -> None:
    """Adding the BAG to the selection hit flow makes every core partner's BAG pair a new answer, its
    outcome unknown, with the article that would allow it."""
    pit = pit_2021(shipped)
    pairs = allowed_pairs(compile_covenant(pit), COORDINATOR)
    revised = with_category(pit, "hit-gemeenten-selectie", "bag-gebruik")
    report = impact(numbered(query("case-1", "tr-a", [S1, S2, S3], pairs)), revised)
    assert {r.change for r in report.answers_changed} == {NEWLY}
    assert {r.category for r in report.answers_changed} == {"bag-gebruik"}
    assert [r.provider for r in report.answers_changed] == sorted(
        ["asten", "deurne", "gemert-bakel", "laarbeek", "someren", "politie-oost-brabant", "vrbzo", "senzer"]
    )
    assert {(r.subjects, r.answers, r.articles, r.code) for r in report.answers_changed} == {
        (3, 3, ("4",), "allowed")
    }
    assert report.answers_gained == 24 and report.answers_lost == 0
    assert "would now be answered (art. 4) [3 subject(s), 3 answer(s)]" in report.answers_changed[0].render()


def test_answers_are_counted_per_case_with_distinct_subjects(shipped: list[LoadedVersion]) -> None:
    """Two queries in one case about overlapping subjects make one row with the distinct subjects and
    every answer; another case gets its own row."""
    pit = pit_2021(shipped)
    pairs = allowed_pairs(compile_covenant(pit), COORDINATOR)
    revised = without_flow(pit, "hit-politie-selectie")
    events = numbered(
        query("case-1", "tr-a", [S1, S2], pairs),
        query("case-2", "tr-b", [S1], pairs),
        query("case-1", "tr-c", [S2, S3], pairs),
    )
    report = impact(events, revised)
    assert [(r.case, r.subjects, r.answers) for r in report.answers_changed] == [
        ("case-1", 3, 4),
        ("case-2", 1, 1),
    ]
    assert report.cases == ("case-1", "case-2")
    assert report.answers_replayed == 5 * len(pairs)


def test_an_old_version_replaces_the_logged_outcome(shipped: list[LoadedVersion]) -> None:
    """With an old version, what was is what that version decides: answers the log holds but the old
    version denies become new answers, and a decision's change is judged against the old version."""
    pit = pit_2021(shipped)
    compiled = compile_covenant(pit)
    narrowed = without_flow(pit, "hit-politie-selectie")
    events = numbered(query("case-1", "tr-a", [S1, S2], allowed_pairs(compiled, COORDINATOR)))
    assert impact(events, compiled).answers_changed == ()
    report = impact(events, compiled, narrowed)
    assert report.against == "pit/2021" and report.against_label == "PIT 2021"
    [row] = report.answers_changed
    assert (row.provider, row.category, row.change, row.subjects) == (
        "politie-oost-brabant",
        "politie-incidenten",
        NEWLY,
        2,
    )
    # Decisions: Senzer's benefit data to Someren was allowed in the log.
    benefit = decision_event(
        "someren", "employee", "senzer", "bijstand-status", "uitkeringsfraude", "action", True, ("7",)
    )
    dropped = without_flow(pit, "bijstand-naar-gemeenten")
    assert len(impact([(7, benefit)], dropped).decisions_changed) == 1
    assert impact([(7, benefit)], dropped, dropped).decisions_changed == ()
    [changed] = impact([(7, benefit)], dropped, compiled).decisions_changed
    assert changed.was_allowed and not changed.now_allowed and changed.was_articles == ("7",)


def test_a_pair_only_the_old_version_allows_would_no_longer_be_answered(
    shipped: list[LoadedVersion],
) -> None:
    """PIT 2016 let Helmond ask Asten for BAG use at selection; PIT 2021 does not. The change is
    reported with PIT 2016's article even though the PIT 2021 log never asked about it."""
    pit = compile_covenant(pit_2021(shipped))
    old = compile_covenant(next(v.covenant for v in shipped if str(v.covenant.ref) == "pit/2016"))
    report = impact(numbered(query("case-1", "tr-a", [S1], allowed_pairs(pit, COORDINATOR))), pit, old)
    lost = {(r.provider, r.category): r for r in report.answers_changed if r.change == NO_LONGER}
    assert set(lost) == {
        (g, "bag-gebruik") for g in ("asten", "deurne", "gemert-bakel", "laarbeek", "someren")
    }
    assert lost[("asten", "bag-gebruik")].articles == ("3",)
    gained = {(r.provider, r.category) for r in report.answers_changed if r.change == NEWLY}
    assert ("senzer", "bijstand-status") in gained and ("asten", "brp-inschrijving") not in gained


def test_other_covenants_and_actions_are_ignored(shipped: list[LoadedVersion]) -> None:
    """Only decisions and answers of the revised covenant count, however its id is spelled around."""
    pit = pit_2021(shipped)
    pairs = allowed_pairs(compile_covenant(pit), COORDINATOR)
    revised = without_flow(pit, "hit-politie-selectie")
    events = numbered(
        query("case-9", "tr-k", [S1], pairs, covenant="kit/2020"),
        query("case-8", "tr-p", [S1], pairs, covenant="pitje/2021"),
        [{"action": "disclosure", "processingActivity": {"covenant": "pit/2021"}, "counterparty": "x"}],
    )
    report = impact(events, revised)
    assert (report.answers_replayed, report.decisions_replayed, report.answers_changed) == (0, 0, ())


def test_a_version_of_another_covenant_is_refused(shipped: list[LoadedVersion]) -> None:
    """Comparing with another covenant's version is an error that names both."""
    pit = compile_covenant(pit_2021(shipped))
    kit = compile_covenant(next(v.covenant for v in shipped if v.covenant.ref.id == "kit"))
    with pytest.raises(InvalidInputError, match="different covenants: 'kit' and 'pit'"):
        impact([], pit, kit)


def test_the_report_names_cases_and_parties_but_no_subject(shipped: list[LoadedVersion]) -> None:
    """Text and JSON name cases, parties, categories and counts; no pseudonym appears; lists are cut
    at the limit and say how much was left out."""
    pit = pit_2021(shipped)
    pairs = allowed_pairs(compile_covenant(pit), COORDINATOR)
    revised = with_category(
        without_flow(pit, "hit-politie-selectie").covenant, "hit-gemeenten-selectie", "bag-gebruik"
    )
    benefit = decision_event(
        "someren", "employee", "senzer", "bijstand-status", "uitkeringsfraude", "action", True, ("7",)
    )
    events = [*numbered(query("case-1", "tr-a", [S1, S2], pairs)), (99, benefit | {"case": "case-3"})]
    report = impact(events, without_flow(revised.covenant, "bijstand-naar-gemeenten"))
    data = report.to_data()
    text = "\n".join(report.render())
    for out in (json.dumps(data), text):
        assert "v1:" not in out
    assert data["answers"]["changed"] == 9 and len(data["answers"]["rows"]) == 9
    assert data["decisions"]["rows"][0]["case"] == "case-3"
    assert data["cases"] == ["case-1", "case-3"]
    assert {"helmond", "politie-oost-brabant", "senzer", "someren"} <= set(data["parties"])
    assert "#99 (case case-3): someren (employee) <- senzer 'bijstand-status'" in text
    assert "1 of 1 past PIT decisions would change under PIT 2021" in text
    assert f"{2 * len(pairs)} past PIT hit/no-hit answers replayed: 2 would no longer be given" in text
    assert "cases affected: case-1, case-3" in text
    cut = report.to_data(limit=2)
    assert len(cut["answers"]["rows"]) == 2 and cut["answers"]["omitted"] == 7
    assert "(7 more answer rows not shown)" in report.render(limit=2)
