"""Refusals of authenticated requests go into the disclosure log, like the policy's own denials.

A signed request refused for a reason of the covenant or the case (a role the party may not hold, a
case it does not take part in, a change to a closed case, a coordinator-only step by someone else,
too many subjects) leaves a ``refusal`` event with its reason code and no personal data. It is
written in a unit of work of its own, so the refusal is recorded although the action is not; the
answer to the caller is unchanged (an outsider still gets the same 404 as for a missing case).
Malformed input (400) is not a refusal. The request's nonce, if no write recorded it yet, is
recorded with its refusal event (ADR 0022): a replay of a logged refusal is refused as a replay and
logs nothing more.

One user can cause at most ``per_minute`` refusal events a minute in this process; the rest of that
minute is counted and recorded as one ``over-limit`` event, written with that user's next refusal
after the minute or when the service stops.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from exchange.api.auth import Claim, NotAuthenticated
from exchange.audit.events import Action, Outcome, new_trace
from exchange.cases.unit import Unit
from exchange.errors import ConflictError, DeniedError, ExchangeError, NotFoundError
from exchange.storage.audit_store import AuditLog
from exchange.storage.unit_of_work import GroupCommitter
from exchange.vocabulary import Caller

log = logging.getLogger(__name__)
#: What counts as a refusal: the covenant or the case's state says no. Not malformed input.
REFUSALS = (DeniedError, NotFoundError, ConflictError)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")


@dataclass(slots=True)
class _Minute:
    minute: int
    caller: Caller
    logged: int = 0
    suppressed: int = 0


#: One refusal event to write: who, the reason code, its details, and the case it was about.
Row = tuple[Caller, str, dict[str, str | int | bool], str | None]


def _over_limit(due: list[tuple[Caller, int, int]]) -> list[Row]:
    return [(c, "over-limit", {"count": n, "minute": m}, None) for c, n, m in due]


class RefusalLog:
    """Records refusals through the service's writer, within a per-user budget per minute."""

    def __init__(
        self,
        writer: GroupCommitter,
        log_: AuditLog,
        per_minute: int,
        claims: Callable[[Claim, Session], None] | None = None,
    ) -> None:
        self.writer = writer
        self.log = log_
        self.per_minute = per_minute
        #: How a request's nonce is recorded in a writer's transaction.
        self.claims = claims
        self._minutes: dict[tuple[str, str], _Minute] = {}
        self._lock = threading.Lock()

    def record(
        self,
        caller: Caller,
        exc: ExchangeError,
        now: datetime,
        operation: str,
        case: str | None,
        claim: Claim | None = None,
    ) -> None:
        """Log ``exc`` as refused for ``caller`` (within the budget), with the request's ``claim``
        (its nonce) if not recorded yet. Raises only :class:`NotAuthenticated`: the request is a
        replay, or its key is no longer current; its refusal is then not logged."""
        minute = int(now.timestamp() // 60)
        with self._lock:
            due = self._close_minutes(minute)
            state = self._minutes.setdefault((caller.party, caller.user), _Minute(minute, caller))
            state.caller = caller
            within = state.logged < self.per_minute
            if within:
                state.logged += 1
            else:
                state.suppressed += 1
        details: dict[str, str | int | bool] = {"operation": operation} if _ID.match(operation) else {}
        events = _over_limit(due)
        if not within:
            claim = None  # a refusal not logged changed nothing, and records no nonce
        elif claim is not None and claim.recorded:
            claim = None
        if within:
            events.append((caller, exc.code, details, case if case and _ID.match(case) else None))
        if not events:
            return
        try:
            self._write(events, now, claim)
        except NotAuthenticated:
            if due:  # the minutes' counts still go in
                self._write(_over_limit(due), now, None)
            raise

    def flush(self) -> None:
        """Write the counts of every minute still open (when the service stops)."""
        with self._lock:
            due = self._close_minutes(None)
        if due:
            self._write(_over_limit(due), datetime.now(UTC))

    def _close_minutes(self, current: int | None) -> list[tuple[Caller, int, int]]:
        """Forget minutes before ``current`` (all, for None); return those with refusals left uncounted."""
        due = []
        for key, state in list(self._minutes.items()):
            if current is None or state.minute < current:
                if state.suppressed:
                    due.append((state.caller, state.suppressed, state.minute))
                del self._minutes[key]
        return due

    def _write(self, events: list[Row], now: datetime, claim: Claim | None = None) -> None:
        trace = new_trace("refusal")
        claims = self.claims

        def unit(session: Session) -> None:
            if claim is not None and claims is not None:
                claims(claim, session)
            for caller, code, details, case in events:
                Unit(session, caller, trace, now, self.log).record(
                    Action.REFUSAL, Outcome.DENIED, case=case, reason_code=code, details=details
                )

        try:
            self.writer.run(unit)
        except NotAuthenticated:
            raise
        except ExchangeError as exc:  # the refusal stands even if it cannot be recorded
            log.error("refusal not logged: %s", type(exc).__name__)
            return
        if claim is not None:
            claim.recorded = True
