"""Signing HTTP requests as a party (RFC 9421 + RFC 9530), for httpx.

client = ExchangeClient("https://exchange.example", keys, user="u-17", role="coordinator")
client.get("/v1/whoami").json()

This is the party's own software: it shares only the wire rules with the hub (exchange.protocol),
never the hub's code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from http_message_signatures import HTTPMessageSigner, HTTPSignatureKeyResolver, algorithms

from exchange.crypto import sodium
from exchange.crypto.hazmat import ed25519_private_key
from exchange.crypto.keys import KeyVersion, b64
from exchange.errors import InvalidInputError
from exchange.protocol import CONTENT_DIGEST, COVERED_COMPONENTS, ROLE_HEADER, SIGNATURE_TAG, USER_HEADER


class _OwnKey(HTTPSignatureKeyResolver):
    def __init__(self, kid: str, secret: bytes) -> None:
        self.kid, self.secret = kid, secret

    def resolve_private_key(self, key_id: str) -> Any:
        if key_id != self.kid:  # pragma: no cover - we only ever sign with our own key
            raise InvalidInputError("unknown signing key")
        return ed25519_private_key(self.secret)

    def resolve_public_key(self, key_id: str) -> Any:  # pragma: no cover - clients do not verify requests
        raise InvalidInputError("not available")


def sign_request(
    request: httpx.Request,
    key: KeyVersion,
    user: str,
    role: str,
    created: datetime | None = None,
    nonce: str | None = None,
) -> httpx.Request:
    """Add Exchange-User/-Role, Content-Digest and an exchange-v1 signature to ``request``."""
    if key.sign_secret is None:
        raise InvalidInputError("the signing key has been destroyed")
    body = request.read()
    request.headers[USER_HEADER] = user
    request.headers[ROLE_HEADER] = role
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=_OwnKey(key.sign_kid, key.sign_secret)
    )
    # With body=..., the library adds the RFC 9530 Content-Digest and covers it.
    signer.sign(
        request,
        key_id=key.sign_kid,
        covered_component_ids=tuple(c for c in COVERED_COMPONENTS if c != CONTENT_DIGEST),
        tag=SIGNATURE_TAG,
        created=created or datetime.now(UTC),
        nonce=nonce or b64(sodium.random_bytes(18)),
        body=body,
    )
    return request


class ExchangeClient:
    """An httpx client whose every request is signed with this party's current key."""

    def __init__(
        self,
        base_url: str,
        key: KeyVersion,
        user: str,
        role: str,
        http: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.key, self.user, self.role = key, user, role
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        content = json.dumps(json_body).encode() if json_body is not None else b""
        req = self.http.build_request(
            method,
            path,
            content=content,
            headers={
                **({"Content-Type": "application/json"} if json_body is not None else {}),
                **(headers or {}),
            },
        )
        return self.http.send(sign_request(req, self.key, self.user, self.role))

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str, body: Mapping[str, Any], idempotency_key: str | None = None) -> httpx.Response:
        return self.request(
            "POST", path, body, {"Idempotency-Key": idempotency_key} if idempotency_key else None
        )

    def close(self) -> None:
        self.http.close()
