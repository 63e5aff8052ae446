"""The client's follow-up steps: findings parsed and named as the covenant files name them, and
input refused before anything is sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import pytest

from exchange.client import followup
from exchange.client.http import ExchangeClient
from exchange.errors import InvalidInputError
from exchange.policies.files import load_version
from tests.conftest import CONVENANT

PIT = load_version(CONVENANT / "pit" / "2021").covenant


class _NothingSent:
    """A client that fails the test if a step reaches it: the refusals below happen first."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"sent a request ({name}) although the input was refused")


NOTHING = cast(ExchangeClient, _NothingSent())


def test_a_finding_is_written_category_code_count() -> None:
    assert followup.parse_finding("uitkering-status:onrechtmatige-uitkering=2") == (
        "uitkering-status",
        "onrechtmatige-uitkering",
        2,
    )


@pytest.mark.parametrize("text", ["uitkering-status=2", "a:b", "a:b=x", ":b=1", "a:=1", "a:b=-1"])
def test_a_finding_in_another_form_is_refused(text: str) -> None:
    with pytest.raises(InvalidInputError, match="is not CATEGORY:CODE=COUNT"):
        followup.parse_finding(text)


def test_findings_are_shown_with_the_covenants_names() -> None:
    """Party, violation and category by their Dutch names, codes and article beside them."""
    row = {"party": "senzer", "category": "uitkering-status", "code": "onrechtmatige-uitkering", "count": 2}
    assert followup.finding_lines(PIT, [row]) == [
        "Senzer: 2 x Uitkering ontvangen zonder recht (onrechtmatige-uitkering, art. 11) "
        "in Of en welke UWV-uitkering wordt verstrekt (uitkering-status)"
    ]
    unknown = {"party": "elders", "category": "x", "code": "y", "count": 1}
    assert followup.finding_lines(PIT, [unknown]) == ["elders: 1 x y (y) in x (x)"]
    assert followup.finding_lines(PIT, []) == ["Nog geen bevindingen geregistreerd."]


def test_action_points_and_feedback_read_as_words() -> None:
    action = {
        "id": "act-1",
        "kind": "reinspection",
        "owner": "vrbzo",
        "deadline": "2026-12-14T23:59:00+01:00",
        "status": "open",
        "overdue": True,
        "reason": {"by": "vrbzo"},
    }
    assert followup.action_lines(PIT, [action]) == [
        "act-1  Hercontrole  Veiligheidsregio Brabant-Zuidoost  uiterlijk 2026-12-14T23:59:00+01:00  "
        "open (te laat); reden gegeven door vrbzo"
    ]
    assert followup.action_lines(None, []) == ["Geen actiepunten."]
    told = {"outcome": "benefit-adjusted", "told": ["senzer", "uwv"]}
    assert followup.feedback_lines(PIT, told) == [
        "Uitkomst: Uitkering aangepast (benefit-adjusted)",
        "Teruggekoppeld aan: Senzer, UWV",
    ]
    assert followup.feedback_lines(None, {"outcome": None}) == ["Nog geen uitkomst teruggekoppeld."]


def test_bad_input_is_refused_before_anything_is_sent() -> None:
    """A mistyped code, kind, status, outcome or verdict, or a deadline without a zone, never reaches
    the hub."""
    with pytest.raises(InvalidInputError, match="did you mean 'onrechtmatige-uitkering'"):
        followup.register_findings(NOTHING, PIT, "c-1", [("uitkering-status", "onrechtmatig", 1)])
    with pytest.raises(InvalidInputError, match="time zone"):
        followup.add_action(NOTHING, "c-1", "fine", "vrbzo", datetime(2026, 12, 1))
    with pytest.raises(InvalidInputError, match="kind must be one of"):
        followup.add_action(
            NOTHING, "c-1", "arrest", "vrbzo", datetime.fromisoformat("2026-12-01T00:00+01:00")
        )
    with pytest.raises(InvalidInputError, match="status must be one of open, done, cancelled"):
        followup.update_action(NOTHING, cast(Any, None), "c-1", "act-1", "finished", None)
    with pytest.raises(InvalidInputError, match="outcome must be one of"):
        followup.give_feedback(NOTHING, "c-1", "guilty")
    with pytest.raises(InvalidInputError, match="verdict must be"):
        followup.review(NOTHING, cast(Any, None), "c-1", "fine", "A long enough note.")


def test_the_case_names_a_version_the_files_must_hold() -> None:
    assert followup.covenant_of([PIT], "pit/2021") is PIT
    with pytest.raises(
        InvalidInputError,
        match=r"under pit/2016, which the covenant files do not hold \(they hold: pit/2021\)",
    ):
        followup.covenant_of([PIT], "pit/2016")


def test_the_client_names_every_code_the_hub_knows() -> None:
    """The client's words for outcomes, kinds and statuses cover exactly the hub's codes."""
    from exchange.cases.followup import ACTION_KINDS, OUTCOMES, STATUSES

    assert set(followup.OUTCOME_NAMES) == OUTCOMES
    assert set(followup.ACTION_KIND_NAMES) == ACTION_KINDS
    assert set(followup.STATUS_NAMES) == STATUSES


def test_a_deadline_is_a_date_at_the_end_of_the_day_or_a_moment_in_dutch_time() -> None:
    """A date means 23:59 that day in Amsterdam; a moment without a zone is Amsterdam time."""
    day = followup.parse_deadline("2026-12-31")
    assert (day.hour, day.minute, day.utcoffset()) == (23, 59, timedelta(hours=1))
    moment = followup.parse_deadline(" 2026-07-01T17:00 ")
    assert moment.utcoffset() == timedelta(hours=2)
    assert followup.parse_deadline("2026-07-01T17:00+00:00").utcoffset() == timedelta(0)
    with pytest.raises(InvalidInputError, match="is not a date"):
        followup.parse_deadline("morgen")


def test_a_finding_added_keeps_the_partys_others_and_replaces_its_own_count() -> None:
    """The hub replaces a party's findings whole: the new one joins the party's others only."""
    found = [
        {"party": "helmond", "category": "bag-gebruik", "code": "illegale-bewoning", "count": 1},
        {"party": "helmond", "category": "brp-inschrijving", "code": "onjuiste-inschrijving", "count": 3},
        {"party": "senzer", "category": "uitkering-status", "code": "onrechtmatige-uitkering", "count": 2},
    ]
    rows = followup.with_finding(found, "helmond", ("bag-gebruik", "illegale-bewoning", 4))
    assert rows == [("bag-gebruik", "illegale-bewoning", 4), ("brp-inschrijving", "onjuiste-inschrijving", 3)]
