"""The party node's case page: 12 subjects and 30 hit/no-hit answers, rendered by the node through
its own page code (session check, the case and its sealed subjects from its store, the hub's view of
the case from a stub hub on loopback, the answers grouped), against a raw Jinja render of the same
template with the same values, in the same run."""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from exchange.crypto import sodium
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import KdfParams, Keystore, write_keystore
from exchange.node import web
from exchange.node.accounts import add_user
from exchange.node.casework_store import CaseRow, CaseSubjectRow, seal_json
from exchange.node.covenants import CovenantBook
from exchange.node.runtime import start
from exchange.node.settings import NodeSettings, PasswordProfile

CONVENANT = Path(__file__).resolve().parent.parent / "convenant"
#: A day on which PIT 2021 is in force in the shipped files: the node's clock stands still there.
DAY = datetime(2025, 9, 1, 10, 0, tzinfo=UTC)
CASE = "case-bench-0001"
SUBJECTS = 12
ANSWERS = 30
TARGET_MS = 100.0
PASSWORD = "bench password 2026"  # noqa: S105  # a throwaway account in a temporary store


@dataclass
class CasePage:
    """A signed-in browser on the node, and the node's own template with the values it rendered."""

    client: TestClient
    render: Callable[[], str]
    path: str = f"/casussen/{CASE}"

    def node(self) -> str:
        r = self.client.get(self.path)
        if r.status_code != 200:
            raise RuntimeError(f"the node answered {r.status_code}")
        return str(r.text)


def _pseudonym(i: int) -> str:
    return f"v1:bench-subject-{i:02d}-" + "x" * 24


class _StubHub(BaseHTTPRequestHandler):
    """The hub's view of the case: covenant, purpose, phase, subjects and parties."""

    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


def _answers(parties: list[str], categories: list[str]) -> list[dict[str, str]]:
    """30 answers: hits, no-hits and partners without an index, spread over parties and subjects."""
    states = ["hit"] * 6 + ["no-hit"] * 10 + ["no-index"] * 14
    return [
        {
            "subject": _pseudonym(i % SUBJECTS),
            "provider": parties[i % len(parties)],
            "category": categories[(i * 7) % len(categories)],
            "state": state,
        }
        for i, state in enumerate(states)
    ]


