"""The party node's index: pseudonymising and syncing an export of N lines from a drop folder (the
node's whole path: read, check every line, pseudonymise, compare, seal, store, send in batches to a
hub that accepts at once, progress on), and re-pseudonymising the same index under a new key
version; each against raw HMAC-SHA256 over the same lines in the same run, rounds alternating.

``BENCH_NODE_LINES`` sets N (default 100,000; the figures in docs/node.md are for 1,000,000),
``BENCH_NODE_ROUNDS`` the rounds (default 3).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from exchange.crypto import sodium
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import KdfParams, Keystore, write_keystore
from exchange.crypto.pseudonym import PseudonymKey
from exchange.crypto.subjects import SubjectKind
from exchange.node.folder_sync import sync_pass
from exchange.node.runtime import NodeRuntime, start
from exchange.node.settings import NodeSettings, SyncFolder

PARTY = "politie-oost-brabant"
CATEGORY = "pit:politie-incidenten"
KEY_V1 = PseudonymKey("pit", 1, b"\x11" * 32)
KEY_V2 = PseudonymKey("pit", 2, b"\x22" * 32)
FAST = KdfParams(opslimit=sodium.ARGON2_OPSLIMIT_MIN, memlimit=sodium.ARGON2_MEMLIMIT_MIN)
CONVENANT = Path(__file__).resolve().parent.parent / "convenant"


class AcceptingHub:
    """A hub that accepts every batch at once: what is measured is the node's work."""

    def __init__(self, keys: list[PseudonymKey]) -> None:
        self.batches = 0
        self.key_list = keys

    def send(self, category: str, add: list[str], remove: list[str], key: str) -> None:
        self.batches += 1

    def keys(self, covenant: str) -> list[PseudonymKey]:
        return self.key_list


def lines(n: int) -> list[str]:
    """``n`` distinct valid addresses (postcode, letters, house number)."""
    return [f"{1000 + (i // 100) % 9000} {('AB', 'CD', 'EF')[i // 900_000]} {1 + i % 100}" for i in range(n)]


def raw_hmac(data: list[str]) -> None:
    key = KEY_V1.key
    for line in data:
        hmac.new(key, line.encode("ascii"), hashlib.sha256).digest()


def node(directory: Path, drop: Path) -> NodeRuntime:
    keystore = directory / "police.keystore"
    if not keystore.exists():
        write_keystore(
            keystore,
            Keystore(PartyKeys.create(PARTY, datetime.now(UTC)), (KEY_V1,)),
            "bench passphrase",
            FAST,
        )
        (directory / "passphrase").write_text("bench passphrase", encoding="utf-8")
    settings = NodeSettings(
        party=PARTY,
        keystore=keystore,
        passphrase_file=directory / "passphrase",
        data_dir=directory / f"node-{time.monotonic_ns()}",
        convenant_dir=CONVENANT,
        sync_folders={CATEGORY: SyncFolder(folder=drop, kind=SubjectKind.ADDRESS)},
    )
    return start(settings)


def progress_to(sink: io.StringIO) -> Callable[[str, str, int, int], None]:
    """The command's progress lines, written to ``sink`` instead of the terminal."""

    def report(category: str, stage: str, done: int, total: int) -> None:
        verb = "pseudonymised" if stage == "pseudonymise" else "sent to the hub"
        sink.write(f"{category}: {done}/{total} {verb}\n")

    return report


def spread(values: list[float]) -> str:
    return f"min {min(values):6.2f} s  median {statistics.median(values):6.2f} s  max {max(values):6.2f} s"


def run() -> None:
    n = int(os.environ.get("BENCH_NODE_LINES", "100000"))
    rounds = int(os.environ.get("BENCH_NODE_ROUNDS", "3"))
    print(
        f"Party node index, {n:,} lines, {rounds} alternating rounds (target: 10^6 lines well under a minute)"
    )
    data = lines(n)
    raw: list[float] = []
    synced: list[float] = []
    rotated: list[float] = []
    sink = io.StringIO()
    with tempfile.TemporaryDirectory() as tmp:
        directory, drop = Path(tmp), Path(tmp) / "drop"
        drop.mkdir()
        (drop / ".export.txt").write_text("\n".join(data) + "\n", encoding="ascii")
        os.replace(drop / ".export.txt", drop / "export.txt")
        for _ in range(rounds):
            t0 = time.perf_counter()
            raw_hmac(data)
            raw.append(time.perf_counter() - t0)

            rt = node(directory, drop)
            t0 = time.perf_counter()
            [o] = sync_pass(rt, AcceptingHub([]), progress_to(sink))
            synced.append(time.perf_counter() - t0)
            if o.additions != n:
                raise RuntimeError(f"the sync added {o.additions} of {n} lines")

            t0 = time.perf_counter()
            [o] = sync_pass(rt, AcceptingHub([KEY_V2]), progress_to(sink), folders=False)
            rotated.append(time.perf_counter() - t0)
            if (o.additions, o.removals) != (n, n):
                raise RuntimeError("the rotation did not move every entry")
            rt.engine.dispose()
            print(
                f"    round: raw {raw[-1]:.2f} s, sync {synced[-1]:.2f} s, rotation {rotated[-1]:.2f} s",
                flush=True,
            )
    base = statistics.median(raw)
    print(f"  raw HMAC-SHA256 over the lines    {spread(raw)}")
    print(
        f"  sync from the drop folder          {spread(synced)}   x{statistics.median(synced) / base:6.1f} raw"
    )
    print(
        f"  re-pseudonymise on rotation        {spread(rotated)}   x{statistics.median(rotated) / base:6.1f} raw"
    )
    print(f"  progress lines written: {sink.getvalue().count(chr(10))}")
