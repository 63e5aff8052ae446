"""Oversight in one click: from the workspace to the hub's console, signed in as the same user.

The hub's console (docs/console.md) signs people in with a one-time ticket that a party asks for with
a signed request (``POST /v1/console/tickets``) for one of its users and that user's role. The node
asks for it as the signed-in user, in the oversight role they choose, and sends the browser to the
ticket's link at the console's public address (``EXCHANGE_NODE_CONSOLE_URL``, by default the hub's
address): the browser never sees the party's key, and the hub never sees a node password.

Only the oversight roles get the button: privacy officers, jurists, the case table's coordinator and
team leads. The console also shows employees the cases they take part in, but an employee's work is
on this node's own pages (requests and answers), so the node offers them no console; ``exchange
client console`` still can.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from exchange.client.http import ExchangeClient
from exchange.client.texts import hub_answer
from exchange.errors import InvalidInputError
from exchange.node.context import HUB_ERRORS, Pages, trouble
from exchange.node.signin import SignedIn
from exchange.node.webkit import field

#: The roles offered the console from the node, in the order their buttons appear.
OVERSIGHT_ROLES = ("privacy-officer", "jurist", "coordinator", "team-lead", "stuurgroep")
#: The path this node serves the button's form on.
PATH = "/toezicht"
#: What the hub's ticket link must look like: a path on the console, with the ticket and nothing else.
TICKET_LINK = re.compile(r"^/console/login\?ticket=[A-Za-z0-9_-]{16,128}$")


def roles_for(user_roles: Sequence[str], party_roles: Sequence[str]) -> tuple[str, ...]:
    """The oversight roles this user holds *and* the covenants let the party hold, in button order."""
    return tuple(r for r in OVERSIGHT_ROLES if r in user_roles and r in party_roles)


def console_link(client: ExchangeClient, console_url: str) -> str:
    """A one-time sign-in link to the console for the client's user and role, at ``console_url``.

    Raises what a hub call raises (see :data:`exchange.node.context.HUB_ERRORS`); an answer that is
    not a ticket link on the console is refused as :class:`InvalidInputError`, so a hub answer can
    never send the browser elsewhere.
    """
    ticket = hub_answer(client.post("/v1/console/tickets", {}), 201)
    link = str(ticket.get("url", ""))
    if not TICKET_LINK.match(link):
        raise InvalidInputError("the hub's answer holds no console sign-in link")
    return console_url.rstrip("/") + link


def install(app: FastAPI, pages: Pages) -> None:
    rt = pages.rt

    @app.post(PATH)
    async def oversee(request: Request) -> Response:
        who = await pages.button(request)
        if not isinstance(who, SignedIn):
            return who
        allowed = roles_for(who.account.roles, rt.party.roles)
        form = await request.form()  # read (and size-limited) by pages.button; Starlette keeps it
        chosen = field(form, "role", 40) or (allowed[0] if len(allowed) == 1 else "")
        if chosen not in allowed:
            return pages.render("oversight_message.html", who, 403, problem="not-oversight")
        try:
            client = pages.hub(who, chosen)
        except HUB_ERRORS as exc:  # a hub address that is not a URL
            return pages.render("oversight_message.html", who, 502, problem=trouble(exc).kind)
        try:
            link = console_link(client, rt.settings.console_base())
        except HUB_ERRORS as exc:
            return pages.render("oversight_message.html", who, 502, problem=trouble(exc).kind)
        finally:
            client.close()
        return RedirectResponse(link, 303)
