"""The node's settings: the passphrase from a file, and the password hashing profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import profiles

from exchange.errors import ConfigurationError
from exchange.node.accounts import hasher
from exchange.node.settings import NodeSettings, PasswordProfile


def test_settings_come_from_exchange_node_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each field has an EXCHANGE_NODE_ variable; secure cookies and the recommended profile by default."""
    monkeypatch.setenv("EXCHANGE_NODE_PARTY", "senzer")
    monkeypatch.setenv("EXCHANGE_NODE_IDLE_TIMEOUT_MINUTES", "30")
    settings = NodeSettings()
    assert (settings.party, settings.idle_timeout_minutes) == ("senzer", 30)
    assert settings.cookie_secure is True
    assert settings.password_profile is PasswordProfile.RECOMMENDED
    assert (settings.max_failed_sign_ins, settings.lockout_minutes) == (5, 15)
    assert settings.database_url().endswith("var/node/node.db")


def test_the_passphrase_file_loses_only_its_line_end(tmp_path: Path) -> None:
    """Spaces inside and at the end of a passphrase are part of it; the newline is not."""
    path = tmp_path / "p"
    path.write_text("een zin met spaties \n", encoding="utf-8")
    assert NodeSettings(passphrase_file=path).read_passphrase() == "een zin met spaties "


def test_a_missing_or_empty_passphrase_is_refused(tmp_path: Path) -> None:
    """The message names the variable to set."""
    with pytest.raises(ConfigurationError, match="cannot read the passphrase file"):
        NodeSettings(passphrase_file=tmp_path / "nope").read_passphrase()
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="no keystore passphrase: set EXCHANGE_NODE_PASSPHRASE_FILE"):
        NodeSettings(passphrase_file=tmp_path / "empty").read_passphrase()


def test_the_default_hash_is_argon2id_with_the_rfc_9106_profile() -> None:
    """Production hashes use argon2-cffi's recommended parameters; the cheap ones only when asked."""
    recommended = hasher(PasswordProfile.RECOMMENDED)
    assert (recommended.time_cost, recommended.memory_cost, recommended.parallelism) == (
        profiles.RFC_9106_LOW_MEMORY.time_cost,
        profiles.RFC_9106_LOW_MEMORY.memory_cost,
        profiles.RFC_9106_LOW_MEMORY.parallelism,
    )
    assert recommended.hash("een lang wachtwoord").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hasher(PasswordProfile.TESTS_ONLY).memory_cost == profiles.CHEAPEST.memory_cost
