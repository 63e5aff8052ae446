"""Console sign-in: a party's signed request asks for a one-time ticket for one of its users; the
browser trades the ticket for a session cookie. The hub stores only hashes of tickets and tokens,
so a copy of the database signs no one in."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.console.labels import N_
from exchange.errors import VerificationError
from exchange.storage.models import ConsoleSession, ConsoleTicket
from exchange.vocabulary import Caller

#: The default lifetime of a sign-in link (setting ``EXCHANGE_CONSOLE_LINK_SECONDS``).
TICKET_LIFETIME = timedelta(minutes=2)
#: Used links are kept this long after they expire, then removed.
TICKET_KEPT = timedelta(days=1)
SESSION_LIFETIME = timedelta(hours=8)  # one working day; then sign in again
COOKIE = "exchange_console"

# Why there is no session; catalogue ids, which the console's pages show in the page's language.
LINK_DEAD = N_(
    "This sign-in link is unknown, already used or expired. Ask for a new one: with the button "
    "'Oversight console' in your organisation's workspace, or with 'exchange client console'"
)
NO_SESSION = N_(
    "You are not signed in. Open the console with the button 'Oversight console' in your "
    "organisation's workspace, or with 'exchange client console'"
)
SESSION_ENDED = N_(
    "Your session has ended. Sign in again with the button 'Oversight console' in your "
    "organisation's workspace, or with 'exchange client console'"
)


class NotSignedIn(VerificationError):
    """No valid console session: sign in again through the party's client."""


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    party: str
    user: str
    role: str
    csrf: str
    #: The party's name in the covenant files, for people to read (the id if none names it).
    party_name: str = ""


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("ascii", errors="replace")).digest()


def issue_ticket(
    session: Session, caller: Caller, now: datetime, lifetime: timedelta = TICKET_LIFETIME
) -> str:
    ticket = secrets.token_urlsafe(32)
    session.add(
        ConsoleTicket(
            ticket_hash=_hash(ticket),
            party=caller.party,
            user=caller.user,
            role=caller.role,
            expires=now + lifetime,
        )
    )
    session.flush()
    return ticket


def redeem_ticket(session: Session, ticket: str, now: datetime) -> tuple[str, ConsoleUser]:
    """(session token for the cookie, who signed in). A ticket works once, within its lifetime."""
    row = session.execute(
        select(ConsoleTicket).where(ConsoleTicket.ticket_hash == _hash(ticket)).with_for_update()
    ).scalar_one_or_none()
    if row is None or row.used is not None or as_utc(row.expires) < now:
        raise NotSignedIn(LINK_DEAD)
    row.used = now
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(
        ConsoleSession(
            token_hash=_hash(token),
            party=row.party,
            user=row.user,
            role=row.role,
            csrf=csrf,
            created=now,
            expires=now + SESSION_LIFETIME,
        )
    )
    # Housekeeping in SQL only: SQLite hands back naive times, which Python cannot compare with 'now'.
    stale = {"synchronize_session": False}
    session.execute(
        delete(ConsoleTicket).where(ConsoleTicket.expires < now - TICKET_KEPT), execution_options=stale
    )
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires < now), execution_options=stale)
    session.flush()
    return token, ConsoleUser(row.party, row.user, row.role, csrf)


def current_user(session: Session, token: str | None, now: datetime) -> ConsoleUser:
    if not token:
        raise NotSignedIn(NO_SESSION)
    row = session.get(ConsoleSession, _hash(token))
    if row is None or as_utc(row.expires) < now:
        raise NotSignedIn(SESSION_ENDED)
    return ConsoleUser(row.party, row.user, row.role, row.csrf)


def end_session(session: Session, token: str) -> None:
    session.execute(
        delete(ConsoleSession).where(ConsoleSession.token_hash == _hash(token)),
        execution_options={"synchronize_session": False},
    )