@contextmanager
def case_page() -> Iterator[CasePage]:
    """Helmond's node with one case of 12 subjects and 30 answers in its store, a coordinator signed
    in, and the stub hub serving the case."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        keys = PartyKeys.create("helmond", DAY)
        fast = KdfParams(opslimit=sodium.ARGON2_OPSLIMIT_MIN, memlimit=sodium.ARGON2_MEMLIMIT_MIN)
        write_keystore(root / "keystore.json", Keystore(keys), "bench passphrase", fast)
        (root / "passphrase").write_text("bench passphrase\n", encoding="utf-8")
        pit = CovenantBook(CONVENANT, "helmond").get("pit", DAY)
        if pit is None:
            raise RuntimeError(f"PIT is not in force on {DAY:%Y-%m-%d} in {CONVENANT}")
        parties = sorted(str(p) for p in pit.parties if str(p) != "helmond")
        categories = sorted(str(c) for c in pit.categories)
        purpose = sorted(str(p) for p in pit.purposes)[0]
        _StubHub.body = json.dumps(
            {
                "id": CASE,
                "covenant": f"pit/{pit.ref.version}",
                "purpose": purpose,
                "phase": "selection",
                "closed": False,
                "subjects": [_pseudonym(i) for i in range(SUBJECTS)],
                "parties": ["helmond", *parties[:3]],
            }
        ).encode()
        hub = ThreadingHTTPServer(("127.0.0.1", 0), _StubHub)
        threading.Thread(target=hub.serve_forever, daemon=True).start()
        settings = NodeSettings(
            party="helmond",
            hub_url=f"http://127.0.0.1:{hub.server_address[1]}",
            keystore=root / "keystore.json",
            passphrase_file=root / "passphrase",
            data_dir=root / "node",
            convenant_dir=CONVENANT,
            password_profile=PasswordProfile.TESTS_ONLY,
        )
        rt = start(settings, clock=lambda: DAY)
        with rt.sessions.begin() as s:
            user = add_user(s, rt.party, "c.bench", ["coordinator"], PASSWORD, DAY, rt.policy.profile)
            s.add(
                CaseRow(
                    case_id=CASE,
                    covenant="pit",
                    purpose=purpose,
                    phase="selection",
                    opened=DAY,
                    opened_by=user.id,
                    hits=json.dumps({"answers": _answers(parties, categories), "not_in_phase": []}),
                    hits_at=DAY,
                )
            )
            s.flush()
            for i in range(SUBJECTS):
                value = f"5701 AB {i + 1}"
                s.add(
                    CaseSubjectRow(
                        case_id=CASE,
                        pseudonym=_pseudonym(i),
                        position=i,
                        sealed=seal_json(rt.data_key, {"kind": "address", "value": value}),
                    )
                )
        # The node renders with an environment this module holds, so the raw render below uses the
        # very template object the node used, with the values the node passed it.
        env = web.environment()
        made = web.environment
        web.environment = lambda: env
        try:
            app = web.create_app(rt)
        finally:
            web.environment = made
        template = env.get_template("case.html")
        seen: dict[str, Any] = {}
        own = template.render

        def capture(*args: Any, **values: Any) -> str:
            seen.update(values)
            return own(*args, **values)

        template.render = capture  # type: ignore[method-assign]  # once, to learn the node's values
        client = TestClient(app, base_url="https://node.bench", follow_redirects=False)
        try:
            form = client.get("/aanmelden").text
            token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            client.post("/aanmelden", data={"name": "c.bench", "password": PASSWORD, "csrf": token})
            page = CasePage(client, lambda: own(**seen))
            first = page.node()
            del template.render
            if "hit-tabel" not in first or "5701 AB 12" not in first or not seen:
                raise RuntimeError("the node did not render the case page with its answers")
            yield page
        finally:
            client.close()
            rt.engine.dispose()
            hub.shutdown()


def measure(rounds: int = 7, calls: int = 20) -> tuple[list[float], list[float]]:
    """Seconds per page of the node and of the raw render: one median per round, the two sampled
    in alternating rounds so that both see the same machine conditions."""
    node: list[float] = []
    raw: list[float] = []
    with case_page() as page:
        for _ in range(3):
            page.node()
            page.render()
        for _ in range(rounds):
            for side, call in ((node, page.node), (raw, page.render)):
                times = []
                for _ in range(calls):
                    t0 = time.perf_counter_ns()
                    call()
                    times.append((time.perf_counter_ns() - t0) / 1e9)
                side.append(statistics.median(times))
    return node, raw


def run() -> None:
    print(
        f"Party node (target: a case page with {SUBJECTS} subjects and {ANSWERS} answers under {TARGET_MS:.0f} ms)"
    )
    print("  the node's own page code (session, store, sealed subjects opened, the case from a stub hub on")
    print("  loopback) against a raw Jinja render of the same template with the same values;")
    print("  min / median / max of the per-round medians over 7 alternating rounds of 20 pages")
    node, raw = measure()
    ratios = sorted(n / r for n, r in zip(node, raw, strict=True))
    ms = [t * 1000 for t in node]
    raw_ms = [t * 1000 for t in raw]
    print(
        f"    raw Jinja render        {min(raw_ms):7.2f} / {statistics.median(raw_ms):7.2f} / {max(raw_ms):7.2f} ms"
    )
    print(f"    node's case page        {min(ms):7.2f} / {statistics.median(ms):7.2f} / {max(ms):7.2f} ms")
    print(
        f"    ratio node / raw        {ratios[0]:7.1f} / {statistics.median(ratios):7.1f} / {ratios[-1]:7.1f}x"
        f"   ({'within' if statistics.median(ms) < TARGET_MS else 'over'} the {TARGET_MS:.0f} ms target)"
    )
