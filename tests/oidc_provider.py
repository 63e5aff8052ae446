"""A real OpenID provider for the node's sign-in tests: the npm package oidc-provider, installed by
the test run into ``build/oidc-provider`` with ``npm ci`` from ``tests/oidc/package-lock.json`` and
kept there (reinstalled only when the lock file changes), then ``tests/oidc/provider.mjs`` started on
a free port. Like PostgreSQL and Chromium, npm comes from Debian's packages (``make
system-packages``); without it the tests fail saying so, unless ``EXCHANGE_OIDC=skip``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "oidc"
INSTALL = ROOT / "build" / "oidc-provider"
CLIENT_ID = "exchange-node-helmond"
CLIENT_SECRET = "een-geheim-van-de-testprovider"
#: Test users (tests/oidc/provider.mjs): login -> (subject, display name).
USERS = {
    "jan": ("medewerker-0001", "Jan de Vries"),
    "piet": ("medewerker-0002", "Piet Bakker"),
    "vervalst": ("medewerker-0003", "Vera Vals"),
    "verlopen": ("medewerker-0004", "Vincent Laat"),
}
#: The party's mapping the tests use: one group gives roles, "Alle-Medewerkers" gives none.
ROLE_MAP = "HIT-Coordinatoren: [coordinator, privacy-officer]\nOnbekende-Groep: [coordinator]\n"


def _unavailable(reason: str) -> None:
    if os.environ.get("EXCHANGE_OIDC") == "skip":
        pytest.skip(f"EXCHANGE_OIDC=skip and {reason}")
    pytest.fail(f"{reason}: run 'make system-packages' (Debian's npm) or set EXCHANGE_OIDC=skip")


def install() -> Path:
    """The provider's node_modules under build/, installed once per lock file. Test processes running
    side by side (pytest-xdist) take turns: one installs, the others find it done."""
    INSTALL.mkdir(parents=True, exist_ok=True)
    with (INSTALL.parent / "oidc-provider.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        try:
            return _install()
        finally:
            fcntl.flock(guard, fcntl.LOCK_UN)


def _install() -> Path:
    lock = (SOURCE / "package-lock.json").read_bytes()
    stamp = INSTALL / ".lock-sha256"
    want = hashlib.sha256(lock).hexdigest()
    if stamp.exists() and stamp.read_text() == want and (INSTALL / "node_modules" / "oidc-provider").is_dir():
        return INSTALL
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        _unavailable(
            "npm and node are needed to install the test OpenID provider (npm package oidc-provider)"
        )
    INSTALL.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(SOURCE / name, INSTALL / name)
    done = subprocess.run(
        [str(npm), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=INSTALL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        _unavailable(f"'npm ci' of the test OpenID provider failed: {done.stderr.strip()[-500:]}")
    stamp.write_text(want)
    return INSTALL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen[str]
    #: The client registration the provider read at its start.
    client_file: Path | None = None

    def stop(self) -> None:
        if self.client_file is not None:
            self.client_file.unlink(missing_ok=True)
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(redirect_uris: list[str], post_logout_redirect_uris: list[str]) -> Provider:
    """oidc-provider on a free port with one client, the node, registered for these addresses."""
    directory = install()
    shutil.copyfile(SOURCE / "provider.mjs", directory / "provider.mjs")  # resolves oidc-provider there
    client = directory / f"client-{os.getpid()}-{threading.get_ident()}.json"
    client.write_text(
        json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": post_logout_redirect_uris,
            }
        )
    )
    port = free_port()
    process = subprocess.Popen(
        [shutil.which("node") or "node", str(directory / "provider.mjs"), str(port), str(client)],
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    ready: list[str] = []

    def _read() -> None:
        assert process.stdout is not None
        ready.append(process.stdout.readline())

    reader = threading.Thread(target=_read, daemon=True)
    reader.start()
    reader.join(timeout=30)
    if not ready or not ready[0].startswith("ready "):
        process.kill()
        client.unlink(missing_ok=True)
        pytest.fail("the test OpenID provider did not start (tests/oidc/provider.mjs)")
    return Provider(ready[0].split()[1], process, client)
