"""A throwaway PostgreSQL server for a test or benchmark run: started in a temporary directory on a
Unix socket, stopped at the end. Uses the machine's PostgreSQL binaries (Debian's postgresql package).
The tests import it too (through tests/pgserver.py); it imports nothing of them."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = [Path("/usr/lib/postgresql") / v / "bin" for v in ("17", "16", "15", "14")]


def _bindir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    for d in CANDIDATES:
        if (d / "initdb").exists():
            return d
    raise RuntimeError("PostgreSQL server binaries not found; install Debian's 'postgresql' package")


def missing() -> str | None:
    """Why no server can be started here, or None when the binaries are there."""
    try:
        _bindir()
    except RuntimeError as exc:
        return str(exc)
    return None


class PostgresServer:
    def __init__(self) -> None:
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="exchange-pg-"))
        self.data = self.root / "data"
        self.socket = self.root
        self.port = 5432 + (os.getpid() % 1000)
        self._as_postgres = os.geteuid() == 0  # initdb refuses to run as root

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603 - the machine's PostgreSQL binaries

    def start(self) -> str:
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "exchange", "--no-sync")
        self.resume()
        return f"postgresql+psycopg://exchange@/postgres?host={self.socket}&port={self.port}"

    def resume(self) -> None:
        """Start the server on its existing data directory (also after :meth:`pause`)."""
        opts = f"-k {self.socket} -p {self.port} -c listen_addresses='' -c fsync=on -c max_connections=50"
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-w", "-l", str(self.root / "log"), "start")

    def pause(self) -> None:
        """Stop the server, keeping its data: an outage the service must survive."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", str(self.socket), "-p", str(self.port), "-U", "exchange", name)
        return f"postgresql+psycopg://exchange@/{name}?host={self.socket}&port={self.port}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
