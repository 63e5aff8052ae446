"""Privacy officers' acknowledgements of anomaly flags. The only place that writes their SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.errors import ConflictError
from exchange.storage.models import AnomalyAcknowledgement
from exchange.storage.readmodels import AcknowledgementView


class AcknowledgementRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_flag(self, party: str | None) -> dict[str, AcknowledgementView]:
        """The acknowledgements by ``party``'s officers (``None``: every party's), by flag id. A
        party acknowledges only its own flags, and a flag's id covers its party."""
        stmt = select(AnomalyAcknowledgement)
        if party is not None:
            stmt = stmt.where(AnomalyAcknowledgement.party == party)
        return {r.flag_id: _view(r) for r in self.session.execute(stmt).scalars()}

    def get(self, flag_id: str) -> AcknowledgementView | None:
        row = self.session.get(AnomalyAcknowledgement, flag_id)
        return None if row is None else _view(row)

    def add(
        self, flag_id: str, party: str, user: str, note: str, at: datetime, log_index: int
    ) -> AcknowledgementView:
        row = AnomalyAcknowledgement(
            flag_id=flag_id, party=party, user=user, note=note, acknowledged=at, log_index=log_index
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError:
            # Another officer acknowledged the same flag between our check and this insert.
            raise ConflictError(f"flag {flag_id} was acknowledged already") from None
        return _view(row)


def _view(r: AnomalyAcknowledgement) -> AcknowledgementView:
    return AcknowledgementView(r.flag_id, r.party, r.user, r.note, as_utc(r.acknowledged), r.log_index)
