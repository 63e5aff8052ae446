"""The node's OpenID Connect client, on Authlib: the only module that imports it (ADR 0020).

Authorisation code flow (OpenID Connect Core 1.0, section 3.1) with PKCE (RFC 7636, S256), a random
``state`` and ``nonce`` per sign-in, and the provider's metadata from its discovery document (OpenID
Connect Discovery 1.0), whose ``issuer`` must equal the configured one (section 4.3). The ID token's
signature is checked against the provider's JWKS and its ``iss``, ``aud``, ``exp``, ``iat`` and
``nonce`` by Authlib's ``OpenIDMixin.parse_id_token``; an ``iss`` in the authorisation response
(RFC 9207) must name the same issuer. Everything that goes wrong is one :class:`OidcRefused` with a
reason the caller audits and shows; third-party exceptions stop here.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import BaseApp, FrameworkIntegration, OAuth2Mixin, OpenIDMixin
from joserfc.errors import JoseError

from exchange.errors import VerificationError

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 package and, finding only httpx (which it still supports and the
    # whole project uses), warns at import under a filter of its own that shows it always.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated", category=DeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client

#: Reasons for a refusal, as the audit trail and the refusal page name them.
STATE, TOKEN, PROVIDER, UNREACHABLE = "state", "token", "provider", "unreachable"
#: The provider sent the browser back with an error (it refused, or the user cancelled there).
DENIED = "denied"


def _http_errors(name: str) -> tuple[type[Exception], ...]:
    """``name`` (TransportError, HTTPError) of HTTPX and, where it is installed, of httpx2, which
    Authlib's HTTPX client then uses instead."""
    found: list[type[Exception]] = [getattr(httpx, name)]
    if importlib.util.find_spec("httpx2") is not None:
        found.append(getattr(importlib.import_module("httpx2"), name))
    return tuple(found)


#: No connection to the provider (refused, timed out), and every other HTTP failure.
TRANSPORT, HTTP = _http_errors("TransportError"), _http_errors("HTTPError")
#: What a bad discovery document, a failed token request and an ID token that does not verify raise.
BAD_DOCUMENT: tuple[type[Exception], ...] = (*HTTP, ValueError)
BAD_TOKEN_RESPONSE: tuple[type[Exception], ...] = (AuthlibBaseError, *HTTP, ValueError, KeyError)
BAD_ID_TOKEN: tuple[type[Exception], ...] = (JoseError, *BAD_TOKEN_RESPONSE, RuntimeError)


class OidcRefused(VerificationError):
    """A sign-in through the provider that did not happen; ``reason`` is one of the names above."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"sign-in through the OpenID provider refused ({reason}): {detail}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Begun:
    """Where to send the browser, and what the node keeps until the provider sends it back."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the provider says signed in: its issuer and subject id, a display name, the groups."""

    issuer: str
    subject: str
    name: str
    groups: tuple[str, ...]


class _Integration(FrameworkIntegration):  # type: ignore[misc]  # Authlib has no type hints
    """The node keeps the per-sign-in data itself (:mod:`exchange.node.oidc_flows`) and keeps no
    access or refresh token, so this framework glue has nothing to store."""

    def update_token(self, token: Any, refresh_token: Any = None, access_token: Any = None) -> None:
        return None


class _App(OAuth2Mixin, OpenIDMixin, BaseApp):  # type: ignore[misc]  # Authlib has no type hints
    """Authlib's synchronous OpenID client, as its Flask and Django integrations compose it, on HTTPX."""

    client_cls = OAuth2Client


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    issuer: str
    client_id: str
    client_secret: str | None
    redirect_uri: str
    scopes: str
    groups_claim: str
    leeway_seconds: int
    timeout_seconds: float


