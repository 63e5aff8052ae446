"""Looking up names in a covenant: what a party provides, and close names for a typo."""

from __future__ import annotations

from exchange.policies.files import load_version
from exchange.policies.lookup import close_names, did_you_mean, provided_categories
from tests.conftest import CONVENANT

PIT = load_version(CONVENANT / "pit" / "2021").covenant


def test_a_party_provides_what_flows_name_it_or_its_groups_for() -> None:
    """Police provide their own incidents and, as a core partner, the categories of the hit flow."""
    police = provided_categories(PIT, "politie-oost-brabant")
    assert "politie-incidenten" in police  # named itself
    assert "brp-inschrijving" in police  # through the group kernpartners
    assert "bag-gebruik" not in police  # only municipalities provide it
    assert provided_categories(PIT, "wijkteam-zonder-rol") == frozenset()
    assert provided_categories(PIT, "nobody") == frozenset()


def test_close_names_suggest_the_known_name_for_a_typo() -> None:
    """A typo gets the name it was probably meant to be; an unrelated word gets nothing."""
    assert close_names("brp-inschrijvng", PIT.categories) == ["brp-inschrijving"]
    assert did_you_mean("brp-inschrijvng", PIT.categories) == "; did you mean 'brp-inschrijving'?"
    assert did_you_mean("bijstand", ["bijstand-status", "bijstands-status", "uwv"]) == (
        "; did you mean 'bijstand-status' or 'bijstands-status'?"
    )
    assert did_you_mean("zzzz", PIT.categories) == ""


def test_free_text_is_read_by_flow_recipients_only() -> None:
    """A party reads a case's free text when some flow names it, itself or through a group, as a
    recipient; an observer that receives nothing reads none."""
    assert PIT.reads_free_text("helmond")  # a municipality, recipient through a group
    assert PIT.reads_free_text("politie-oost-brabant")
    assert not PIT.reads_free_text("wijkteam-zonder-rol")
    assert not PIT.reads_free_text("nobody")
