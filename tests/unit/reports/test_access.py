"""The access-request answer from log entries: grouped for a letter, named from the covenant, no-hits
counted, confidential categories withheld whatever the entries say."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from exchange.policies.files import load_version
from exchange.policies.model import Covenant
from exchange.reports.access import AccessEntry, access_answer
from tests.conftest import CONVENANT


@pytest.fixture(scope="module")
def pit() -> dict[str, Covenant]:
    return {f"pit/{v}": load_version(CONVENANT / "pit" / v).covenant for v in ("2016", "2021")}


def entry(
    index: int,
    action: str,
    actor: str,
    other: str | None,
    category: str | None,
    outcome: str = "allowed",
    articles: tuple[str, ...] = (),
    grounds: tuple[str, ...] = (),
    when: datetime = datetime(2026, 3, 1, 10, tzinfo=UTC),
    purpose: str = "onrechtmatige-bewoning",
    case: str = "case-1",
) -> AccessEntry:
    return AccessEntry(
        index, when, action, outcome, actor, other, case, category, purpose, "pit/2021", articles, grounds
    )


def test_entries_are_grouped_named_and_counted(pit: dict[str, Covenant]) -> None:
    """Two disclosures of one kind, category and ground are one group with both days (Amsterdam);
    the grounds of a disclosure come from the covenant's flow; no-hits are counts."""
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 2 March in Amsterdam
    entries = [
        entry(0, "case-created", "helmond", None, None, outcome="done"),
        entry(
            1, "hit-query", "helmond", "senzer", "bijstand-status", "hit", ("4",), ("AVG art. 6 lid 1 sub e",)
        ),
        entry(2, "hit-query", "helmond", "someren", "brp-inschrijving", "no-hit", ("4",)),
        entry(3, "hit-query", "helmond", "someren", "brp-inschrijving", "no-hit", ("4",)),
        entry(4, "disclosure", "helmond", "senzer", "brp-inschrijving", articles=("5",)),
        entry(5, "disclosure", "helmond", "senzer", "brp-inschrijving", articles=("5",), when=late),
        entry(6, "feedback", "helmond", "senzer", None, outcome="done"),
    ]
    answer = access_answer(entries, pit, pit["pit/2021"], 1)
    assert answer.entries == 7
    assert [(c.case, c.coordinator.name, c.opened) for c in answer.cases] == [
        ("case-1", "Gemeente Helmond", date(2026, 3, 1))
    ]
    got = [
        (
            d.recipient.id,
            d.provider.id,
            d.kind,
            d.category and d.category.id,
            d.legal_grounds,
            d.dates,
            d.count,
        )
        for d in answer.disclosures
    ]
    assert got == [
        ("helmond", "senzer", "hit", "bijstand-status", ("AVG art. 6 lid 1 sub e",), (date(2026, 3, 1),), 1),
        (
            "senzer",
            "helmond",
            "disclosed",
            "brp-inschrijving",
            ("Wet BRP art. 3.3",),
            (date(2026, 3, 1), date(2026, 3, 2)),
            2,
        ),
        ("senzer", "helmond", "feedback", None, (), (date(2026, 3, 1),), 1),
    ]
    assert answer.disclosures[1].articles[0].name == "Verstrekking door gemeenten"
    ((no_hit),) = answer.no_hits
    assert (no_hit.asked_by.name, no_hit.provider.name, no_hit.category.name, no_hit.count) == (
        "Gemeente Helmond",
        "Gemeente Someren",
        "Inschrijvingen in de BRP op het adres",
        2,
    )


def test_confidential_categories_are_withheld_and_the_same_for_every_subject(
    pit: dict[str, Covenant],
) -> None:
    """Hits, no-hits, disclosures and reads of police data leave no trace in the answer: not in the
    groups, not in the counts; the withheld list is the one an empty history gets."""
    police = "politie-oost-brabant"
    entries = [
        entry(1, "hit-query", "helmond", police, "politie-incidenten", "hit", ("4",), ("Wpg art. 20",)),
        entry(2, "hit-query", "asten", police, "politie-incidenten", "no-hit", ("4",)),
        entry(3, "disclosure", police, "helmond", "politie-incidenten", articles=("6",)),
        entry(4, "dossier-read", "helmond", police, "politie-incidenten", "done", ("6",)),
        entry(
            5,
            "disclosure",
            "helmond",
            "riec-ob",
            "ondermijning-signaal",
            articles=("10",),
            purpose="ondermijning",
        ),
    ]
    answer = access_answer(entries, pit, pit["pit/2021"], 1)
    empty = access_answer([], pit, pit["pit/2021"], 1)
    assert (answer.disclosures, answer.no_hits, answer.cases, answer.entries) == ((), (), (), 0)
    assert answer.withheld == empty.withheld
    assert [(w.category.id, [p.id for p in w.ask]) for w in answer.withheld] == [
        ("ondermijning-signaal", ["helmond", police]),
        ("politie-incidenten", [police]),
    ]


def test_names_fall_back_to_the_identifier(pit: dict[str, Covenant]) -> None:
    """A party or category no version knows is shown by its identifier rather than dropped."""
    answer = access_answer(
        [entry(1, "dossier-read", "nieuwe-partij", "helmond", "onbekend", "done", ("99",))],
        pit,
        pit["pit/2021"],
        1,
    )
    (d,) = answer.disclosures
    assert (d.recipient.name, d.category and d.category.name, d.articles[0].name) == (
        "nieuwe-partij",
        "onbekend",
        "",
    )
