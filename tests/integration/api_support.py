"""Shared helpers for the HTTP tests: parties, routes, a signed-request builder and problem checks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi.testclient import TestClient

from exchange.client.http import ExchangeClient, sign_request
from exchange.client.texts import seal_text
from exchange.crypto.keys import PartyKeys
from tests.integration.conftest import Db

NOW = datetime.now(UTC)
#: The test parties; "buitenstaander" is registered at the hub but a party to no covenant.
PARTIES = (
    "someren",
    "senzer",
    "helmond",
    "politie-oost-brabant",
    "enexis",
    "wijkteam-zonder-rol",
    "buitenstaander",
)
CASE = "/v1/cases/case-0000000000000000"
SUBJECT = "v1:KXfsiYLC-_oXZ-l23DKAUBL4dKMb-hnpXBSvJEO8CXs"
FLAG = "an-" + "0" * 32
JOIN = "join-" + "0" * 20
#: A covenant version's path: its digest.
VERSION = "/v1/covenant-versions/sha256:" + "0" * 64
#: A hash tile of the log (c2sp.org/tlog-tiles): its path names level and index.
TILE = "/v1/log/tile/0/000.p/1"
#: The one route signed with a key the hub does not know: :func:`signed` puts the signing key in its body.
JOIN_PATH = "/v1/joins"
#: Every route of the service, with a body that is valid in form: the security tests try each one.
ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/whoami", None),
    (
        "POST",
        "/v1/decisions",
        {
            "provider": "senzer",
            "category": "bijstand-status",
            "purpose": "uitkeringsfraude",
            "phase": "action",
            "covenant": "pit",
        },
    ),
    ("POST", "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [SUBJECT]}),
    ("GET", CASE, None),
    ("POST", f"{CASE}/parties", {"party": "vrbzo"}),
    ("POST", f"{CASE}/transitions", {"to": "selection"}),
    ("POST", f"{CASE}/review", {"verdict": "approved", "note_sealed": "AAAA"}),
    ("POST", "/v1/index/bijstand-status", {"add": [SUBJECT]}),
    ("POST", f"{CASE}/hits", {}),
    ("POST", f"{CASE}/enrichment-requests", {"provider": "senzer", "categories": ["bijstand-status"]}),
    ("GET", "/v1/enrichment-requests", None),
    ("GET", f"{CASE}/enrichment-requests", None),
    ("GET", f"{CASE}/recipients?category=bijstand-status", None),
    ("POST", f"{CASE}/items", {"envelope": "AAAA"}),
    ("GET", f"{CASE}/items", None),
    ("GET", f"{CASE}/text-recipients", None),
    ("GET", f"{CASE}/texts", None),
    (
        "POST",
        f"{CASE}/actions",
        {"kind": "reinspection", "owner": "helmond", "deadline": "2030-01-01T00:00:00Z"},
    ),
    ("POST", f"{CASE}/actions/act-000000000000", {"status": "done"}),
    ("GET", f"{CASE}/actions", None),
    ("POST", f"{CASE}/feedback", {"outcome": "no-action"}),
    ("GET", f"{CASE}/feedback", None),
    (
        "POST",
        f"{CASE}/findings",
        {"findings": [{"category": "uitkering-status", "code": "onrechtmatige-uitkering", "count": 1}]},
    ),
    ("GET", f"{CASE}/findings", None),
    ("POST", "/v1/console/tickets", {}),
    ("GET", "/v1/anomalies", None),
    ("POST", f"/v1/anomalies/{FLAG}/acknowledgement", {"note": "Checked with the team; expected."}),
    ("GET", "/v1/log/keys", None),
    ("GET", "/v1/log/checkpoint", None),
    ("GET", "/v1/log/proofs/inclusion?index=0", None),
    ("GET", "/v1/log/proofs/consistency?from=0&to=0", None),
    ("GET", TILE, None),
    (
        "POST",
        "/v1/log/witness",
        {"name": "someren.example/witness", "old": 0, "size": 1, "cosignature": "\u2014 x AAAA"},
    ),
    ("POST", "/v1/access-requests", {"covenant": "pit", "pseudonyms": [SUBJECT]}),
    ("GET", "/v1/keys?party=senzer", None),
    ("POST", "/v1/keys", None),
    ("POST", JOIN_PATH, {"party": "deurne", "name": "Gemeente Deurne", "covenant": "pit", "keys": []}),
    ("GET", "/v1/joins", None),
    ("POST", f"/v1/joins/{JOIN}/approval", {"approve": True}),
    (
        "POST",
        "/v1/covenant-versions",
        {"files": {"covenant.yaml": "id: pit\n"}, "digest": "sha256:" + "0" * 64},
    ),
    ("GET", "/v1/covenant-versions", None),
    ("GET", VERSION, None),
    ("POST", f"{VERSION}/approval", {}),
    ("POST", f"{VERSION}/withdrawal", {}),
    (
        "PUT",
        "/v1/covenants/pit/pseudonym-keys/1",
        {"copies": [{"party": "senzer", "kid": "x25519_" + "0" * 24, "sealed": "AAAA"}]},
    ),
    ("GET", "/v1/covenants/pit/pseudonym-keys/pending", None),
    ("GET", "/v1/covenants/pit/pseudonym-keys", None),
    ("GET", "/v1/inbox", None),
    ("GET", "/v1/forwards/recipients?to=senzer&purpose=uitkeringsfraude&covenant=pit", None),
    (
        "POST",
        "/v1/forwards",
        {"to": "senzer", "purpose": "uitkeringsfraude", "covenant": "pit", "envelope": "AAAA"},
    ),
    ("GET", "/v1/forwards/fwd-" + "0" * 32, None),
]


DECISION = ROUTES[1][2]


@dataclass
class Api:
    http: TestClient
    db: Db
    keys: dict[str, PartyKeys]

    def client(self, party: str, user: str = "u-1", role: str = "employee") -> ExchangeClient:
        return ExchangeClient("http://testserver", self.keys[party].current, user, role, http=self.http)

    def sealed(
        self, case_id: str, party: str, text: str, kind: str, user: str = "u-1", role: str = "employee"
    ) -> str:
        """``text`` sealed by ``party``'s client for the case's readers, as a request body carries it."""
        return seal_text(self.client(party, user, role), self.keys[party], case_id, kind, text)

    def log_size(self) -> int:
        with self.db.sessions.begin() as s:
            return self.db.log.size(s)


def sealed_text(
    api: Api, case_id: str, party: str, text: str, kind: str, user: str = "u-1", role: str = "employee"
) -> str:
    """``text`` sealed by ``party``'s client for the case's readers (see :meth:`Api.sealed`)."""
    return api.sealed(case_id, party, text, kind, user, role)


def signed(
    api: Api,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    party: str = "someren",
    created: datetime | None = None,
    nonce: str | None = None,
) -> httpx.Request:
    if path == JOIN_PATH and body is not None:
        # A join presents the key that signs it (proof of possession): the signer's keys go in.
        body = {**body, "keys": [v.to_data(str(body["party"])) for v in api.keys[party].public()]}
    content = json.dumps(body).encode() if body is not None else b""
    req = api.http.build_request(
        method, path, content=content, headers={"Content-Type": "application/json"} if body else {}
    )
    return sign_request(req, api.keys[party].current, "u-1", "employee", created=created, nonce=nonce)


def assert_problem(r: httpx.Response, status: int, detail: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert detail in r.json()["detail"]
