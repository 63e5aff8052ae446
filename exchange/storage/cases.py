"""The case repository: cases, their parties and subjects, selection reviews, and the parties' hit/no-hit
indexes. The only place that writes their SQL.

Visibility is decided here, once, for the API and the console alike: a case exists for a party only
if the party takes part in it; anyone else gets the same "no case" as for an id that does not exist.
The one exception is narrower still: a party told a case's outcome because it answered a hit reads
that outcome and nothing else of the case (:meth:`exchange.cases.followup.FollowUpService.outcome`,
ADR 0015).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.errors import NotFoundError
from exchange.storage.models import (
    CaseParty,
    CaseRow,
    CaseSubject,
    HitIndexEntry,
    HitIndexPublication,
    SelectionReview,
)
from exchange.storage.readmodels import CaseView, ReviewView

#: Rows per statement when a party changes its index (a bound on statement size, not on the request).
INDEX_CHUNK = 5000

_CASES = cast(Table, CaseRow.__table__)
_CASE_PARTIES = cast(Table, CaseParty.__table__)
_CASE_SUBJECTS = cast(Table, CaseSubject.__table__)
_CASE_COLUMNS = (
    _CASES.c.id,
    _CASES.c.covenant,
    _CASES.c.purpose,
    _CASES.c.phase,
    _CASES.c.coordinator,
    _CASES.c.closed,
    _CASES.c.selection_text,
)
# One Core statement for the hot path (every hit/no-hit query reads the case through it).
_VISIBLE_CASE = (
    select(*_CASE_COLUMNS)
    .join(_CASE_PARTIES, _CASE_PARTIES.c.case_id == _CASES.c.id)
    .where(_CASES.c.id == bindparam("case"), _CASE_PARTIES.c.party == bindparam("party"))
)
_SUBJECTS = (
    select(_CASE_SUBJECTS.c.subject)
    .where(_CASE_SUBJECTS.c.case_id == bindparam("case"))
    .order_by(_CASE_SUBJECTS.c.subject)
)
# Every published (party, category) pair: a table of at most parties x categories rows, read on the
# hot path only when an asked pair was not seen published before, as driver SQL (no parameters, no
# statement to compile: a tenth of a Core select's cost here, and the same text on both databases).
_PUBLISHED_ALL = "SELECT party, category FROM hit_index_published"


def unknown_case(case_id: str) -> NotFoundError:
    """The one answer for a case that does not exist and for another party's case."""
    return NotFoundError(f"no case '{case_id}'")


