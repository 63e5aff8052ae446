"""The service as its own process (uvicorn with the production factory), for tests that need real
HTTP on loopback, several workers, or a process to measure."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
UNSHARE, NSENTER = shutil.which("unshare"), shutil.which("nsenter")


def in_mount_namespace(script: str) -> bool:
    """Whether ``script`` succeeds in a mount namespace of its own: a probe for tests that mount
    (a read-only install, a tiny tmpfs) without touching the machine's own mounts."""
    if UNSHARE is None:
        return False
    probe = subprocess.run([UNSHARE, "-m", "/bin/sh", "-c", script], capture_output=True, check=False)
    return probe.returncode == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceProcess:
    """``uvicorn --factory exchange.api.asgi:create`` with ``env`` added to this environment; ready
    once ``/ready`` answers 200. Its stderr (JSON application logs) is kept for :meth:`stop`."""

    def __init__(self, env: dict[str, str], workers: int = 1, timeout: float = 60.0) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "exchange.api.asgi:create",
            "--port",
            str(self.port),
        ]
        if workers > 1:
            args += ["--workers", str(workers)]
        self.proc = subprocess.Popen(
            [*args, "--log-level", "warning", "--timeout-keep-alive", "30"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the service exited: {self.stop()[-6000:]}")
            try:
                if httpx.get(self.base + "/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the service did not become ready: {self.stop()[-6000:]}")

    def stop(self) -> str:
        """Terminate (then kill) the process; its stderr."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return (err or b"").decode(errors="replace")


def registered(url: str, parties: tuple[str, ...]) -> dict[str, Any]:
    """The hub's database at ``url`` migrated, with ``parties`` registered under fresh keys; the keys
    by party."""
    from exchange.crypto.keys import PartyKeys
    from exchange.storage.db import make_engine, session_factory
    from exchange.storage.parties import register_party
    from exchange.storage.schema import upgrade

    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    keys = {p: PartyKeys.create(p, now) for p in parties}
    with session_factory(engine).begin() as s:
        for p, k in keys.items():
            register_party(s, p, p, [v.to_data(p) for v in k.public()], now)
    engine.dispose()
    return keys


def sqlite_hub(workdir: Path, parties: tuple[str, ...], origin: str) -> tuple[ServiceProcess, dict[str, Any]]:
    """A hub on a SQLite file in ``workdir`` (``exchange.db``) serving the date-moved covenants, with
    ``parties`` registered under fresh keys; the running service and the keys by party."""
    from tests.conftest import convenant_today

    url = f"sqlite:///{workdir / 'exchange.db'}"
    keys = registered(url, parties)
    server = ServiceProcess(
        {
            "EXCHANGE_MODE": "dev",
            "EXCHANGE_DATABASE_URL": url,
            "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
            "EXCHANGE_LOG_ORIGIN": origin,
            "EXCHANGE_LOG_KEY_FILE": str(workdir / "log-key"),
        }
    )
    return server, keys
