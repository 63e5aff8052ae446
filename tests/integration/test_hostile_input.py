"""Hostile input over HTTP: other parties' ids, matcher-injection strings, deep nesting, broken
encodings and control characters. Each gets a clear 4xx (or a denial), never a 500, and nothing a
refused request carries ends up allowed or in a log line of its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from exchange.api.app import MAX_BODY
from exchange.client.http import sign_request
from tests.integration.api_support import CASE, DECISION, ROUTES, SUBJECT, Api, assert_problem

A = "v1:" + "A" * 43

#: Strings that would change the meaning of a Casbin matcher, a SQL query or a Python expression if
#: they were ever pasted into one instead of passed as data.
INJECTIONS = [
    "senzer' || true || '",
    'senzer" || r.sub == "x',
    "x or True",
    "1==1",
    "eval('1')",
    "__import__('os')",
    "__class__",
    "senzer; DROP TABLE log_entries; --",
    "' OR '1'='1",
    "keyMatch(r.obj, '*')",
    "*",
    "senzer\nAction: allow",
    "../../etc/passwd",
    "${jndi:ldap://x}",
    "senzer\x00",
    "ſenzer",  # a look-alike long s
]


def open_case(api: Api) -> str:
    coord = api.client("helmond", "coord-1", "coordinator")
    r = coord.post("/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [A]})
    assert r.status_code == 201, r.text
    case_id = str(r.json()["id"])
    assert coord.post(f"{'/v1/cases/'}{case_id}/transitions", {"to": "selection"}).status_code == 200
    return case_id


@pytest.mark.parametrize(("method", "path", "body"), [r for r in ROUTES if CASE in r[1]])
def test_another_partys_case_answers_like_a_missing_one(
    api: Api, method: str, path: str, body: dict[str, Any] | None
) -> None:
    """For every route that takes a case id: a real case the caller takes no part in, and an id that
    does not exist, give the same status and the same problem document (ids aside)."""
    real = open_case(api)
    missing = "case-" + "f" * 16
    outsider = api.client("someren", "u-9", "coordinator")
    answers = []
    for case_id in (real, missing):
        r = outsider.request(method, path.replace(CASE.rsplit("/", 1)[1], case_id), body)
        answers.append((r.status_code, r.text.replace(case_id, "<id>")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404


@pytest.mark.parametrize("field", ["provider", "category", "purpose", "phase", "covenant", "case"])
def test_injection_strings_in_decisions_are_data(api: Api, field: str) -> None:
    """Every field of a decision request: refused as input, or decided as data and denied."""
    client = api.client("someren")
    for value in INJECTIONS:
        r = client.post("/v1/decisions", {**DECISION, field: value})  # type: ignore[dict-item]
        assert r.status_code in (200, 400), (value, r.status_code, r.text)
        if r.status_code == 200:
            assert r.json()["allowed"] is False, value


def test_injection_strings_in_cases_and_indexes_are_data(api: Api) -> None:
    coord = api.client("helmond", "coord-1", "coordinator")
    case_id = open_case(api)
    for value in INJECTIONS:
        for r in (
            coord.post(
                "/v1/cases", {"covenant": value, "purpose": "onrechtmatige-bewoning", "subjects": [A]}
            ),
            coord.post("/v1/cases", {"covenant": "pit", "purpose": value, "subjects": [A]}),
            coord.post(
                "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [value]}
            ),
            coord.post(f"/v1/cases/{case_id}/parties", {"party": value}),
            coord.post(f"/v1/cases/{case_id}/transitions", {"to": value}),
            api.client("senzer").post("/v1/index/bijstand-status", {"add": [value]}),
            coord.post(
                f"/v1/cases/{case_id}/enrichment-requests", {"provider": value, "categories": [value]}
            ),
        ):
            assert 400 <= r.status_code < 500, (value, r.request.url, r.status_code, r.text)
    # Nothing above changed the case.
    case = coord.get(f"/v1/cases/{case_id}").json()
    assert case["parties"] == ["helmond"] and case["phase"] == "selection" and case["subjects"] == [A]


def _signed_raw(api: Api, path: str, content: bytes, **headers: str) -> Any:
    req = api.http.build_request(
        "POST", path, content=content, headers={"Content-Type": "application/json", **headers}
    )
    return api.http.send(sign_request(req, api.keys["someren"].current, "u-1", "employee"))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"[" * 100_000 + b"]" * 100_000, 400),  # deep nesting: a parser's recursion limit
        (b'{"provider": "' + b"\xff\xfe" + b'"}', 400),  # not UTF-8
        (b"\xef\xbb\xbf" + json.dumps(DECISION).encode(), 400),  # a byte-order mark
        (json.dumps(DECISION).encode("utf-16"), 400),
        (b'{"provider": "senzer", "provider": "uwv"}', 400),  # duplicate key, incomplete
        (b"null", 400),
        (b"", 400),
        (json.dumps({**(DECISION or {}), "x": {"y": [1] * 10_000}}).encode(), 400),  # unknown member
    ],
)
def test_malformed_bodies_are_refused_clearly(api: Api, content: bytes, expected: int) -> None:
    r = _signed_raw(api, "/v1/decisions", content)
    assert r.status_code == expected, r.text[:300]
    assert r.headers["content-type"] == "application/problem+json"


def test_control_characters_in_signed_headers_are_refused(api: Api) -> None:
    """User and role reach the log; a newline or control character in them is refused before that."""
    size = api.log_size()
    for user in ("u 1", "u;1", "u,1", "-u", "u" * 200):
        req = api.http.build_request("GET", "/v1/whoami")
        r = api.http.send(sign_request(req, api.keys["someren"].current, user, "employee"))
        assert r.status_code == 401 and "identifiers" in r.json()["detail"], (user, r.status_code)
    for user in ("u\nx", "u\rx", "u\x1b[31m", "u\x00"):  # control characters cannot even be signed
        with pytest.raises(HTTPMessageSignaturesException):
            sign_request(api.http.build_request("GET", "/v1/whoami"), api.keys["someren"].current, user, "e")
    assert api.log_size() == size


def test_subject_pseudonyms_must_be_pseudonyms(api: Api) -> None:
    """A plain address, a BSN or a pseudonym with non-ASCII characters never enters the hub."""
    coord = api.client("helmond", "coord-1", "coordinator")
    for subject in ("5701 AB 12a", "111222333", "v1:" + "é" * 43, SUBJECT + " ", SUBJECT.upper() + "x"):
        r = coord.post(
            "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [subject]}
        )
        assert r.status_code == 400, (subject, r.text)


def test_an_action_of_another_case_answers_like_a_missing_one(api: Api) -> None:
    """The owner of an action point in case A names it under case B, where it also takes part: the
    same 404 as for an action that does not exist."""
    from datetime import UTC, datetime, timedelta

    from tests.integration.test_enrichment_api import POLICE
    from tests.integration.test_followup_api import case_with_item

    coord = api.client("helmond", "coord-1", "coordinator")
    cases = [case_with_item(api) for _ in range(2)]
    deadline = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    for case_id in cases:
        coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"})
    made = coord.post(
        f"/v1/cases/{cases[0]}/actions", {"kind": "reinspection", "owner": POLICE, "deadline": deadline}
    )
    action_id = made.json()["id"]
    police = api.client(POLICE)
    other = police.post(f"/v1/cases/{cases[1]}/actions/{action_id}", {"status": "done"})
    missing = police.post(f"/v1/cases/{cases[1]}/actions/act-000000000000", {"status": "done"})
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"].replace(action_id, "<id>") == missing.json()["detail"].replace(
        "act-000000000000", "<id>"
    )
    assert police.post(f"/v1/cases/{cases[0]}/actions/{action_id}", {"status": "done"}).status_code == 200


def _nul_requests(case_id: str) -> list[tuple[str, str, str, str, dict[str, Any] | None, str]]:
    """(party, role, method, path, body, what the refusal names): a NUL in every kind of text the hub
    stores or logs, in a body field, a list item, a member name, a path segment and a query."""
    case = f"/v1/cases/{case_id}"
    nul = "\u0000"
    return [
        (
            "helmond",
            "coordinator",
            "POST",
            f"{case}/transitions",
            {"to": "preparation", "reason": f"Three signals{nul} of overcrowding."},
            "reason",
        ),
        ("helmond", "jurist", "POST", f"{case}/review", {"verdict": "approved", "note": f"ok{nul}"}, "note"),
        (
            "helmond",
            "coordinator",
            "POST",
            "/v1/cases",
            {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [A + nul]},
            "subjects[0]",
        ),
        (
            "senzer",
            "employee",
            "POST",
            "/v1/index/bijstand-status",
            {"add": [A], "remove": [nul]},
            "remove[0]",
        ),
        (
            "helmond",
            "coordinator",
            "POST",
            f"{case}/enrichment-requests",
            {"provider": "senzer", "categories": [f"bijstand{nul}"]},
            "categories[0]",
        ),
        (
            "helmond",
            "coordinator",
            "POST",
            f"{case}/actions/act-000000000000",
            {"status": "done", "reason": nul},
            "reason",
        ),
        (
            "helmond",
            "coordinator",
            "POST",
            f"{case}/transitions",
            {"to": "preparation", f"reason{nul}": "x"},
            "reason",
        ),
        ("helmond", "coordinator", "GET", f"/v1/cases/case-{'0' * 15}%00", None, "path"),
        ("helmond", "coordinator", "GET", f"{case}/recipients?category=bijstand-status%00", None, "query"),
    ]


def test_nul_characters_are_refused_before_anything_is_written(api: Api) -> None:
    """PostgreSQL cannot store U+0000 in text; a NUL anywhere in a request is refused as input (400,
    naming where it was) on both databases, so it can neither change anything nor be mistaken for a
    log outage (the metric that pages the operator stays where it was)."""
    from tests.integration.test_operations import scrape

    case_id = open_case(api)
    outage = scrape(api).get("exchange_log_unavailable_total", 0)
    size = api.log_size()
    for party, role, method, path, body, where in _nul_requests(case_id):
        r = api.client(party, "u-1", role).request(method, path, body)
        assert r.status_code == 400, (path, body, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert "U+0000" in r.json()["detail"] and where in r.json()["detail"], r.json()
    assert scrape(api).get("exchange_log_unavailable_total", 0) == outage
    assert api.log_size() == size
    case = api.client("helmond", "coord-1", "coordinator").get(f"/v1/cases/{case_id}").json()
    assert case["phase"] == "selection" and case["selection_reason"] is None


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


def test_a_chunked_body_over_the_limit_is_413(api: Api) -> None:
    """Without a Content-Length the limit is counted while the body streams in: over 2 MiB is the
    same 413 problem as a declared length over it (not a parse error), before authentication."""
    r = api.http.post(
        "/v1/decisions", content=_chunks(MAX_BODY + 1), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in r.request.headers
    assert_problem(r, 413, f"exceeds {MAX_BODY} bytes")
    assert r.json()["type"].endswith("/payload-too-large")


def test_a_chunked_body_within_the_limit_reaches_the_route(api: Api) -> None:
    """A signed body sent in chunks, without a Content-Length, is read whole and decided."""
    body = json.dumps(DECISION).encode()
    req = api.http.build_request(
        "POST",
        "/v1/decisions",
        content=iter([body[:10], body[10:]]),
        headers={"Content-Type": "application/json"},
    )
    req = sign_request(req, api.keys["someren"].current, "u-1", "employee")
    r = api.http.send(req)
    assert r.status_code == 200 and r.json()["allowed"] is True, r.text


@pytest.mark.parametrize(("method", "path", "body"), [r for r in ROUTES if r[0] == "POST"])
def test_an_unsigned_request_is_401_whatever_its_body(
    api: Api, method: str, path: str, body: dict[str, Any] | None
) -> None:
    """Authentication comes before the body is parsed: an unsigned request learns nothing about what
    the route would make of its body, malformed JSON included."""
    for content in (b"{not json", b'{"a": 1', b"\xff\xfe", b"[" * 10_000):
        r = api.http.request(method, path, content=content, headers={"Content-Type": "application/json"})
        assert_problem(r, 401, "not signed")
