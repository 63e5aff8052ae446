"""The log entries behind an access request (AVG art. 15), as typed rows without user ids.

The selection is :func:`exchange.storage.audit_queries.access_statement`, shared with the row report
of ``exchange log report`` and the console. Each row carries what a letter to the data subject needs
(who, which category, purpose, article and legal ground, when) and nothing that names a person at a
party: the acting user is never read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.storage.audit_queries import access_statement

#: Actions naming a subject that an access request lists besides the disclosing ones.
CASE_OPENED = "case-created"


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One log entry about the subjects of an access request."""

    index: int
    time: datetime
    action: str
    outcome: str
    actor_party: str
    counterparty: str | None
    case: str | None
    category: str | None
    purpose: str | None
    covenant: str | None
    articles: tuple[str, ...]
    legal_grounds: tuple[str, ...]


def access_entries(session: Session, subjects: Sequence[str], covenants: Sequence[str]) -> list[AccessEntry]:
    """The entries about ``subjects`` (pseudonyms) under the covenant versions ``covenants``
    (references such as ``pit/2021``), oldest first, with the cases that named a subject opened."""
    if not subjects or not covenants:
        return []
    out = []
    for e in session.execute(access_statement(subjects, covenants, also=(CASE_OPENED,))).scalars():
        # The legal grounds are not a query column; the event's own bytes hold them.
        grounds = json.loads(e.event).get("processingActivity", {}).get("legalGrounds") or ()
        out.append(
            AccessEntry(
                index=e.idx,
                time=as_utc(e.time),
                action=e.action,
                outcome=e.outcome,
                actor_party=e.actor_party,
                counterparty=e.counterparty,
                case=e.case_id,
                category=e.category,
                purpose=e.purpose,
                covenant=e.covenant,
                articles=tuple(a for a in e.articles.split(",") if a),
                legal_grounds=tuple(str(g) for g in grounds),
            )
        )
    return out
