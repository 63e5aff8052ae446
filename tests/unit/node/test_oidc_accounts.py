"""Accounts from the organisation's OpenID provider: their stable ids, the party's group mapping and
its checks, and the settings the node refuses to start without."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.errors import ConfigurationError, InvalidInputError
from exchange.node.accounts import NAME, check_name
from exchange.node.oidc_accounts import account_name, load_role_map, roles_for
from exchange.node.party import PartyProfile, party_profile
from exchange.node.runtime import oidc_setup
from exchange.node.settings import NodeSettings
from exchange.policies.files import LoadedVersion
from exchange.protocol import IDENTIFIER

ISSUER = "https://login.helmond.example"


@pytest.fixture
def helmond(shipped: list[LoadedVersion]) -> PartyProfile:
    return party_profile([v.covenant for v in shipped], "helmond")


def test_an_account_id_is_stable_per_issuer_and_subject_and_a_valid_user_name() -> None:
    """The same (issuer, sub) gives the same id; another issuer or subject another; no part of the
    subject shows in it."""
    name = account_name(ISSUER, "248289761001")
    assert name == account_name(ISSUER, "248289761001")
    assert name != account_name("https://login.other.example", "248289761001")
    assert name != account_name(ISSUER, "248289761002")
    assert NAME.match(name) and name.startswith("oidc-") and "248289761001" not in name
    assert IDENTIFIER.match(name)  # what the hub accepts as the user a node asserts


def test_local_accounts_cannot_take_a_name_kept_for_the_provider() -> None:
    """A local user name starting with 'oidc-' is refused, so no local account can pose as one."""
    with pytest.raises(InvalidInputError, match="starting with 'oidc-' are kept"):
        check_name(account_name(ISSUER, "x"))


def test_groups_map_to_the_roles_the_party_may_hold() -> None:
    """Roles come from every mapped group the user is in, once each, in the mapping's order; roles the
    covenants no longer allow and unmapped groups give nothing."""
    mapping = {"HIT": ("coordinator",), "Privacy": ("privacy-officer", "coordinator"), "Oud": ("jurist",)}
    allowed = ("coordinator", "employee", "privacy-officer")
    assert roles_for(["Privacy", "HIT", "Kantine"], mapping, allowed) == ("coordinator", "privacy-officer")
    assert roles_for(["Oud"], mapping, allowed) == ()
    assert roles_for([], mapping, allowed) == ()


def test_the_mapping_file_is_read_and_checked(tmp_path: Path, helmond: PartyProfile) -> None:
    """A group may map to one role or a list; a role the covenants do not let the party hold, an
    empty file or a group without roles is a configuration error naming the file and the group."""
    path = tmp_path / "roles.yaml"
    path.write_text('HIT-Coordinatoren: coordinator\n"CN=Privacy,OU=Groepen": [privacy-officer, employee]\n')
    assert load_role_map(path, helmond) == {
        "HIT-Coordinatoren": ("coordinator",),
        "CN=Privacy,OU=Groepen": ("privacy-officer", "employee"),
    }
    path.write_text("HIT: [hub-operator]\n")
    with pytest.raises(ConfigurationError, match=r"roles.yaml, group 'HIT': .*hold the role 'hub-operator'"):
        load_role_map(path, helmond)
    path.write_text("HIT: []\n")
    with pytest.raises(ConfigurationError, match="group 'HIT' must map to a list of roles"):
        load_role_map(path, helmond)
    path.write_text("")
    with pytest.raises(ConfigurationError, match="must map each group"):
        load_role_map(path, helmond)
    with pytest.raises(ConfigurationError, match="EXCHANGE_NODE_OIDC_ROLES_FILE"):
        load_role_map(None, helmond)


def test_an_issuer_without_the_rest_of_the_settings_is_refused(tmp_path: Path, helmond: PartyProfile) -> None:
    """The node does not start with half a configuration; without an issuer OpenID Connect is off."""
    assert oidc_setup(NodeSettings(party="helmond"), helmond) is None
    with pytest.raises(
        ConfigurationError,
        match="set EXCHANGE_NODE_OIDC_CLIENT_ID, EXCHANGE_NODE_OIDC_REDIRECT_URI, EXCHANGE_NODE_OIDC_DISPLAY_NAME",
    ):
        oidc_setup(NodeSettings(party="helmond", oidc_issuer=ISSUER), helmond)
    with pytest.raises(ConfigurationError, match="must include 'openid'"):
        oidc_setup(
            NodeSettings(
                party="helmond",
                oidc_issuer=ISSUER,
                oidc_client_id="node",
                oidc_redirect_uri="https://node.example/aanmelden/oidc/terug",
                oidc_display_name="Helmond-account",
                oidc_scopes="profile",
            ),
            helmond,
        )


def test_local_sign_in_for_administrators_only_needs_a_provider_and_administrators(
    helmond: PartyProfile,
) -> None:
    """Restricting passwords to administrators without a provider, or without naming an administrator,
    would lock staff or the administrator out: the node does not start."""
    with pytest.raises(ConfigurationError, match="leaves staff no way to sign in"):
        oidc_setup(NodeSettings(party="helmond", local_sign_in="admins", admins="beheer"), helmond)
    with pytest.raises(ConfigurationError, match="needs EXCHANGE_NODE_ADMINS"):
        oidc_setup(NodeSettings(party="helmond", local_sign_in="admins", oidc_issuer=ISSUER), helmond)
