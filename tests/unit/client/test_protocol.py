"""The client and the hub share the wire rules through exchange.protocol, and the client loads none
of the hub's code."""

from __future__ import annotations

import subprocess
import sys

from exchange import protocol
from exchange.api import auth

SERVER_SIDE = (
    "sqlalchemy",
    "fastapi",
    "uvicorn",
    "starlette",
    "exchange.api",
    "exchange.storage",
    "exchange.cases",
)


def test_the_client_loads_nothing_of_the_hub() -> None:
    """Importing the client (signing, dossiers) pulls in no database, web framework or hub module."""
    code = (
        "import sys, exchange.client.http, exchange.client.dossier_html, exchange.client.dossier_pdf\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {SERVER_SIDE!r} or m.startswith({SERVER_SIDE!r})))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_the_hub_checks_what_the_client_sends() -> None:
    """The hub verifies the very profile the client signs with, and accepts the keys it sends."""
    assert auth.TAG == protocol.SIGNATURE_TAG == "exchange-v1"
    assert auth.REQUIRED == protocol.COVERED_COMPONENTS
    assert set(protocol.COVERED_COMPONENTS) >= {"content-digest", "exchange-user", "exchange-role"}