class OpenIdClient:
    """One provider, as the node's settings configure it."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self._app = _App(
            _Integration("node"),
            name="node",
            client_id=config.client_id,
            client_secret=config.client_secret,
            server_metadata_url=config.issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={
                "scope": config.scopes,
                "code_challenge_method": "S256",
                "timeout": config.timeout_seconds,
                "token_endpoint_auth_method": "client_secret_basic" if config.client_secret else "none",
            },
        )

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once), checked to name the configured issuer."""
        try:
            meta: dict[str, Any] = self._app.load_server_metadata()
        except TRANSPORT:
            raise OidcRefused(UNREACHABLE, "the provider's discovery document cannot be fetched") from None
        except BAD_DOCUMENT as exc:
            raise OidcRefused(PROVIDER, f"no valid discovery document ({type(exc).__name__})") from None
        if meta.get("issuer") != self.config.issuer:
            self._app.server_metadata.pop("_loaded_at", None)
            raise OidcRefused(PROVIDER, "the discovery document names another issuer than the configured one")
        return meta

    def origins(self) -> tuple[str, ...]:
        """The origins a sign-in or sign-out form may be sent on to (for the CSP's form-action)."""
        meta = self._app.server_metadata if "_loaded_at" in self._app.server_metadata else {}
        urls = [self.config.issuer, meta.get("authorization_endpoint"), meta.get("end_session_endpoint")]
        found: list[str] = []
        for url in urls:
            if isinstance(url, str) and url:
                parsed = httpx.URL(url)
                origin = f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"
                if origin not in found:
                    found.append(origin)
        return tuple(found)

    def begin(self) -> Begun:
        """A new authorisation request: the URL (with state, nonce and the S256 code challenge)."""
        self.metadata()
        try:
            rv = self._app.create_authorization_url(self.config.redirect_uri)
        except (AuthlibBaseError, RuntimeError) as exc:
            raise OidcRefused(PROVIDER, f"no authorisation request ({type(exc).__name__})") from None
        return Begun(str(rv["url"]), str(rv["state"]), str(rv["nonce"]), str(rv["code_verifier"]))

    def finish(self, code: str, nonce: str, code_verifier: str, iss: str | None) -> Identity:
        """Exchange ``code`` for tokens and check the ID token; the identity it vouches for."""
        if iss is not None and iss != self.config.issuer:  # RFC 9207, section 2.4
            raise OidcRefused(STATE, "the authorisation response names another issuer")
        if not code:
            raise OidcRefused(STATE, "the authorisation response carries no code")
        self.metadata()
        try:
            token = self._app.fetch_access_token(
                redirect_uri=self.config.redirect_uri, code=code, code_verifier=code_verifier
            )
        except TRANSPORT:
            raise OidcRefused(UNREACHABLE, "the provider's token endpoint cannot be reached") from None
        except BAD_TOKEN_RESPONSE as exc:
            raise OidcRefused(PROVIDER, f"the token request failed ({type(exc).__name__})") from None
        if not isinstance(token, dict) or "id_token" not in token:
            raise OidcRefused(TOKEN, "the provider returned no ID token")
        try:
            claims = self._app.parse_id_token(
                token,
                nonce=nonce,
                claims_options={"iss": {"essential": True, "values": [self.config.issuer]}},
                leeway=self.config.leeway_seconds,
            )
        except TRANSPORT:
            raise OidcRefused(UNREACHABLE, "the provider's keys cannot be fetched") from None
        except BAD_ID_TOKEN as exc:
            raise OidcRefused(TOKEN, f"the ID token is not valid ({type(exc).__name__})") from None
        return self._identity(dict(claims))

    def _identity(self, claims: dict[str, Any]) -> Identity:
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise OidcRefused(TOKEN, "the ID token has no usable subject")
        raw = claims.get(self.config.groups_claim, [])
        if isinstance(raw, str):
            raw = [raw]
        groups = tuple(g for g in raw if isinstance(g, str)) if isinstance(raw, list) else ()
        name = claims.get("name")
        return Identity(self.config.issuer, subject, name if isinstance(name, str) else "", groups)

    def end_session_url(self, post_logout_redirect_uri: str) -> str | None:
        """The provider's end_session URL for RP-initiated logout, None if it offers none."""
        try:
            meta = self.metadata()
        except OidcRefused:
            return None
        if not meta.get("end_session_endpoint"):
            return None
        try:
            rv = self._app.create_logout_url(
                post_logout_redirect_uri=post_logout_redirect_uri, client_id=self.config.client_id
            )
        except (AuthlibBaseError, RuntimeError):
            return None
        return str(rv["url"])
