"""The work done on a case after it is opened: enrichment requests, sealed dossier items and their wraps,
action points, the fed-back outcome, and retention. The only place that writes their SQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.storage.models import (
    ActionPoint,
    CaseOutcome,
    CaseRow,
    CaseSubject,
    DossierItemRow,
    DossierWrap,
    EnrichmentRequestRow,
    ItemRetention,
    PartyKeyRow,
)
from exchange.storage.readmodels import ActionView, PendingRequest, StoredItem, action_view


class EnrichmentRepository:
    """Requests for content and the sealed items that answer them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_request(
        self, request_id: str, case_id: str, requested_by: str, provider: str, category: str, now: datetime
    ) -> None:
        self.session.add(
            EnrichmentRequestRow(
                id=request_id,
                case_id=case_id,
                requested_by=requested_by,
                provider=provider,
                category=category,
                created=now,
            )
        )
        self.session.flush()

    def pending(self, provider: str) -> list[PendingRequest]:
        """Open requests addressed to ``provider`` in cases that are not closed, oldest first, each
        with its case's subject pseudonyms."""
        rows = self.session.execute(
            select(EnrichmentRequestRow, CaseRow)
            .join(CaseRow, CaseRow.id == EnrichmentRequestRow.case_id)
            .where(
                EnrichmentRequestRow.provider == provider,
                EnrichmentRequestRow.answered.is_(None),
                CaseRow.closed.is_(None),
            )
            .order_by(EnrichmentRequestRow.created)
        ).all()
        subjects: dict[str, list[str]] = defaultdict(list)
        for case_id, subject in self.session.execute(
            select(CaseSubject.case_id, CaseSubject.subject)
            .where(CaseSubject.case_id.in_({r.case_id for r, _ in rows}))
            .order_by(CaseSubject.subject)
        ):
            subjects[case_id].append(subject)
        return [
            PendingRequest(
                r.id,
                r.case_id,
                r.category,
                case.purpose,
                case.phase,
                case.covenant,
                r.requested_by,
                tuple(subjects[r.case_id]),
            )
            for r, case in rows
        ]

    def mark_answered(self, case_id: str, provider: str, category: str, now: datetime) -> None:
        self.session.execute(
            update(EnrichmentRequestRow)
            .where(
                EnrichmentRequestRow.case_id == case_id,
                EnrichmentRequestRow.provider == provider,
                EnrichmentRequestRow.category == category,
                EnrichmentRequestRow.answered.is_(None),
            )
            .values(answered=now)
        )

    def encryption_key(self, kid: str) -> PartyKeyRow | None:
        return self.session.get(PartyKeyRow, kid)

    def item_exists(self, item_id: str) -> bool:
        return self.session.get(DossierItemRow, item_id) is not None

    def add_item(
        self,
        item_id: str,
        case_id: str,
        provider: str,
        category: str,
        header: bytes,
        ciphertext: bytes,
        signature: bytes,
        wraps: Sequence[tuple[str, str, bytes]],
        now: datetime,
    ) -> None:
        """Store a sealed item and its wraps as (kid, party, wrap)."""
        self.session.add(
            DossierItemRow(
                id=item_id,
                case_id=case_id,
                provider=provider,
                category=category,
                header=header,
                ciphertext=ciphertext,
                signature=signature,
                created=now,
            )
        )
        self.session.flush()
        for kid, party, wrap in wraps:
            self.session.add(DossierWrap(item_id=item_id, kid=kid, party=party, wrap=wrap))
        self.session.flush()

    def sealed_for(self, case_id: str, party: str) -> list[StoredItem]:
        """The case's items sealed for ``party``, each with only that party's wraps, oldest first."""
        rows = self.session.execute(
            select(DossierItemRow, DossierWrap)
            .join(DossierWrap, DossierWrap.item_id == DossierItemRow.id)
            .where(DossierItemRow.case_id == case_id, DossierWrap.party == party)
            .order_by(DossierItemRow.created, DossierItemRow.id)
        ).all()
        grouped: dict[str, tuple[DossierItemRow, list[tuple[str, bytes]]]] = {}
        for item, wrap in rows:
            grouped.setdefault(item.id, (item, []))[1].append((wrap.kid, wrap.wrap))
        return [
            StoredItem(i.id, i.provider, i.category, i.header, i.ciphertext, i.signature, tuple(wraps))
            for i, wraps in grouped.values()
        ]

    def providers(self, case_id: str) -> set[str]:
        """The parties that provided items in the case."""
        return set(
            self.session.execute(
                select(DossierItemRow.provider).where(DossierItemRow.case_id == case_id)
            ).scalars()
        )


