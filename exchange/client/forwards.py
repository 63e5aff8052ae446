"""A party's side of the inbox and of forwarded signals. A coordinator's client seals the signal here
for the recipient's keys before it leaves the party; the recipient's client opens it here. The hub
sees only ciphertext and logs the envelope's digest. Spec: docs/specs/forwards.md, docs/specs/inbox.md.

    sent = forward_signal(client, keys, "senzer", "uitkeringsfraude", "pit", "Signal text ...")
    box = read_inbox(client)                       # on the recipient's side
    opened = open_forward(client, keys, box["forwards"][0]["id"], signers)
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from exchange.client.http import ExchangeClient
from exchange.client.texts import MAX_LENGTH, MIN_LENGTH, HubAnswerError
from exchange.crypto.envelope import ItemMetadata, Recipient, decode, encode, format_created, open_item, seal
from exchange.crypto.keys import PartyKeys, unb64
from exchange.errors import InvalidInputError
from exchange.protocol import FORWARD_CATEGORY


@dataclass(frozen=True, slots=True)
class OpenedForward:
    id: str
    sender: str
    purpose: str
    covenant: str
    created: str
    text: str


def hub_json(response: Any, status: int = 200) -> Any:
    """The hub's JSON answer, or :class:`HubAnswerError` with its problem."""
    if response.status_code != status:
        try:
            problem = response.json()
        except ValueError:
            problem = {"title": response.text[:200]}
        raise HubAnswerError(response.status_code, problem if isinstance(problem, dict) else {})
    return response.json()


def read_inbox(client: ExchangeClient) -> dict[str, Any]:
    """What waits for the caller's party: metadata only (not logged by the hub)."""
    box: dict[str, Any] = hub_json(client.get("/v1/inbox"))
    return box


def forward_signal(
    client: ExchangeClient,
    keys: PartyKeys,
    to: str,
    purpose: str,
    covenant: str,
    text: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Seal ``text`` for ``to``'s current keys and forward it (a coordinator, where the covenant
    allows it); the hub's answer: id, recipient, digest and log index."""
    folded = " ".join(text.split())
    if len(folded) < MIN_LENGTH:
        raise InvalidInputError(f"a forwarded signal needs at least {MIN_LENGTH} characters")
    folded = folded[:MAX_LENGTH]
    query = urlencode({"to": to, "purpose": purpose, "covenant": covenant})
    recipients = [
        Recipient(r["party"], r["kid"], unb64(r["public"], "public key"))
        for r in hub_json(client.get(f"/v1/forwards/recipients?{query}"))
    ]
    forward_id = f"fwd-{uuid.uuid4().hex}"
    meta = ItemMetadata(
        forward_id,
        forward_id,
        keys.party,
        FORWARD_CATEGORY,
        purpose,
        format_created(now or datetime.now(UTC)),
    )
    envelope = base64.b64encode(encode(seal(folded.encode("utf-8"), meta, recipients, keys.current))).decode()
    body = {"to": to, "purpose": purpose, "covenant": covenant, "envelope": envelope}
    answer: dict[str, Any] = hub_json(client.post("/v1/forwards", body, idempotency_key=forward_id), 201)
    return answer


def open_forward(
    client: ExchangeClient, keys: PartyKeys, forward_id: str, signers: Mapping[str, bytes]
) -> OpenedForward:
    """Fetch a forward sent to the caller's party (a logged read), verify it with the sender's
    registered signing keys (``signers``: key id to Ed25519 public key) and open it here."""
    got = hub_json(client.get(f"/v1/forwards/{forward_id}"))
    item = decode(base64.b64decode(got["envelope"]))
    m = item.header.metadata
    if m.item != forward_id or m.category != FORWARD_CATEGORY or m.provider != got["sender"]:
        raise InvalidInputError(f"the hub answered for '{forward_id}' with an envelope of something else")
    text = open_item(item, keys, signers).decode("utf-8", errors="replace")
    return OpenedForward(m.item, m.provider, m.purpose, str(got["covenant"]), m.created, text)
