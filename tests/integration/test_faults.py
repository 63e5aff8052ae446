"""Faults the service must survive: the database going away and coming back, a covenant tree that
fails to load, and the clock jumping back. Every action that must be logged answers 503 while the
log cannot be written, releases nothing, raises a metric, and resumes without a restart."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from exchange.api.app import create_app
from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.client.http import ExchangeClient
from exchange.config import Settings
from exchange.crypto.keys import PartyKeys
from exchange.policies.yamlsource import CovenantFileError
from exchange.storage.db import make_engine, session_factory
from exchange.storage.parties import register_party
from exchange.storage.schema import upgrade
from tests.conftest import CONVENANT, convenant_today
from tests.integration.api_support import DECISION, SUBJECT, Api
from tests.integration.conftest import ORIGIN, Db
from tests.integration.test_operations import samples
from tests.pgserver import PostgresServer


@pytest.fixture
def own_pg() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, so stopping it disturbs no other test."""
    server = PostgresServer()
    server.start()
    yield server
    try:
        server.stop()
    except Exception:  # already stopped by the test
        shutil.rmtree(server.root, ignore_errors=True)


def test_postgres_outage_answers_503_and_recovers_without_restart(own_pg: PostgresServer) -> None:
    url = own_pg.create_database("faults")
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    keys = PartyKeys.create("someren", now)
    with session_factory(engine).begin() as s:
        register_party(s, "someren", "Someren", [v.to_data("someren") for v in keys.public()], now)
    settings = Settings(mode="dev", database_url=url, convenant_dir=convenant_today(), log_origin=ORIGIN)
    with TestClient(create_app(settings, engine)) as http:
        client = ExchangeClient("http://testserver", keys.current, "u-1", "employee", http=http)
        assert client.post("/v1/decisions", DECISION).status_code == 200  # type: ignore[arg-type]

        own_pg.pause()
        for _ in range(3):
            r = client.post("/v1/decisions", DECISION)  # type: ignore[arg-type]
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json" and "allowed" not in r.json()
        assert http.get("/ready").status_code == 503
        assert http.get("/health").status_code == 200  # alive, not ready: no restart needed

        own_pg.resume()
        r = client.post("/v1/decisions", DECISION)  # type: ignore[arg-type]
        assert r.status_code == 200 and r.json()["allowed"] is True
        assert http.get("/ready").status_code == 200
        metrics = samples(http.get("/metrics").text)
    assert metrics["exchange_log_unavailable_total"] >= 3
    assert metrics['exchange_decisions_total{outcome="allowed"}'] == 2  # the refused ones left no trace
    engine.dispose()


def test_no_covenant_at_start_means_not_ready_and_every_decision_denied(db: Db, tmp_path: Path) -> None:
    empty = tmp_path / "convenant"
    empty.mkdir()
    now = datetime.now(UTC)
    keys = PartyKeys.create("someren", now)
    with db.sessions.begin() as s:
        register_party(s, "someren", "Someren", [v.to_data("someren") for v in keys.public()], now)
    settings = Settings(mode="dev", database_url=db.url, convenant_dir=empty, log_origin=ORIGIN)
    with TestClient(create_app(settings, db.engine)) as http:
        ready = http.get("/ready")
        assert ready.status_code == 503 and "no covenant" in ready.json()["detail"]
        client = ExchangeClient("http://testserver", keys.current, "u-1", "employee", http=http)
        r = client.post("/v1/decisions", DECISION)  # type: ignore[arg-type]
        assert r.status_code == 200 and r.json()["allowed"] is False
        assert r.json()["log_index"] >= 0  # the denial is in the log


def test_a_broken_covenant_tree_refuses_to_start(db: Db, tmp_path: Path) -> None:
    """A covenant that fails to load is an error at start, naming the file; nothing half-loaded serves."""
    tree = tmp_path / "convenant"
    shutil.copytree(CONVENANT, tree)
    target = tree / "pit" / "2021" / "flows.yaml"
    target.write_text(target.read_text() + "\n  - this: [is, not, a flow\n")
    settings = Settings(mode="dev", database_url=db.url, convenant_dir=tree, log_origin=ORIGIN)
    with pytest.raises(CovenantFileError, match=r"flows\.yaml"):
        create_app(settings, db.engine)


def test_clock_jumps_do_not_reorder_or_reject_appends(db: Db) -> None:
    """Event times going backwards (an NTP step) are stored in arrival order and verify."""
    base = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    times = [base, base - timedelta(hours=1), base + timedelta(days=400), base - timedelta(days=3), base]
    with db.sessions.begin() as s:
        indexes = [
            db.log.append(
                s, Event(t, f"tr-{i}", Action.DECISION, Actor("someren", "u-1", "employee"), Outcome.DENIED)
            ).index
            for i, t in enumerate(times)
        ]
    assert indexes == list(range(len(times)))
    with db.sessions.begin() as s:
        assert [db.log.entry(s, i).trace_id for i in indexes] == [f"tr-{i}" for i in range(len(times))]
        assert db.log.verify(s, db.signer.verifier).size == len(times)


def test_an_exception_in_the_decision_path_denies_and_is_logged(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inject a failure inside the covenant evaluation: a decision is a logged denial, a hit query
    answers nothing; never an 'allowed', never a 500."""
    import exchange.policies.engine as engine_module

    coord = api.client("helmond", "coord-1", "coordinator")
    case_id = coord.post(
        "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [SUBJECT]}
    ).json()["id"]
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"})

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(engine_module, "_decide_on", broken)
    r = api.client("someren").post("/v1/decisions", DECISION)  # type: ignore[arg-type]
    assert r.status_code == 200
    body = r.json()
    assert body["allowed"] is False and body["code"] == "internal-error"
    with api.db.sessions.begin() as s:
        entry = api.db.log.entry(s, body["log_index"])
        assert entry.outcome == "denied" and entry.reason_code == "internal-error"
    hits = coord.post(f"/v1/cases/{case_id}/hits", {})
    assert hits.status_code == 200 and hits.json() == []


def test_a_unit_that_takes_too_long_is_a_503_not_a_500(db: Db) -> None:
    """If the database does not answer in time the caller hears StorageError (503), never a result."""
    import threading

    from exchange.errors import StorageError
    from exchange.storage.unit_of_work import GroupCommitter

    release = threading.Event()
    writer = GroupCommitter(db.sessions)
    try:
        with pytest.raises(StorageError, match="did not answer in time"):
            writer.run(lambda _s: release.wait(5), timeout=0.2)
    finally:
        release.set()
        writer.close()
