"""What the workspace's routers share: the runtime, the page renderer, who is signed in, the CSRF
check, and a signed client to the hub as the signed-in user in the role the page needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from exchange.client.http import ExchangeClient, HubUnavailableError
from exchange.client.texts import HubAnswerError
from exchange.errors import InvalidInputError
from exchange.node.signin import SignedIn, csrf_matches
from exchange.node.webkit import Web
from exchange.policies.engine import LEGAL_TIMEZONE
from exchange.policies.model import Covenant

COORDINATOR = "coordinator"


def local_time(moment: datetime, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """A stored (UTC) moment as staff read it: Amsterdam time."""
    return moment.astimezone(LEGAL_TIMEZONE).strftime(fmt)


@dataclass(frozen=True, slots=True)
class HubTrouble:
    """Why a step at the hub did not happen: "unreachable", "busy" (503) or "refused" (another
    problem, with its status). The page says so in Dutch; what the user typed is kept."""

    kind: str
    status: int | None = None


def trouble(exc: Exception) -> HubTrouble:
    if isinstance(exc, HubUnavailableError):
        return HubTrouble("unreachable")
    if isinstance(exc, HubAnswerError):
        return HubTrouble("busy" if exc.status == 503 else "refused", exc.status)
    return HubTrouble("refused")


#: What a call to the hub may raise that the page turns into a :class:`HubTrouble`: no connection,
#: a problem answer, a hub address that is not a URL, an answer that is not JSON.
HUB_ERRORS = (HubUnavailableError, HubAnswerError, InvalidInputError, ValueError, KeyError, TypeError)


@dataclass(frozen=True, slots=True)
class Pages(Web):
    """What the coordinator's pages share, on top of what every page of the node shares."""

    def coordinator(self, request: Request) -> SignedIn | Response:
        """The signed-in coordinator, or the answer to give instead: to the sign-in page without a
        session, a Dutch refusal for a user without the coordinator role (or whose party the
        covenants no longer allow it)."""
        with self.rt.sessions.begin() as s:
            who = self.who_is(s, request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        if COORDINATOR not in who.account.roles or COORDINATOR not in self.rt.party.roles:
            return self.page("casework_message.html", 403, kind="not-coordinator", who=who)
        return who

    def coordinator_posting(self, request: Request, csrf: str) -> SignedIn | Response:
        """As :meth:`coordinator`, for a form: a wrong or missing CSRF token is refused as well."""
        who = self.coordinator(request)
        if isinstance(who, SignedIn) and not self.csrf_ok(who, csrf):
            return self.refused(who)
        return who

    def csrf_ok(self, who: SignedIn, given: str) -> bool:
        return csrf_matches(who.csrf, given)

    def hub(self, who: SignedIn, role: str = COORDINATOR) -> ExchangeClient:
        """A client signed with the party's current key, asserting this user and ``role``."""
        return ExchangeClient(
            self.rt.settings.hub_url,
            self.rt.keystore.keys.current,
            who.account.name,
            role,
            timeout=self.rt.settings.hub_timeout_seconds,
        )

    def render(self, template: str, who: SignedIn, status: int = 200, **values: Any) -> HTMLResponse:
        return self.page(template, status, who=who, **values)


class CaseSection(Protocol):
    """A part of the case page in its own module and template: the values its template shows, and
    the routes of its forms, which answer a refused form with the case page (``case_page(who,
    case_id, status, errors=..., form=...)``)."""

    def view(
        self, who: SignedIn, case_id: str, hub: dict[str, Any] | None, covenant: Covenant | None
    ) -> dict[str, Any]: ...

    def router(self, case_page: Callable[..., Response]) -> APIRouter: ...
