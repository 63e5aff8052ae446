"""The OpenAPI document explains the API by itself: how requests are signed, what every field means
with an example, which problems can come back (each type documented), and no 422 that never comes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from exchange.errors import ExchangeError
from tests.conftest import ROOT, convenant_today
from tests.integration.conftest import Db

UNSIGNED = {"/health", "/ready", "/metrics"}


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from exchange.api.app import create_app
    from exchange.config import Settings
    from tests.integration.conftest import _make_db

    db: Db = _make_db(f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'exchange.db'}")
    settings = Settings(mode="dev", database_url=db.url, convenant_dir=convenant_today())
    with TestClient(create_app(settings, db.engine)) as http:
        yield http.get("/openapi.json").json()
    db.engine.dispose()


def test_every_signed_route_names_the_signature_scheme(doc: dict[str, Any]) -> None:
    scheme = doc["components"]["securitySchemes"]["exchangeSignature"]
    assert "RFC 9421" in scheme["description"] and "Content-Digest" in scheme["description"]
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            if path in UNSIGNED:
                assert op.get("security") != [{"exchangeSignature": []}], (method, path)
            else:
                assert op["security"] == [{"exchangeSignature": []}], (method, path)


def test_no_422_anywhere(doc: dict[str, Any]) -> None:
    """Validation errors are 400 problem documents; FastAPI's default 422 is not documented."""
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            assert "422" not in op["responses"], (method, path)


def _object(spec: dict[str, Any]) -> bool:
    """A field whose value is another schema: that schema's fields carry the examples."""
    if "$ref" in spec or "$ref" in spec.get("items", {}):
        return True
    return any(_object(s) for s in spec.get("allOf", []) + spec.get("anyOf", []))


def test_every_schema_field_has_a_description_and_an_example(doc: dict[str, Any]) -> None:
    missing = [
        f"{name}.{field}"
        for name, schema in doc["components"]["schemas"].items()
        for field, spec in schema.get("properties", {}).items()
        if not spec.get("description") or ("examples" not in spec and not _object(spec))
    ]
    assert not missing, f"document these fields: {', '.join(missing)}"


def _kinds() -> set[str]:
    import exchange.api.app  # noqa: F401  # imports every module whose errors the API can answer

    found: set[str] = set()
    todo: list[type[ExchangeError]] = [ExchangeError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if not cls.__module__.startswith(("exchange.client", "exchange.cli")):
            found.add(cls.kind)
    return found | {"internal", "method-not-allowed", "http"}


def test_every_problem_type_is_documented(doc: dict[str, Any]) -> None:
    """Each problem type the service can answer is listed, with its meaning, in docs/api.md."""
    api_md = (ROOT / "docs" / "api.md").read_text()
    undocumented = sorted(k for k in _kinds() if f"problems/{k}`" not in api_md)
    assert not undocumented, f"list these problem types in docs/api.md: {undocumented}"
    assert (
        "code"
        in doc["paths"]["/v1/whoami"]["get"]["responses"]["401"]["content"]["application/problem+json"][
            "schema"
        ]["required"]
    )
