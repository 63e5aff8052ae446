"""Reading a case's enrichment requests for one of its parties: the requests it made and those
addressed to it, metadata only (who asked whom for which category, when, and when it was answered)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.storage.models import EnrichmentRequestRow


@dataclass(frozen=True, slots=True)
class CaseRequest:
    """One enrichment request of a case; ``answered`` is None while the provider has not answered."""

    id: str
    requested_by: str
    provider: str
    category: str
    created: datetime
    answered: datetime | None


def case_requests(session: Session, case_id: str, party: str) -> list[CaseRequest]:
    """The case's requests made by ``party`` or addressed to it, oldest first."""
    rows = session.scalars(
        select(EnrichmentRequestRow)
        .where(
            EnrichmentRequestRow.case_id == case_id,
            or_(EnrichmentRequestRow.requested_by == party, EnrichmentRequestRow.provider == party),
        )
        .order_by(EnrichmentRequestRow.created, EnrichmentRequestRow.id)
    )
    return [
        CaseRequest(
            r.id,
            r.requested_by,
            r.provider,
            r.category,
            as_utc(r.created),
            as_utc(r.answered) if r.answered is not None else None,
        )
        for r in rows
    ]
