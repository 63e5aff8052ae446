"""`exchange node init|user|serve` with the settings from EXCHANGE_NODE_* variables: accounts with
roles the covenants allow, and a node that refuses to start without its keystore."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from exchange.cli.main import app as cli
from tests.conftest import CONVENANT
from tests.integration.node_support import PASSWORD, make_keystore


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    make_keystore(tmp_path, "senzer")
    (tmp_path / "pw").write_text(PASSWORD + "\n", encoding="utf-8")
    return {
        "EXCHANGE_NODE_PARTY": "senzer",
        "EXCHANGE_NODE_KEYSTORE": str(tmp_path / "senzer.keystore"),
        "EXCHANGE_NODE_PASSPHRASE_FILE": str(tmp_path / "passphrase"),
        "EXCHANGE_NODE_DATA_DIR": str(tmp_path / "node"),
        "EXCHANGE_NODE_CONVENANT_DIR": str(CONVENANT),
        "EXCHANGE_NODE_PASSWORD_PROFILE": "tests-only",
        "EXCHANGE_NODE_HUB_URL": "http://127.0.0.1:9",
    }


def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["node", *args], env=env)
    return result.exit_code, result.output


def test_init_creates_the_store_and_names_the_roles(env: dict[str, str], tmp_path: Path) -> None:
    """init opens the keystore, makes the store and lists the roles this party may hold."""
    code, out = _run(env, "init")
    assert code == 0, out
    assert "node store ready for Senzer (senzer); data key from key version 1" in out
    assert "employee" in out and "coordinator" not in out
    assert (tmp_path / "node" / "node.db").is_file()


def test_users_are_added_listed_given_roles_and_disabled(env: dict[str, str], tmp_path: Path) -> None:
    """The whole life of an account from the command line."""
    pw = str(tmp_path / "pw")
    assert _run(env, "user", "add", "a.bakker", "--role", "employee", "--password-file", pw) == (
        0,
        "added a.bakker (employee)\n",
    )
    assert _run(env, "user", "roles", "a.bakker", "--role", "employee", "--role", "jurist")[1] == (
        "a.bakker: employee, jurist\n"
    )
    code, out = _run(env, "user", "list")
    assert code == 0 and out.split() == ["a.bakker", "active", "employee,", "jurist"]
    assert _run(env, "user", "disable", "a.bakker") == (0, "disabled a.bakker\n")
    assert _run(env, "user", "list")[1].split()[:2] == ["a.bakker", "disabled"]


def test_a_role_the_covenants_do_not_allow_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    """Senzer may not coordinate: the error names the roles it may hold; no user is made."""
    code, out = _run(
        env, "user", "add", "a.bakker", "--role", "coordinator", "--password-file", str(tmp_path / "pw")
    )
    assert code == 2
    assert "the covenants do not let senzer hold the role 'coordinator'; senzer may hold: employee" in out
    assert _run(env, "user", "list") == (0, "")


def test_a_short_password_or_a_duplicate_name_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    """Clear errors, and the first account stays as it was."""
    short = tmp_path / "short"
    short.write_text("kort\n", encoding="utf-8")
    code, out = _run(env, "user", "add", "a.bakker", "--role", "employee", "--password-file", str(short))
    assert code == 2 and "at least 12 characters" in out
    pw = str(tmp_path / "pw")
    assert _run(env, "user", "add", "a.bakker", "--role", "employee", "--password-file", pw)[0] == 0
    code, out = _run(env, "user", "add", "a.bakker", "--role", "jurist", "--password-file", pw)
    assert code == 2 and "a user 'a.bakker' exists already" in out


def test_unknown_users_are_named(env: dict[str, str]) -> None:
    """Disabling someone who is not there says so."""
    code, out = _run(env, "user", "disable", "niemand")
    assert code == 2 and "no user 'niemand' on this node" in out


def test_serve_refuses_a_wrong_passphrase(env: dict[str, str], tmp_path: Path) -> None:
    """The node does not start, and says why, before it listens anywhere."""
    (tmp_path / "passphrase").write_text("not the passphrase\n", encoding="utf-8")
    code, out = _run(env, "serve")
    assert code == 2
    assert "the passphrase does not open the keystore" in out and "the node does not start" in out


def test_serve_refuses_a_missing_passphrase(env: dict[str, str], tmp_path: Path) -> None:
    """No file, or no setting at all: refused, naming the variable."""
    (tmp_path / "passphrase").unlink()
    code, out = _run(env, "serve")
    assert code == 2 and "cannot read the passphrase file" in out
    code, out = _run({k: v for k, v in env.items() if k != "EXCHANGE_NODE_PASSPHRASE_FILE"}, "serve")
    assert code == 2 and "no keystore passphrase: set EXCHANGE_NODE_PASSPHRASE_FILE" in out


def test_serve_refuses_another_partys_keystore(env: dict[str, str]) -> None:
    """The keystore must belong to EXCHANGE_NODE_PARTY."""
    code, out = _run({**env, "EXCHANGE_NODE_PARTY": "helmond"}, "serve")
    assert code == 2 and "belongs to 'senzer', not to 'helmond'" in out
