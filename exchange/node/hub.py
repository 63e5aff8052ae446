"""What the start page asks the hub, through :mod:`exchange.client`, signed with the party's keys.

A hub that cannot be reached or answers with a problem (503 when it is busy or not ready) is not an
error of the node's: :func:`inbox_counts` says so in a :class:`HubStatus` and the page shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exchange.client.forwards import read_inbox
from exchange.client.http import ExchangeClient, HubUnavailableError
from exchange.client.texts import HubAnswerError
from exchange.crypto.keys import KeyVersion
from exchange.errors import InvalidInputError

#: The inbox's lists, in the order the start page shows them.
LISTS = ("enrichment_requests", "items", "actions", "feedback", "forwards")


@dataclass(frozen=True, slots=True)
class HubStatus:
    #: None when the hub gave no answer we could use; then ``problem`` says which kind.
    counts: dict[str, int] | None
    overdue: int = 0
    #: "unreachable" (no connection or no answer), "refused" (the hub answered with a problem), or
    #: "no-role" (none of the user's roles is one the covenants allow the party: the hub is not asked).
    problem: str | None = None
    status: int | None = None
    #: The inbox as the hub gave it (metadata only), for the start page's lists.
    box: dict[str, Any] = field(default_factory=dict)


def inbox_counts(hub_url: str, key: KeyVersion, user: str, role: str, timeout: float) -> HubStatus:
    try:
        client = ExchangeClient(hub_url, key, user, role, timeout=timeout)
    except InvalidInputError:
        return HubStatus(None, problem="unreachable")
    try:
        box = read_inbox(client)
    except HubUnavailableError:
        return HubStatus(None, problem="unreachable")
    except HubAnswerError as exc:
        return HubStatus(None, problem="refused", status=exc.status)
    except ValueError:  # an answer that is not JSON: not the hub
        return HubStatus(None, problem="refused")
    finally:
        client.close()
    counts = {name: len(box.get(name) or []) for name in LISTS}
    overdue = sum(1 for a in box.get("actions") or [] if isinstance(a, dict) and a.get("overdue"))
    return HubStatus(counts, overdue, box=box)
