"""The roles and name the covenant files give a node's party."""

from __future__ import annotations

import pytest

from exchange.errors import ConfigurationError, InvalidInputError
from exchange.node.party import party_profile
from exchange.policies.files import LoadedVersion


def test_a_municipality_may_coordinate_and_a_provider_may_not(shipped: list[LoadedVersion]) -> None:
    """Helmond (in the group gemeenten) may hold coordinator; Senzer may not."""
    covenants = [v.covenant for v in shipped]
    helmond = party_profile(covenants, "helmond")
    senzer = party_profile(covenants, "senzer")
    assert helmond.name == "Gemeente Helmond"
    assert {"coordinator", "employee", "privacy-officer"} <= set(helmond.roles)
    assert "coordinator" not in senzer.roles and "employee" in senzer.roles
    assert "PIT 2021" in helmond.covenants


def test_roles_are_checked_against_the_covenants(shipped: list[LoadedVersion]) -> None:
    """An unknown role is refused with the roles the party may hold; duplicates are dropped."""
    senzer = party_profile([v.covenant for v in shipped], "senzer")
    assert senzer.check_roles(["employee", "employee", "jurist"]) == ("employee", "jurist")
    with pytest.raises(
        InvalidInputError, match=r"do not let senzer hold the role 'coordinator'; senzer may hold: .*employee"
    ):
        senzer.check_roles(["employee", "coordinator"])
    with pytest.raises(InvalidInputError, match="give at least one role"):
        senzer.check_roles([" "])


def test_a_party_no_covenant_names_is_a_configuration_error(shipped: list[LoadedVersion]) -> None:
    """The message names the settings to check."""
    with pytest.raises(ConfigurationError, match=r"names the party 'nobody'.*EXCHANGE_NODE_PARTY"):
        party_profile([v.covenant for v in shipped], "nobody")
