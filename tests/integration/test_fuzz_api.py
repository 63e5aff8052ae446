"""Fuzz the API from its own OpenAPI document (schemathesis): every operation gets generated
requests, signed like a real party's, and must answer with a status its documentation lists and
never a 5xx. SQLite only: it is about input handling, not the database."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import status_code_conformance

from exchange.api.app import create_app
from exchange.client.http import sign_request
from exchange.config import Settings
from exchange.crypto.keys import PartyKeys
from exchange.storage.db import make_engine, session_factory
from exchange.storage.parties import register_party
from exchange.storage.schema import upgrade
from tests.conftest import convenant_today
from tests.integration.api_support import NOW, PARTIES
from tests.integration.conftest import ORIGIN

KEYS = {p: PartyKeys.create(p, NOW) for p in PARTIES}


def _app() -> FastAPI:
    """Built at import (schemathesis parametrizes from it at collection), on its own SQLite file."""
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='exchange-fuzz-')) / 'exchange.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_factory(engine).begin() as s:
        for p, k in KEYS.items():
            register_party(s, p, p.title(), [v.to_data(p) for v in k.public()], NOW)
    return create_app(
        Settings(mode="dev", database_url=url, convenant_dir=convenant_today(), log_origin=ORIGIN), engine
    )


APP = _app()
HTTP = TestClient(
    APP, raise_server_exceptions=False
)  # not as a context manager: the writer stays open for the whole module
schema = schemathesis.openapi.from_dict(APP.openapi())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_5xx_and_only_documented_statuses(case: schemathesis.Case[Any]) -> None:
    kwargs = case.as_transport_kwargs()
    headers = {
        k: v for k, v in kwargs["headers"].items() if k.lower() not in ("connection", "content-length")
    }
    if "json" in kwargs:
        content = json.dumps(kwargs["json"]).encode()
    else:
        raw = kwargs.get("content", kwargs.get("data", b""))
        content = raw.encode() if isinstance(raw, str) else bytes(raw or b"")
    try:
        request = HTTP.build_request(
            kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=headers, content=content
        )
        signed = sign_request(request, KEYS["someren"].current, "fuzz-user", "coordinator")
    except (UnicodeEncodeError, ValueError, HTTPMessageSignaturesException):
        return  # a header value no HTTP client can send (non-ASCII, control characters)
    response = HTTP.send(signed)
    case.validate_response(Response.from_any(response), checks=[not_a_server_error, status_code_conformance])