class CaseRepository:
    """Cases on the unit of work's session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- reading ---------------------------------------------------------------------------------

    def visible(self, case_id: str, party: str) -> CaseView:
        """The case, if ``party`` takes part in it; otherwise :func:`unknown_case`."""
        row = self.session.connection().execute(_VISIBLE_CASE, {"case": case_id, "party": party}).first()
        if row is None:
            raise unknown_case(case_id)
        return CaseView(
            row.id,
            row.covenant,
            row.purpose,
            row.phase,
            row.coordinator,
            as_utc(row.closed) if row.closed is not None else None,
            row.selection_text,
        )

    def get(self, case_id: str) -> CaseView | None:
        """A case whatever its parties (for the operator's jobs and the provider's inbox)."""
        row = self.session.connection().execute(select(*_CASE_COLUMNS).where(_CASES.c.id == case_id)).first()
        if row is None:
            return None
        closed = as_utc(row.closed) if row.closed is not None else None
        return CaseView(
            row.id, row.covenant, row.purpose, row.phase, row.coordinator, closed, row.selection_text
        )

    def subjects(self, case_id: str) -> list[str]:
        return list(self.session.connection().execute(_SUBJECTS, {"case": case_id}).scalars())

    def parties(self, case_id: str) -> list[str]:
        return list(
            self.session.execute(
                select(CaseParty.party).where(CaseParty.case_id == case_id).order_by(CaseParty.party)
            ).scalars()
        )

    def takes_part(self, case_id: str, party: str) -> bool:
        return self.session.get(CaseParty, (case_id, party)) is not None

    def reviews(self, case_id: str) -> list[ReviewView]:
        rows = self.session.execute(
            select(SelectionReview)
            .where(SelectionReview.case_id == case_id)
            .order_by(SelectionReview.reviewer_party)
        ).scalars()
        return [
            ReviewView(r.reviewer_party, r.reviewer, r.verdict, r.note_text, as_utc(r.reviewed)) for r in rows
        ]

    # -- writing ---------------------------------------------------------------------------------

    def add(
        self,
        case_id: str,
        covenant: str,
        purpose: str,
        phase: str,
        coordinator: str,
        created: datetime,
        subjects: Sequence[str],
    ) -> CaseView:
        """A new case with its subjects; the coordinator takes part from the start."""
        self.session.add(
            CaseRow(
                id=case_id,
                covenant=covenant,
                purpose=purpose,
                phase=phase,
                coordinator=coordinator,
                created=created,
            )
        )
        self.session.flush()
        self.session.execute(insert(CaseSubject), [{"case_id": case_id, "subject": x} for x in subjects])
        self.session.add(CaseParty(case_id=case_id, party=coordinator))
        self.session.flush()
        return CaseView(case_id, covenant, purpose, phase, coordinator, None)

    def add_party(self, case_id: str, party: str) -> bool:
        """Let ``party`` take part; False if it already did."""
        if self.takes_part(case_id, party):
            return False
        self.session.add(CaseParty(case_id=case_id, party=party))
        self.session.flush()
        return True

    def move(
        self,
        case_id: str,
        phase: str,
        *,
        selection_text: str | None = None,
        closed: datetime | None = None,
    ) -> None:
        """Set the case's phase; the sealed selection reason's id or a closing time where the move
        records one."""
        values: dict[str, object] = {"phase": phase}
        if selection_text is not None:
            values["selection_text"] = selection_text
        if closed is not None:
            values["closed"] = closed
        self.session.execute(update(CaseRow).where(CaseRow.id == case_id).values(**values))

    def put_review(
        self, case_id: str, party: str, reviewer: str, verdict: str, note_text: str, reviewed: datetime
    ) -> None:
        """A party's review of the selection decision; a later review by the same party replaces it."""
        self.session.merge(
            SelectionReview(
                case_id=case_id,
                reviewer_party=party,
                reviewer=reviewer,
                verdict=verdict,
                note_text=note_text,
                reviewed=reviewed,
            )
        )
        self.session.flush()


class IndexRepository:
    """The parties' hit/no-hit indexes: pseudonyms per (party, category), nothing else."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def publish(self, party: str, category: str, now: datetime) -> None:
        """Record that ``party`` keeps an index for ``category`` (once; later updates keep the first time)."""
        dialect = self.session.get_bind().dialect.name
        stmt = (sqlite_insert if dialect == "sqlite" else pg_insert)(
            HitIndexPublication
        ).on_conflict_do_nothing()
        self.session.execute(stmt, [{"party": party, "category": category, "first": now}])

    def published(self) -> set[tuple[str, str]]:
        """Every (party, category) pair that has published an index."""
        return {(p, c) for p, c in self.session.connection().exec_driver_sql(_PUBLISHED_ALL)}

    def add(self, party: str, category: str, subjects: Sequence[str]) -> None:
        dialect = self.session.get_bind().dialect.name
        stmt = (sqlite_insert if dialect == "sqlite" else pg_insert)(HitIndexEntry).on_conflict_do_nothing()
        for i in range(0, len(subjects), INDEX_CHUNK):
            chunk = subjects[i : i + INDEX_CHUNK]
            self.session.execute(stmt, [{"party": party, "category": category, "subject": x} for x in chunk])

    def remove(self, party: str, category: str, subjects: Sequence[str]) -> None:
        for i in range(0, len(subjects), INDEX_CHUNK):
            self.session.execute(
                delete(HitIndexEntry).where(
                    HitIndexEntry.party == party,
                    HitIndexEntry.category == category,
                    HitIndexEntry.subject.in_(subjects[i : i + INDEX_CHUNK]),
                )
            )

    def held(self, subjects: Sequence[str], providers: Sequence[str]) -> set[tuple[str, str, str]]:
        """Which (provider, category, subject) of these subjects and providers are in an index."""
        return set(
            self.session.execute(
                select(HitIndexEntry.party, HitIndexEntry.category, HitIndexEntry.subject).where(
                    HitIndexEntry.subject.in_(subjects), HitIndexEntry.party.in_(providers)
                )
            )
        )
