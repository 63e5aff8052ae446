"""`exchange keys` as a party administrator uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def keys(*args: str, passphrase: str = "a long passphrase") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EXCHANGE_PASSPHRASE": passphrase}
    return subprocess.run(
        [sys.executable, "-m", "exchange.cli.main", "keys", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )


def test_keystore_lifecycle(tmp_path: Path) -> None:
    """init, rotate, destroy, show and export-public work; a wrong passphrase and re-init are refused."""
    ks = str(tmp_path / "helmond.keystore")
    assert keys("init", "--party", "helmond", "--keystore", ks).returncode == 0
    again = keys("init", "--party", "helmond", "--keystore", ks)
    assert again.returncode == 2 and "exists already" in again.stderr
    assert keys("rotate", "--keystore", ks).returncode == 0
    assert keys("destroy", "--keystore", ks, "--version", "1").returncode == 0
    assert keys("new-pseudonym-key", "--keystore", ks, "--covenant", "pit").returncode == 0
    shown = keys("show", "--keystore", ks)
    assert (
        "v1 destroyed" in shown.stdout and "v2 current" in shown.stdout and "covenant pit v1" in shown.stdout
    )
    exported = json.loads(keys("export-public", "--keystore", ks).stdout)
    assert [e["status"] for e in exported] == ["destroyed", "current"]
    assert "secret" not in json.dumps(exported)
    wrong = keys("show", "--keystore", ks, passphrase="not the passphrase")
    assert wrong.returncode == 2 and "wrong passphrase" in wrong.stderr
    current = keys("destroy", "--keystore", ks, "--version", "2")
    assert current.returncode == 2 and "current key cannot be destroyed" in current.stderr
