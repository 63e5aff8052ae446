"""The provider's calls to the hub, through :mod:`exchange.client`, signed with the party's keys as
the acting user. Every failure is sorted into what a page tells the user: ``unreachable`` (no
connection or no answer), ``busy`` (503) or ``refused`` (any other problem); :class:`HubTrouble`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from exchange.client.forwards import hub_json
from exchange.client.http import ExchangeClient, HubUnavailableError
from exchange.client.texts import HubAnswerError
from exchange.crypto.envelope import Recipient
from exchange.crypto.keys import unb64
from exchange.errors import ExchangeError, InvalidInputError
from exchange.node.runtime import NodeRuntime

#: The role a provider's employee acts in, when the user holds it; else their first allowed role.
PREFERRED_ROLES = ("employee", "coordinator")


class HubTrouble(ExchangeError):
    """The hub did not do what was asked; ``problem`` says which kind for the page."""

    def __init__(self, problem: str, status: int | None = None) -> None:
        super().__init__(f"the hub did not accept the request ({problem}, status {status})")
        self.problem, self.status = problem, status


def acting_role(user_roles: Sequence[str], party_roles: Sequence[str]) -> str | None:
    """A role the user holds *and* the covenants allow the party, the employee's first."""
    allowed = [r for r in user_roles if r in party_roles]
    for r in PREFERRED_ROLES:
        if r in allowed:
            return r
    return allowed[0] if allowed else None


@contextmanager
def connected(rt: NodeRuntime, user: str, role: str) -> Iterator[ExchangeClient]:
    """A signed client for ``user`` in ``role``; every hub failure becomes :class:`HubTrouble`."""
    try:
        client = ExchangeClient(
            rt.settings.hub_url, rt.keystore.keys.current, user, role, timeout=rt.settings.hub_timeout_seconds
        )
    except InvalidInputError:
        raise HubTrouble("unreachable") from None
    try:
        yield client
    except HubUnavailableError:
        raise HubTrouble("unreachable") from None
    except HubAnswerError as exc:
        raise HubTrouble("busy" if exc.status == 503 else "refused", exc.status) from None
    except ValueError:  # an answer that is not JSON: not the hub
        raise HubTrouble("refused") from None
    finally:
        client.close()


def pending_requests(client: ExchangeClient) -> list[dict[str, Any]]:
    """Open enrichment requests addressed to the party, with the cases' subject pseudonyms."""
    got = hub_json(client.get("/v1/enrichment-requests"))
    return [r for r in got if isinstance(r, dict)] if isinstance(got, list) else []


def update_index(
    client: ExchangeClient, category: str, add: list[str], remove: list[str], key: str
) -> dict[str, Any]:
    """One request, so the hub applies all of it or nothing; ``key`` makes a retry a replay."""
    answer: dict[str, Any] = hub_json(
        client.post(f"/v1/index/{category}", {"add": add, "remove": remove}, idempotency_key=key)
    )
    return answer


def case_purpose(client: ExchangeClient, case: str) -> str:
    return str(hub_json(client.get(f"/v1/cases/{case}"))["purpose"])


def recipients(client: ExchangeClient, case: str, category: str) -> list[tuple[Recipient, list[str]]]:
    """Who may receive ``category`` from us in this case now (the hub's decision), with articles."""
    got = hub_json(client.get(f"/v1/cases/{case}/recipients?category={category}"))
    return [
        (Recipient(r["party"], r["kid"], unb64(r["public"], "key")), [str(a) for a in r.get("articles", [])])
        for r in got
    ]


def store_item(client: ExchangeClient, case: str, envelope: bytes, key: str) -> dict[str, Any]:
    body = {"envelope": base64.b64encode(envelope).decode()}
    answer: dict[str, Any] = hub_json(client.post(f"/v1/cases/{case}/items", body, idempotency_key=key), 201)
    return answer
