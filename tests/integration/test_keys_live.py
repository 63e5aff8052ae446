"""Two service processes on one database, each caching parties' keys (docs/adr/0022): a key retired
over the API through one process is refused by the other right after, although that process had it
cached; and of one signed request sent to both at once, exactly one is done."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from exchange.client.directory import publish_keys, publishing_key
from exchange.client.http import ExchangeClient, sign_request
from tests.conftest import convenant_today
from tests.integration.api_support import SUBJECT, assert_problem
from tests.integration.conftest import ORIGIN
from tests.integration.test_operations import receipt_key as receipt_key_file
from tests.pgserver import PostgresServer
from tests.service_process import ServiceProcess, registered

PARTIES = ("helmond", "someren")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'exchange.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database(f"keys_live_{secrets.token_hex(4)}")


def test_a_key_retired_in_one_process_is_refused_by_the_other_right_after(url: str, tmp_path: Path) -> None:
    keys = registered(url, PARTIES)
    env = {
        "EXCHANGE_DATABASE_URL": url,
        "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
        "EXCHANGE_LOG_ORIGIN": ORIGIN,
        "EXCHANGE_MODE": "production",
        "EXCHANGE_RECEIPT_KEY_FILE": str(receipt_key_file(tmp_path)),
        "EXCHANGE_METRICS_TOKEN": secrets.token_urlsafe(32),
    }
    one, two = ServiceProcess(env), ServiceProcess(env)
    try:
        old = keys["helmond"]
        at_one = ExchangeClient(one.base, old.current, "coord-1", "coordinator")
        at_two = ExchangeClient(two.base, old.current, "coord-1", "coordinator")
        # Both processes read and cache Helmond's current key.
        assert at_one.get("/v1/whoami").status_code == 200
        assert at_two.get("/v1/whoami").status_code == 200

        # One signed request, sent to both processes at the same moment: one case is opened.
        body = {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [SUBJECT]}
        req = sign_request(
            httpx.Request("POST", one.base + "/v1/cases", json=body), old.current, "coord-1", "coordinator"
        )
        start = threading.Barrier(2)
        answers: list[httpx.Response] = []

        def send(base: str) -> None:
            with httpx.Client(base_url=base) as http:
                copy = http.build_request("POST", "/v1/cases", content=req.content, headers=req.headers)
                start.wait()
                answers.append(http.send(copy))

        threads = [threading.Thread(target=send, args=(s.base,)) for s in (one, two)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(a.status_code for a in answers) == [201, 401], [a.text for a in answers]
        assert_problem(next(a for a in answers if a.status_code == 401), 401, "replay")

        # Helmond rotates over the API through process one; process two refuses the old key at once.
        new = old.rotate(datetime.now(UTC))
        publish_keys(ExchangeClient(one.base, publishing_key(new), "coord-1", "coordinator"), new)
        assert_problem(at_two.get("/v1/whoami"), 401, "retired")
        assert_problem(at_two.post("/v1/cases", body), 401, "retired")
        assert_problem(at_one.get("/v1/whoami"), 401, "retired")
        fresh = ExchangeClient(two.base, new.current, "coord-1", "coordinator")
        assert fresh.get("/v1/whoami").status_code == 200
    finally:
        one.stop()
        two.stop()
