"""Sealed free texts: whom a party seals a case's text to, and a party's own texts of a case.
The use cases are in :mod:`exchange.cases.texts`; spec docs/specs/sealed-texts.md."""

from __future__ import annotations

import base64
import json

from fastapi import APIRouter
from fastapi.responses import Response

from exchange.api import problems
from exchange.api.context import Ctx, SignedRoute
from exchange.api.schemas import TextRecipientOut, TextRefOut, TextsOut
from exchange.cases.texts import TextService
from exchange.crypto.keys import b64
from exchange.errors import InvalidInputError
from exchange.storage.readmodels import TextInfo

router = APIRouter(route_class=SignedRoute)


def sealed_text(sealed: str | None, plaintext: str | None, field: str) -> bytes | None:
    """The decoded ``<field>_sealed``; a plaintext ``<field>`` is refused, so free text typed by a
    user never reaches the hub readable."""
    if plaintext is not None:
        raise InvalidInputError(
            f"'{field}' must not be sent as plaintext: seal it for the case's readers and send it as "
            f"'{field}_sealed' (exchange client seals it; readers: GET /v1/cases/{{id}}/text-recipients)"
        )
    if sealed is None:
        return None
    try:
        return base64.b64decode(sealed, validate=True)
    except ValueError:  # binascii.Error, and non-ASCII text
        raise InvalidInputError(f"'{field}_sealed' is not base64") from None


def text_ref(text_id: str | None, infos: dict[str, TextInfo]) -> TextRefOut | None:
    """That a text was given, by whom and when (never what it says)."""
    info = infos.get(text_id) if text_id is not None else None
    if info is None:
        return None
    return TextRefOut(by=info.author_party, user=info.author_user, at=info.created, text_id=info.id)


@router.get(
    "/v1/cases/{case_id}/text-recipients",
    response_model=list[TextRecipientOut],
    responses=problems.problem_responses(400, 401, 403, 404),
)
def text_recipients(case_id: str, ctx: Ctx) -> Response:
    """The case's parties that may read its free text, with the key to seal a text to."""
    found = ctx.read(lambda unit: TextService(unit, ctx.service.decisions).recipients(case_id))
    body = [TextRecipientOut(party=r.party, kid=r.kid, public=b64(r.public)).model_dump() for r in found]
    return Response(json.dumps(body).encode(), media_type="application/json")


@router.get(
    "/v1/cases/{case_id}/texts",
    response_model=TextsOut,
    responses=problems.problem_responses(400, 401, 404, 503),
)
def my_texts(case_id: str, ctx: Ctx) -> Response:
    """The caller's sealed texts of the case, each with only its own wraps; each read is logged."""
    texts = ctx.write(lambda unit: TextService(unit, ctx.service.decisions).view(case_id))
    body = TextsOut(texts=[base64.b64encode(x).decode() for x in texts])
    return Response(body.model_dump_json().encode(), media_type="application/json")