class FollowUpRepository:
    """Action points, the case's fed-back outcome, and retention of its items."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_action(
        self, action_id: str, case_id: str, kind: str, owner: str, deadline: datetime, now: datetime
    ) -> ActionView:
        row = ActionPoint(
            id=action_id,
            case_id=case_id,
            kind=kind,
            owner=owner,
            deadline=as_utc(deadline),
            status="open",
            updated=now,
        )
        self.session.add(row)
        self.session.flush()
        return self._view(row, now)

    def action(self, case_id: str, action_id: str, now: datetime) -> ActionView | None:
        row = self.session.get(ActionPoint, action_id)
        if row is None or row.case_id != case_id:
            return None
        return self._view(row, now)

    def set_status(self, action_id: str, status: str, reason_text: str | None, now: datetime) -> ActionView:
        """Set the status; a sealed reason given replaces the earlier one, none keeps it."""
        row = self.session.get_one(ActionPoint, action_id)
        row.status, row.updated = status, now
        if reason_text is not None:
            row.reason_text = reason_text
        self.session.flush()
        return self._view(row, now)

    def actions(self, case_id: str, now: datetime) -> list[ActionView]:
        rows = self.session.execute(
            select(ActionPoint).where(ActionPoint.case_id == case_id).order_by(ActionPoint.deadline)
        ).scalars()
        return [self._view(r, now) for r in rows]

    @staticmethod
    def _view(row: ActionPoint, now: datetime) -> ActionView:
        return action_view(
            row.id, row.case_id, row.kind, row.owner, row.deadline, row.status, row.reason_text, now
        )

    def set_outcome(self, case_id: str, outcome: str, now: datetime) -> None:
        existing = self.session.get(CaseOutcome, case_id)
        if existing is None:
            self.session.add(CaseOutcome(case_id=case_id, outcome=outcome, decided=now))
        else:
            existing.outcome, existing.decided = outcome, now
        self.session.flush()

    def outcome(self, case_id: str) -> str | None:
        row = self.session.get(CaseOutcome, case_id)
        return row.outcome if row is not None else None

    def items(self, case_id: str) -> list[tuple[str, str]]:
        """The case's items as (item id, category)."""
        return [
            (i, c)
            for i, c in self.session.execute(
                select(DossierItemRow.id, DossierItemRow.category).where(DossierItemRow.case_id == case_id)
            )
        ]

    def keep_until(self, item_id: str, until: datetime) -> None:
        self.session.merge(ItemRetention(item_id=item_id, until=until))

    def expired(self, now: datetime) -> list[tuple[str, str, str]]:
        """Items past retention and not yet shredded, as (item id, case id, category)."""
        return [
            (i, c, k)
            for i, c, k in self.session.execute(
                select(DossierItemRow.id, DossierItemRow.case_id, DossierItemRow.category)
                .join(ItemRetention, ItemRetention.item_id == DossierItemRow.id)
                .where(ItemRetention.until <= now, ItemRetention.shredded.is_(None))
                .order_by(ItemRetention.until, DossierItemRow.id)
            )
        ]

    def shred(self, item_id: str, now: datetime) -> None:
        """Delete every wrap of the item: nobody can open it any more."""
        self.session.execute(delete(DossierWrap).where(DossierWrap.item_id == item_id))
        self.session.execute(
            update(ItemRetention).where(ItemRetention.item_id == item_id).values(shredded=now)
        )
