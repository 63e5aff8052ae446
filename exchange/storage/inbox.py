"""What waits for a party, read in one go for ``GET /v1/inbox``: metadata only (ids, cases,
categories, kinds, deadlines), never a ciphertext, a wrap or a subject. The only place that writes
this SQL; the role rules are applied by :mod:`exchange.cases.inbox`.

"Read" is what the log says: an item or text counts as read by a party once the log holds a
``dossier-read`` event with outcome ``done`` by that party for it (any of its users). The log is
the record of reads, so the inbox cannot disagree with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.storage.models import (
    ActionPoint,
    CaseOutcome,
    CaseParty,
    CaseRow,
    CaseTextRow,
    CaseTextWrap,
    DossierItemRow,
    DossierWrap,
    LogEntry,
)


@dataclass(frozen=True, slots=True)
class SealedRef:
    """A sealed item or text of a case that has a wrap for the party: what it is, never what it says."""

    id: str
    case: str
    kind: str  # "item", or the text's kind (selection-reason, ...)
    category: str | None  # an item's category; None for a text
    sender: str  # the item's provider or the text's author party
    created: datetime


@dataclass(frozen=True, slots=True)
class OwnedAction:
    id: str
    case: str
    kind: str
    deadline: datetime


@dataclass(frozen=True, slots=True)
class FeedbackRef:
    case: str
    decided: datetime


def sealed_for(session: Session, party: str) -> list[SealedRef]:
    """Items and texts of open or closed cases the party takes part in that still have a wrap for it
    (not shredded) and that another party sealed, oldest first."""
    member = select(CaseParty.case_id).where(CaseParty.party == party)
    items = session.execute(
        select(
            DossierItemRow.id,
            DossierItemRow.case_id,
            DossierItemRow.category,
            DossierItemRow.provider,
            DossierItemRow.created,
        )
        .join(DossierWrap, DossierWrap.item_id == DossierItemRow.id)
        .where(
            DossierWrap.party == party, DossierItemRow.case_id.in_(member), DossierItemRow.provider != party
        )
        .distinct()
    ).all()
    texts = session.execute(
        select(
            CaseTextRow.id,
            CaseTextRow.case_id,
            CaseTextRow.kind,
            CaseTextRow.author_party,
            CaseTextRow.created,
        )
        .join(CaseTextWrap, CaseTextWrap.text_id == CaseTextRow.id)
        .where(
            CaseTextWrap.party == party, CaseTextRow.case_id.in_(member), CaseTextRow.author_party != party
        )
        .distinct()
    ).all()
    out = [SealedRef(i, c, "item", k, p, as_utc(t)) for i, c, k, p, t in items]
    out += [SealedRef(i, c, kind, None, p, as_utc(t)) for i, c, kind, p, t in texts]
    return sorted(out, key=lambda r: (r.created, r.id))


def read_by(session: Session, party: str, cases: Iterable[str]) -> set[str]:
    """The ids of items and texts in ``cases`` that the log shows ``party`` has read."""
    wanted = sorted(set(cases))
    if not wanted:
        return set()
    rows = session.execute(
        select(LogEntry.event).where(
            LogEntry.case_id.in_(wanted),
            LogEntry.action == "dossier-read",
            LogEntry.outcome == "done",
            LogEntry.actor_party == party,
        )
    ).scalars()
    read = set()
    for event in rows:
        item = orjson.loads(event).get("item")
        if isinstance(item, str):
            read.add(item)
    return read


def open_actions(session: Session, party: str) -> list[OwnedAction]:
    """Open action points the party owns in cases that are not closed, earliest deadline first."""
    rows = session.execute(
        select(ActionPoint.id, ActionPoint.case_id, ActionPoint.kind, ActionPoint.deadline)
        .join(CaseRow, CaseRow.id == ActionPoint.case_id)
        .where(ActionPoint.owner == party, ActionPoint.status == "open", CaseRow.closed.is_(None))
        .order_by(ActionPoint.deadline, ActionPoint.id)
    ).all()
    return [OwnedAction(i, c, k, as_utc(d)) for i, c, k, d in rows]


def feedback_to(session: Session, party: str) -> list[FeedbackRef]:
    """Cases whose outcome was fed back to the party: it contributed an item and does not coordinate
    the case (the coordinator gives the feedback; :meth:`FollowUpService.feedback` tells the rest)."""
    contributed = select(DossierItemRow.case_id).where(DossierItemRow.provider == party)
    rows = session.execute(
        select(CaseOutcome.case_id, CaseOutcome.decided)
        .join(CaseRow, CaseRow.id == CaseOutcome.case_id)
        .where(CaseOutcome.case_id.in_(contributed), CaseRow.coordinator != party)
        .order_by(CaseOutcome.decided, CaseOutcome.case_id)
    ).all()
    return [FeedbackRef(c, as_utc(d)) for c, d in rows]
