"""Clients share one TLS context: the CA bundle is loaded once per process, not once per client (the
node makes a client for every page that asks the hub, and loading it cost tens of milliseconds)."""

from __future__ import annotations

from datetime import UTC, datetime

from exchange.client.http import ExchangeClient, tls_context
from exchange.crypto.keys import PartyKeys


def _context_of(client: ExchangeClient) -> object:
    # httpx keeps the context on its connection pool; there is no public accessor.
    return client.http._transport._pool._ssl_context  # type: ignore[attr-defined]  # httpx internals, read only


def test_every_client_uses_the_one_tls_context() -> None:
    """Two clients, for an https and an http hub, hold the same context object, which verifies."""
    key = PartyKeys.create("helmond", datetime(2026, 1, 1, tzinfo=UTC)).current
    a = ExchangeClient("https://exchange.example", key, "u-1", "coordinator")
    b = ExchangeClient("http://127.0.0.1:9", key, "u-2", "employee")
    try:
        assert _context_of(a) is _context_of(b) is tls_context()
        assert tls_context().check_hostname and tls_context().verify_mode.name == "CERT_REQUIRED"
    finally:
        a.close()
        b.close()
