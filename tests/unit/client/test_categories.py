"""Which covenant version the client checks an index category against."""

from __future__ import annotations

from datetime import date

import pytest

from exchange.client.categories import check_provided, version_for
from exchange.errors import InvalidInputError
from exchange.policies.files import load_version
from tests.conftest import CONVENANT

PIT_2016 = load_version(CONVENANT / "pit" / "2016").covenant
PIT_2021 = load_version(CONVENANT / "pit" / "2021").covenant


def test_the_version_in_force_today_is_checked_unless_one_is_named() -> None:
    """Of several versions the one in force today counts; a single (named) version counts as is."""
    both = [PIT_2016, PIT_2021]
    assert version_for(both, date(2018, 5, 1)) is PIT_2016
    assert version_for(both, date(2026, 11, 30)) is PIT_2021
    assert version_for([PIT_2016], date(2026, 11, 30)) is PIT_2016
    with pytest.raises(
        InvalidInputError, match=r"no version of PIT is in force on 2000-01-01; name the version"
    ):
        version_for(both, date(2000, 1, 1))


def test_a_provided_category_passes() -> None:
    """The police may index their incidents."""
    check_provided(PIT_2021, "politie-oost-brabant", "politie-incidenten")


def test_a_party_that_provides_nothing_is_told_so() -> None:
    """A party without provider flows gets 'nothing' as the list."""
    with pytest.raises(InvalidInputError, match=r"\(it provides: nothing\); nothing was sent"):
        check_provided(PIT_2021, "wijkteam-zonder-rol", "bag-gebruik")
