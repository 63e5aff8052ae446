"""The security matrix's access columns, against a real case on SQLite: every route tried by a
registered party outside the covenant or the case (wrong party) and by a party in a role it may not
use there (wrong role). Each is refused with the status and code :data:`ACCESS` names, or the row
says why the route is open; and every route refuses a party in no covenant, and a party asserting a
role no covenant lets it hold, before it does anything."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.integration.access_matrix import ACCESS, POLICE, Refused
from tests.integration.api_support import CASE, JOIN_PATH, ROUTES, TILE, Api
from tests.integration.conftest import Db, _make_db
from tests.integration.test_enrichment_api import prepared_case

ROWS = [(m, p, b) for m, p, b in ROUTES]
#: Open to every registered party in any role, by design: whoami echoes the caller; the log's routes
#: serve hashes and signed checkpoints (the inclusion proof only of the caller's own events).
OPEN = {
    ("GET", "/v1/whoami"),
    ("GET", "/v1/log/keys"),
    ("GET", "/v1/log/checkpoint"),
    ("GET", "/v1/log/proofs/consistency?from=0&to=0"),
    ("GET", "/v1/log/proofs/inclusion?index=0"),
    ("POST", "/v1/log/witness"),
    ("GET", TILE),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, str, str]]:
    """One service and one real case (in action, with an action point for the police) for the
    whole matrix: the rows only read or are refused, so they share it."""
    from tests.integration import conftest

    path = tmp_path_factory.mktemp("access") / "exchange.db"
    db: Db = _make_db(f"sqlite:///{path}")
    fixture = conftest.api.__wrapped__  # type: ignore[attr-defined]  # the plain generator
    gen = fixture(db)
    api = next(gen)
    case_id = prepared_case(api, ask_police=True)
    coord = api.client("helmond", "coord-1", "coordinator")
    assert coord.post(
        f"{CASE.replace('case-0000000000000000', case_id)}/transitions", {"to": "action"}
    ).is_success
    deadline = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    r = coord.post(
        f"/v1/cases/{case_id}/actions", {"kind": "reinspection", "owner": POLICE, "deadline": deadline}
    )
    assert r.status_code == 201, r.text
    yield api, case_id, str(r.json()["id"])
    gen.close()
    db.engine.dispose()


def _call(
    api: Api, case: str, action: str, caller: tuple[str, str], row: tuple[str, str, object]
) -> httpx.Response:
    method, path, body = row
    real = path.replace("case-0000000000000000", case).replace("act-000000000000", action)
    # A user of its own per row and caller: refusals are logged at most 30 a minute per user.
    user = "u-" + hashlib.sha256(repr((caller, method, path)).encode()).hexdigest()[:12]
    client = api.client(caller[0], user, caller[1])
    if method == "GET":
        return client.get(real)
    return client.request(method, real, body or {})  # type: ignore[arg-type]


def _code(r: httpx.Response) -> str:
    return str(r.json().get("code"))


def test_every_route_has_access_columns() -> None:
    assert {(m, p) for m, p, _ in ROUTES} == set(ACCESS)


@pytest.mark.parametrize("row", ROWS, ids=[f"{m} {p}" for m, p, _ in ROWS])
@pytest.mark.parametrize("column", [0, 1], ids=["wrong-party", "wrong-role"])
def test_wrong_party_and_wrong_role(
    world: tuple[Api, str, str], row: tuple[str, str, object], column: int
) -> None:
    api, case, action = world
    expected = ACCESS[(row[0], row[1])][column]
    if isinstance(expected, str):
        assert expected.strip(), "an open route says why"
        return
    assert isinstance(expected, Refused)
    if expected.body is not None:
        row = (row[0], row[1], expected.body)
    r = _call(api, case, action, (expected.party, expected.role), row)
    assert r.status_code == expected.status, r.text
    assert _code(r) == expected.code, r.text
    if expected.status >= 400:
        assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("row", ROWS, ids=[f"{m} {p}" for m, p, _ in ROWS])
@pytest.mark.parametrize(
    "caller",
    [("buitenstaander", "employee"), (POLICE, "coordinator")],
    ids=["party-in-no-covenant", "role-not-held"],
)
def test_no_covenant_no_role_nothing_done(
    world: tuple[Api, str, str], row: tuple[str, str, object], caller: tuple[str, str]
) -> None:
    """A registered party that is in no covenant, and a party asserting a role no covenant lets it
    hold, are refused on every route before anything is read or written (whoami only echoes; a
    decision answers 'denied' with the reason)."""
    api, case, action = world
    before = api.log_size()
    r = _call(api, case, action, caller, row)
    if (row[0], row[1]) in OPEN:
        # Answered on its merits (no checkpoint yet, not the caller's event, a bad cosignature),
        # never refused for the role.
        assert r.status_code != 403 or _code(r) != "role-not-held", r.text
        return
    if (row[0], row[1]) == ("POST", JOIN_PATH):
        # Signed by the key its body presents, never by a registered party's: a registered key
        # without a presented one is not a join (test_joins_api.py tries the rest).
        assert r.status_code == 401, r.text
        return
    if row[1] == "/v1/decisions":
        assert r.status_code == 200 and r.json()["allowed"] is False
        assert _code(r) in {"unknown-party", "role-not-held"}, r.text
        return
    assert r.status_code == 403, r.text
    assert _code(r) == "role-not-held", r.text
    # Nothing but the refusal itself reached the log.
    assert api.log_size() == before + 1
