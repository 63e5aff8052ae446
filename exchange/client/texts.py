"""Free text for a case, sealed here before it leaves the party: selection and closing reasons, a
jurist's review note, an action point's reason. The hub stores only the envelope and logs its digest.

    sealed = seal_text(client, keys, case_id, "selection-reason", "Three signals of overcrowding.")
    client.post(f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": sealed})

The text is sealed as a dossier envelope (docs/specs/dossier-envelope.md) to the parties the hub
names at ``GET /v1/cases/{id}/text-recipients``: the case's parties that may read free text, never an
observer. Spec: docs/specs/sealed-texts.md.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from exchange.client.directory import Signers, keys_for
from exchange.client.http import ExchangeClient
from exchange.crypto.envelope import ItemMetadata, Recipient, decode, encode, format_created, open_item, seal
from exchange.crypto.keys import PartyKeys, unb64
from exchange.errors import ExchangeError, InvalidInputError

#: Shorter texts explain nothing; the hub cannot check the length of a sealed text, so the client does.
MIN_LENGTH = 10
MAX_LENGTH = 2000


class HubAnswerError(ExchangeError):
    """The hub answered a step of sealing or opening a text with a problem."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        super().__init__(f"the hub answered {status}: {problem.get('detail') or problem.get('title')}")
        #: The HTTP status the hub answered with (503: busy or not ready; try again later).
        self.status = status


@dataclass(frozen=True, slots=True)
class OpenedText:
    id: str
    kind: str
    author: str
    created: str
    text: str


def hub_answer(response: Any, *expected: int) -> Any:
    """The hub's JSON answer if its status is one of ``expected`` (200 by default); otherwise
    :class:`HubAnswerError` with the hub's problem."""
    if response.status_code not in (expected or (200,)):
        try:
            problem = response.json()
        except ValueError:
            problem = {"title": response.text[:200]}
        raise HubAnswerError(response.status_code, problem if isinstance(problem, dict) else {})
    return response.json()


def _json(response: Any) -> Any:
    if response.status_code != 200:
        try:
            problem = response.json()
        except ValueError:
            problem = {"title": response.text[:200]}
        raise HubAnswerError(response.status_code, problem if isinstance(problem, dict) else {})
    return response.json()


def seal_text(
    client: ExchangeClient, keys: PartyKeys, case_id: str, kind: str, text: str, now: datetime | None = None
) -> str:
    """Seal ``text`` as a ``kind`` of case ``case_id`` for the case's readers; base64 to send as
    ``reason_sealed`` or ``note_sealed``. Folded to one line of 10 to 2,000 characters."""
    folded = " ".join(text.split())
    if len(folded) < MIN_LENGTH:
        raise InvalidInputError(f"a {kind} needs at least {MIN_LENGTH} characters")
    folded = folded[:MAX_LENGTH]
    case = _json(client.get(f"/v1/cases/{case_id}"))
    readers = [
        Recipient(r["party"], r["kid"], unb64(r["public"], "public key"))
        for r in _json(client.get(f"/v1/cases/{case_id}/text-recipients"))
    ]
    if not readers:
        raise InvalidInputError(f"no party of case '{case_id}' may read free text; nothing to seal for")
    meta = ItemMetadata(
        case_id,
        f"txt-{uuid.uuid4().hex}",
        keys.party,
        kind,
        str(case["purpose"]),
        format_created(now or datetime.now(UTC)),
    )
    return base64.b64encode(encode(seal(folded.encode("utf-8"), meta, readers, keys.current))).decode()


def open_texts(client: ExchangeClient, keys: PartyKeys, case_id: str, signers: Signers) -> list[OpenedText]:
    """The caller's texts of the case, verified with the writers' registered signing keys
    (``signers``: key id to Ed25519 public key, or the key directory) and opened here."""
    out = []
    for raw in _json(client.get(f"/v1/cases/{case_id}/texts"))["texts"]:
        item = decode(base64.b64decode(raw))
        text = open_item(item, keys, keys_for(signers, item)).decode("utf-8", errors="replace")
        m = item.header.metadata
        out.append(OpenedText(m.item, m.category, m.provider, m.created, text))
    return out
