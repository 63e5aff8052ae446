"""Joining a covenant, from the new party's side and from the custodian's.

    answer = request_join("https://exchange.example", keys, "pit", "Gemeente Deurne", "u-1", "coordinator")
    # ... the hub's operator and the covenant's custodian approve; then the keys sign as usual.

The request is signed with the party's own current key, which the hub does not know yet: the key it
presents in the body (proof of possession). The custodian lists and decides pending joins with
:func:`pending_joins` and :func:`decide_join`.
"""

from __future__ import annotations

from typing import Any

import httpx

from exchange.client.directory import DirectoryAnswerError
from exchange.client.http import ExchangeClient
from exchange.crypto.keys import PartyKeys


def _answer(response: httpx.Response, expected: int) -> Any:
    if response.status_code != expected:
        try:
            problem = response.json()
        except ValueError:
            problem = {"title": response.text[:200]}
        raise DirectoryAnswerError(response.status_code, problem if isinstance(problem, dict) else {})
    return response.json()


def join_body(keys: PartyKeys, covenant: str, name: str) -> dict[str, Any]:
    """What ``POST /v1/joins`` carries: the party id, its name, the covenant and its public keys."""
    return {
        "party": keys.party,
        "name": name,
        "covenant": covenant,
        "keys": [v.to_data(keys.party) for v in keys.public()],
    }


def request_join(
    base_url: str,
    keys: PartyKeys,
    covenant: str,
    name: str,
    user: str,
    role: str,
    http: httpx.Client | None = None,
) -> dict[str, Any]:
    """Ask to join ``covenant``, signed with the current key presented; the hub's answer (the join
    with its id and status ``pending``)."""
    client = ExchangeClient(base_url, keys.current, user, role, http=http)
    try:
        answer: dict[str, Any] = _answer(client.post("/v1/joins", join_body(keys, covenant, name)), 201)
    finally:
        if http is None:
            client.close()
    return answer


def pending_joins(client: ExchangeClient) -> list[dict[str, Any]]:
    """The pending joins of the covenants whose custodian the client's party is."""
    joins: list[dict[str, Any]] = _answer(client.get("/v1/joins"), 200)["joins"]
    return joins


def decide_join(client: ExchangeClient, join_id: str, approve: bool) -> dict[str, Any]:
    """The custodian approves or rejects a join; the join as it then stands."""
    answer: dict[str, Any] = _answer(client.post(f"/v1/joins/{join_id}/approval", {"approve": approve}), 200)
    return answer
