"""Signing HTTP requests as a party (RFC 9421 + RFC 9530), for httpx.

client = ExchangeClient("https://exchange.example", keys, user="u-17", role="coordinator")
client.get("/v1/whoami").json()

This is the party's own software: it shares only the wire rules with the hub (exchange.protocol),
never the hub's code. Transport failures become :class:`HubUnavailableError`, one line saying what
failed and where; with a :class:`Retry`, a 503 with ``Retry-After`` is tried again (RFC 9110
section 10.2.3), and a POST keeps one Idempotency-Key over its tries so the hub does it once.
"""

from __future__ import annotations

import functools
import json
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from http_message_signatures import HTTPMessageSigner, HTTPSignatureKeyResolver, algorithms

from exchange.crypto import sodium
from exchange.crypto.hazmat import ed25519_private_key
from exchange.crypto.keys import KeyVersion, b64
from exchange.errors import ExchangeError, InvalidInputError
from exchange.protocol import (
    CONTENT_DIGEST,
    COVERED_COMPONENTS,
    IDEMPOTENCY_HEADER,
    RETRY_AFTER_HEADER,
    ROLE_HEADER,
    SIGNATURE_TAG,
    USER_HEADER,
)


class HubUnavailableError(ExchangeError):
    """The hub could not be reached, or the connection broke off before it answered."""

    kind = "unavailable"


@dataclass(frozen=True, slots=True)
class Retry:
    """Try a request again after a 503 that says when (``Retry-After``).

    At most ``attempts`` tries in all; a wait longer than ``max_wait`` seconds is not waited for, the
    503 is returned instead. ``sleep`` is injectable for tests.
    """

    attempts: int = 4
    max_wait: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def wait_before_next(self, response: httpx.Response, attempt: int, now: datetime) -> float | None:
        """Seconds to wait before try ``attempt + 1``, or None when ``response`` is final."""
        if response.status_code != 503 or attempt >= self.attempts:
            return None
        delay = retry_after(response.headers.get(RETRY_AFTER_HEADER), now)
        if delay is None or delay > self.max_wait:
            return None
        return delay


def retry_after(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After`` value in seconds from ``now``: delay-seconds or an HTTP-date (RFC 9110
    section 10.2.3); None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


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


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's CA bundle, or SSL_CERT_FILE / SSL_CERT_DIR as set at the
    first call), made once per process: loading the CA bundle costs tens of milliseconds, which every
    client would otherwise pay again, and the node makes a client for each page that asks the hub.
    An SSLContext may be shared between connections and threads."""
    return httpx.create_ssl_context()


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
        retry: Retry | None = None,
    ) -> None:
        self.key, self.user, self.role, self.retry = key, user, role, retry
        try:
            parsed = httpx.URL(base_url)
        except httpx.InvalidURL as exc:
            raise InvalidInputError(f"the hub address '{base_url}' is not a valid URL: {exc}") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise InvalidInputError(
                f"the hub address '{base_url}' must be an http:// or https:// URL with a host, "
                "e.g. https://exchange.example"
            )
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout, verify=tls_context())

    def request(
        self,
        method: str,
        path: str,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        content = json.dumps(json_body).encode() if json_body is not None else b""
        extra = {
            **({"Content-Type": "application/json"} if json_body is not None else {}),
            **(headers or {}),
        }
        if self.retry is not None and method == "POST" and not _has(extra, IDEMPOTENCY_HEADER):
            # A retried POST must be the same action to the hub: one key for all its tries.
            extra[IDEMPOTENCY_HEADER] = f"try-{uuid.uuid4().hex}"
        attempt = 1
        while True:
            try:
                req = self.http.build_request(method, path, content=content, headers=extra)
            except httpx.InvalidURL as exc:
                raise InvalidInputError(f"'{path}' on the hub is not a valid URL: {exc}") from None
            # Signed afresh for every try: each signature has its own nonce and time.
            response = self._send(sign_request(req, self.key, self.user, self.role))
            if self.retry is None:
                return response
            wait = self.retry.wait_before_next(response, attempt, datetime.now(UTC))
            if wait is None:
                return response
            response.close()
            self.retry.sleep(wait)
            attempt += 1

    def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            return self.http.send(request)
        except httpx.TransportError as exc:
            hub = f"{request.url.scheme}://{request.url.netloc.decode('ascii', 'replace')}"
            why = _reason(exc, request.extensions.get("timeout", {}))
            if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):  # nothing was sent
                raise HubUnavailableError(f"cannot reach the hub at {hub}: {why}") from None
            maybe = "; it may have been done, check before repeating it" if request.method == "POST" else ""
            raise HubUnavailableError(f"no answer from the hub at {hub}: {why}{maybe}") from None

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str, body: Mapping[str, Any], idempotency_key: str | None = None) -> httpx.Response:
        return self.request(
            "POST", path, body, {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else None
        )

    def close(self) -> None:
        self.http.close()


def _has(headers: Mapping[str, str], name: str) -> bool:
    return any(k.lower() == name.lower() for k in headers)


def _reason(exc: httpx.TransportError, timeouts: Mapping[str, float | None]) -> str:
    """What went wrong, in a few words: the operating system's own words where there are some."""
    if isinstance(exc, httpx.TimeoutException):
        phase = "connect" if isinstance(exc, httpx.ConnectTimeout) else "read"
        limit = timeouts.get(phase)
        within = f"within {limit:g} s" if limit is not None else "in time"
        return f"no connection {within}" if phase == "connect" else f"no answer {within}"
    cause: BaseException | None = exc
    for _ in range(8):  # httpx -> httpcore -> the socket's OSError; never an endless chain
        if cause is None:
            break
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror[0].lower() + cause.strerror[1:]
        cause = cause.__cause__ or cause.__context__
    text = str(exc)
    if text.startswith("[Errno") and "] " in text:
        text = text.split("] ", 1)[1]
    return text[:1].lower() + text[1:] if text else type(exc).__name__
