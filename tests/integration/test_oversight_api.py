"""Anomaly flags for a party's privacy officers over HTTP: counted per request, acknowledged with a
note that stays out of the log, and kept within the party."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from exchange.api.app import create_app
from exchange.client.http import ExchangeClient
from exchange.config import Settings
from exchange.storage.models import AnomalyAcknowledgement, LogEntry
from tests.conftest import convenant_today
from tests.integration.api_support import Api, assert_problem
from tests.integration.conftest import ORIGIN
from tests.integration.test_other_covenants_api import join

SUBJECT = "v1:" + "B" * 43


def kit_queries(api: Api, times: int, user: str = "coord-1") -> str:
    """Open a KIT case at Veldhoven and ask hit/no-hit ``times`` times (78 answers each)."""
    if "veldhoven" not in api.keys:
        join(api, "veldhoven")
    coord = api.client("veldhoven", user, "coordinator")
    r = coord.post("/v1/cases", {"covenant": "kit", "purpose": "uitkeringsfraude", "subjects": [SUBJECT]})
    cid = str(r.json()["id"])
    assert coord.post(f"/v1/cases/{cid}/transitions", {"to": "selection"}).status_code == 200
    for _ in range(times):
        answers = coord.post(f"/v1/cases/{cid}/hits", {})
        assert answers.status_code == 200 and len(answers.json()) == 78, answers.text
    return cid


def officer(api: Api, party: str = "veldhoven", role: str = "privacy-officer") -> ExchangeClient:
    return api.client(party, "po-1", role)


@pytest.fixture
def strict(api: Api) -> Iterator[Api]:
    """The same database served with EXCHANGE_ANOMALY_BURST_REQUESTS=1."""
    settings = Settings(
        mode="dev",
        database_url=api.db.url,
        convenant_dir=convenant_today(),
        log_origin=ORIGIN,
        anomaly_burst_requests=1,
    )
    with TestClient(create_app(settings, api.db.engine)) as http:
        yield Api(http, api.db, api.keys)


def test_two_ordinary_kit_queries_raise_no_burst(api: Api) -> None:
    """Two hit/no-hit queries log 156 events under two trace ids: two requests, no burst."""
    kit_queries(api, 2)
    r = officer(api).get("/v1/anomalies")
    assert r.status_code == 200, r.text
    assert r.json() == []


def test_a_real_burst_is_flagged(api: Api) -> None:
    """More than 50 hit/no-hit queries by one user within ten minutes are one burst flag."""
    kit_queries(api, 51)
    (flag,) = officer(api).get("/v1/anomalies").json()
    assert (flag["kind"], flag["party"], flag["user"]) == ("burst", "veldhoven", "coord-1")
    assert (flag["requests"], flag["subjects"], flag["events"]) == (51, 1, 51 * 78)
    assert flag["acknowledged"] is None


def test_the_threshold_is_a_setting(strict: Api) -> None:
    """With EXCHANGE_ANOMALY_BURST_REQUESTS=1 the same two queries are a burst."""
    kit_queries(strict, 2)
    (flag,) = officer(strict).get("/v1/anomalies").json()
    assert (flag["kind"], flag["requests"]) == ("burst", 2)


def test_acknowledge_a_flag(strict: Api) -> None:
    """An officer acknowledges the party's flag with a note: shown apart with who and when, logged
    with the flag id and a reason code but without the note, and only once."""
    api = strict
    kit_queries(api, 2)
    po = officer(api)
    (flag,) = po.get("/v1/anomalies").json()
    note = "Checked with the team lead: the case table asked twice.\nNo further action."
    r = po.post(f"/v1/anomalies/{flag['id']}/acknowledgement", {"note": note})
    assert r.status_code == 201, r.text
    ack = r.json()["acknowledged"]
    assert (ack["user"], ack["note"]) == ("po-1", note)
    (listed,) = po.get("/v1/anomalies").json()
    assert listed["id"] == flag["id"] and listed["acknowledged"] == ack
    with api.db.sessions.begin() as s:
        entry = s.get(LogEntry, ack["log_index"])
        assert entry is not None
        event = json.loads(entry.event)
        row = s.get(AnomalyAcknowledgement, flag["id"])
        assert row is not None and row.note == note
    assert (event["action"], event["reasonCode"], event["reason"]) == (
        "log-view",
        "anomaly-acknowledged",
        None,
    )
    assert event["details"] == {"view": "anomaly-acknowledgement", "flag": flag["id"], "kind": "burst"}
    assert event["actor"] == {"party": "veldhoven", "user": "po-1", "role": "privacy-officer"}
    assert "team lead" not in entry.event.decode()
    again = po.post(f"/v1/anomalies/{flag['id']}/acknowledgement", {"note": "Once more."})
    assert_problem(again, 409, "acknowledged already, by po-1")


def test_viewing_flags_is_logged(api: Api) -> None:
    """Seeing the flags is a log view, with the number of flags shown."""
    assert officer(api, "someren").get("/v1/anomalies").json() == []
    with api.db.sessions.begin() as s:
        last = s.get(LogEntry, api.log_size() - 1)
        assert last is not None
        event = json.loads(last.event)
    assert (event["action"], event["details"]) == ("log-view", {"view": "anomalies", "rows": 0})


def test_another_partys_flag_answers_like_an_unknown_one(strict: Api) -> None:
    """Someren's officer neither sees Veldhoven's flag nor can acknowledge it: 404, as for an id
    that does not exist."""
    api = strict
    kit_queries(api, 2)
    (flag,) = officer(api).get("/v1/anomalies").json()
    other = officer(api, "someren")
    assert other.get("/v1/anomalies").json() == []
    answers = []
    for flag_id in (flag["id"], "an-" + "0" * 32):
        r = other.post(f"/v1/anomalies/{flag_id}/acknowledgement", {"note": "Not ours."})
        answers.append((r.status_code, r.text.replace(flag_id, "<id>")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404
    assert_problem(other.post("/v1/anomalies/case-1/acknowledgement", {"note": "x"}), 400, "flag id")


@pytest.mark.parametrize("role", ["coordinator", "employee", "jurist"])
def test_only_privacy_officers(strict: Api, role: str) -> None:
    """Other roles of the party get 403 for the list and the acknowledgement."""
    kit_queries(strict, 2)
    (flag,) = officer(strict).get("/v1/anomalies").json()
    someone = officer(strict, role=role)
    assert_problem(someone.get("/v1/anomalies"), 403, "privacy-officer")
    r = someone.post(f"/v1/anomalies/{flag['id']}/acknowledgement", {"note": "Looked at it."})
    assert_problem(r, 403, "privacy-officer")


@pytest.mark.parametrize(
    ("note", "detail"),
    [
        ("Checked\x00", "U+0000"),
        ("Checked \u202e reversed", "U+202E"),
        ("x" * 1001, "at most 1000"),
        ("   \n ", "needs a note"),
        ("", "note"),
    ],
)
def test_bad_notes_are_refused(strict: Api, note: str, detail: str) -> None:
    """A note with a NUL or another control character, longer than 1000 characters or empty is a 400,
    and nothing is acknowledged."""
    kit_queries(strict, 2)
    po = officer(strict)
    (flag,) = po.get("/v1/anomalies").json()
    assert_problem(po.post(f"/v1/anomalies/{flag['id']}/acknowledgement", {"note": note}), 400, detail)
    assert po.get("/v1/anomalies").json()[0]["acknowledged"] is None


def test_the_console_shows_acknowledged_flags_apart(strict: Api) -> None:
    """The officer's Signalen page lists open flags, and acknowledged ones apart with who and the note."""
    from tests.integration.plain_html import plain
    from tests.integration.test_console import signed_in

    api = strict
    kit_queries(api, 2)
    kit_queries(api, 2, user="coord-2")
    po = officer(api)
    first, second = po.get("/v1/anomalies").json()
    po.post(f"/v1/anomalies/{first['id']}/acknowledgement", {"note": "Expected <b>twice</b>."})
    page = signed_in(api, "veldhoven").get("/console/anomalies")
    assert page.status_code == 200
    open_part, done_part = plain(page.text).split("<h2>Afgehandeld</h2>")
    assert second["id"] in open_part and first["id"] not in open_part
    assert "po-1" in done_part and "Expected &lt;b&gt;twice&lt;/b&gt;." in done_part


def test_a_second_acknowledgement_racing_the_first_is_a_conflict(api: Api) -> None:
    """Two officers who both found the flag unacknowledged: the second insert is a 409, not an error."""
    from exchange.errors import ConflictError
    from exchange.storage.acknowledgements import AcknowledgementRepository

    flag = "an-" + "1" * 32
    with api.db.sessions.begin() as s:
        AcknowledgementRepository(s).add(flag, "veldhoven", "po-1", "First.", datetime.now(UTC), 0)
    with pytest.raises(ConflictError, match="acknowledged already"), api.db.sessions.begin() as s:
        AcknowledgementRepository(s).add(flag, "veldhoven", "po-2", "Second.", datetime.now(UTC), 1)
