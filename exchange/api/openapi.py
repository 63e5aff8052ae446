"""The OpenAPI document: the RFC 9421 signature as a security scheme on every signed route, the
metrics token on ``/metrics``, and no 422 (a body that does not fit its schema is a 400 problem;
see :mod:`exchange.api.problems`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

SIGNATURE_SCHEME = "exchangeSignature"
METRICS_SCHEME = "metricsToken"
UNSIGNED = frozenset({"/health", "/ready", "/metrics"})

SIGNATURE_DESCRIPTION = (
    "An HTTP Message Signature (RFC 9421) by the party's registered Ed25519 key: the headers "
    "`Signature` and `Signature-Input` with one signature tagged `exchange-v1` over "
    '`"@method" "@target-uri" "exchange-user" "exchange-role" "content-digest"`, with parameters '
    "`created`, `keyid` and a `nonce` of 16-128 characters; `Content-Digest` (RFC 9530, SHA-256) "
    "covers the body, empty bodies included; `Exchange-User` and `Exchange-Role` name the acting "
    "user and role. Accepted for five minutes, once. OpenAPI has no scheme type for message "
    "signatures, so this is declared as the `Signature` header; see docs/api.md."
)


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that documents how requests are authenticated."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=(
                "Every `/v1` route requires a signed request (security scheme "
                f"`{SIGNATURE_SCHEME}`). Errors are RFC 9457 problem documents with a `code` "
                "member; their types are listed in docs/api.md."
            ),
            routes=app.routes,
        )
        components = doc.setdefault("components", {})
        components["securitySchemes"] = {
            SIGNATURE_SCHEME: {
                "type": "apiKey",
                "in": "header",
                "name": "Signature",
                "description": SIGNATURE_DESCRIPTION,
            },
            METRICS_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "The operator's metrics token (EXCHANGE_METRICS_TOKEN), when one is set.",
            },
        }
        schemas = components.get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        for path, operations in doc.get("paths", {}).items():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
                if path == "/metrics":
                    operation["security"] = [{METRICS_SCHEME: []}, {}]
                elif path not in UNSIGNED:
                    operation["security"] = [{SIGNATURE_SCHEME: []}]
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise
