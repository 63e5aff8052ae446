"""The unit of work a use case runs in: one transaction, one caller, one trace id, one moment.

The edge (an API route, a console page, a CLI command) opens the transaction, binds a :class:`Unit` to
it and commits once, so an action and its log events stand or fall together. Use cases never commit
and never read the wall clock: every event they record is stamped with the unit's ``now``, and every
event of one request shares its trace id (Logboek Dataverwerkingen: one trace per request).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.storage.audit_store import AuditLog
from exchange.storage.readmodels import CaseView
from exchange.vocabulary import Caller


@dataclass(frozen=True, slots=True)
class Unit:
    """A transaction bound to who acts, under which trace, at which moment, and the log it writes to."""

    session: Session
    caller: Caller
    trace: str
    now: datetime
    log: AuditLog
    channel: str = "api"
    #: (index, leaf hash) of every event this unit appended, in order: the response's receipt.
    leaves: list[tuple[int, bytes]] = field(default_factory=list)

    def event(
        self, action: Action, outcome: Outcome, about: CaseView | None = None, **fields: object
    ) -> Event:
        """An event by the unit's caller at the unit's moment; when it is ``about`` a case, with the
        case's id, purpose, covenant and phase."""
        case: dict[str, object] = (
            {"case": about.id, "purpose": about.purpose, "covenant": about.covenant, "phase": about.phase}
            if about is not None
            else {}
        )
        c = self.caller
        return Event(
            self.now,
            self.trace,
            action,
            Actor(c.party, c.user, c.role),
            outcome,
            channel=self.channel,
            **case,  # type: ignore[arg-type]  # Event's keyword fields, checked by Event itself
            **fields,  # type: ignore[arg-type]  # idem
        )

    def record(
        self, action: Action, outcome: Outcome, about: CaseView | None = None, **fields: object
    ) -> int:
        """Append one event in this unit's transaction; returns its log index. Never commits."""
        result = self.log.append(self.session, self.event(action, outcome, about, **fields))
        self.leaves.append((result.index, result.leaf_hash))
        return result.index

    def record_all(self, events: list[Event]) -> list[int]:
        """Append events derived from :meth:`event` (one request's many answers) together."""
        written = self.log.append_leaves(self.session, events)
        self.leaves.extend(written)
        return [index for index, _ in written]
