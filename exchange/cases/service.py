"""Case use cases on a session the edge owns: they never commit, and every step appends its log
event in the same transaction, so an action and its record stand or fall together.

Visibility: only a case's participating parties see it; anyone else gets the same "no such case"
as for an id that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.crypto.pseudonym import parse_pseudonym
from exchange.errors import ConflictError, DeniedError, InvalidInputError, NotFoundError
from exchange.policies.decision import Decision, DecisionRequest
from exchange.policies.engine import LEGAL_TIMEZONE, DecisionEngine
from exchange.policies.model import Covenant
from exchange.storage.audit_store import AuditLog
from exchange.storage.models import CaseParty, CaseRow, CaseSubject, HitIndexEntry, SelectionReview
from exchange.vocabulary import Caller, Category, PartyId, Phase, Purpose

PHASES = list(Phase)
MAX_INDEX_BATCH = 100_000


@dataclass(frozen=True, slots=True)
class HitAnswer:
    subject: str
    provider: str
    category: str
    hit: bool
    form: str  # what the covenant allows next: hit (only this answer) or content (enrichment)
    articles: tuple[str, ...]
    log_index: int


class CaseFacts(Protocol):
    """What an event about a case and a covenant decision read of it: a :class:`CaseRow`, or
    :class:`CaseView` where the ORM object is not needed."""

    @property
    def id(self) -> str: ...
    @property
    def covenant(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def phase(self) -> str: ...
    @property
    def closed(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case read with one Core statement, for paths that only read it (hit/no-hit)."""

    id: str
    covenant: str
    purpose: str
    phase: str
    closed: datetime | None


_CASES = cast(Table, CaseRow.__table__)
_CASE_PARTIES = cast(Table, CaseParty.__table__)
_VISIBLE_CASE = (
    select(_CASES.c.id, _CASES.c.covenant, _CASES.c.purpose, _CASES.c.phase, _CASES.c.closed)
    .join(_CASE_PARTIES, _CASE_PARTIES.c.case_id == _CASES.c.id)
    .where(_CASES.c.id == bindparam("case"), _CASE_PARTIES.c.party == bindparam("party"))
)

_CASE_SUBJECTS = cast(Table, CaseSubject.__table__)
_SUBJECTS = (
    select(_CASE_SUBJECTS.c.subject)
    .where(_CASE_SUBJECTS.c.case_id == bindparam("case"))
    .order_by(_CASE_SUBJECTS.c.subject)
)


class CaseService:
    def __init__(self, decisions: DecisionEngine, log: AuditLog) -> None:
        self.decisions = decisions
        self.log = log
        #: Called in the closing transaction (retention deadlines are set there).
        self.on_close: list[Callable[[Session, CaseRow, datetime], None]] = []
        self._pairs_cache: dict[tuple[object, ...], list[tuple[str, Category, Decision]]] = {}

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def event(
        c: Caller, trace: str, action: Action, outcome: Outcome, case: CaseFacts, **kw: object
    ) -> Event:
        """An event about ``case`` by the caller, with the case's purpose, covenant and phase."""
        return Event(
            datetime.now(UTC),
            trace,
            action,
            Actor(c.party, c.user, c.role),
            outcome,
            case=case.id,
            purpose=case.purpose,
            covenant=case.covenant,
            phase=case.phase,
            **kw,  # type: ignore[arg-type]
        )

    def record(
        self, s: Session, c: Caller, trace: str, action: Action, outcome: Outcome, case: CaseRow, **kw: object
    ) -> int:
        """Append an event about ``case`` by the caller; returns its log index. Never commits."""
        return self.log.append(s, self.event(c, trace, action, outcome, case, **kw)).index

    def covenant_of(self, case: CaseRow, moment: datetime) -> Covenant:
        return self._covenant(case.covenant, moment)

    def _covenant(self, ref: str, moment: datetime) -> Covenant:
        covenant = self.decisions.covenant(ref, moment)
        if covenant is None:
            raise DeniedError(f"no version of covenant '{ref}' is in force now")
        return covenant

    def view(self, s: Session, c: Caller, case_id: str) -> CaseView:
        """The case, if the caller is one of its parties; otherwise 'no case', as for a case that
        does not exist. One Core statement, no ORM object."""
        row = s.connection().execute(_VISIBLE_CASE, {"case": case_id, "party": c.party}).first()
        if row is None:
            raise NotFoundError(f"no case '{case_id}'")
        return CaseView(row.id, row.covenant, row.purpose, row.phase, row.closed)

    def visible(self, s: Session, c: Caller, case_id: str) -> CaseRow:
        """The case as an ORM object, if the caller is one of its parties (checked by :meth:`view`)."""
        self.view(s, c, case_id)
        return s.get_one(CaseRow, case_id)  # view() has just read it in this transaction

    def _coordinated(self, s: Session, c: Caller, case_id: str) -> CaseRow:
        case = self.visible(s, c, case_id)
        if case.coordinator != c.party or c.role != "coordinator":
            raise DeniedError("only the case's coordinator may do this")
        if case.closed is not None:
            raise ConflictError("the case is closed")
        return case

    def subjects(self, s: Session, case_id: str) -> list[str]:
        return list(s.connection().execute(_SUBJECTS, {"case": case_id}).scalars())

    def parties(self, s: Session, case_id: str) -> list[str]:
        return list(
            s.execute(
                select(CaseParty.party).where(CaseParty.case_id == case_id).order_by(CaseParty.party)
            ).scalars()
        )

    # -- the case ------------------------------------------------------------------------------

    def create(
        self,
        s: Session,
        c: Caller,
        covenant_ref: str,
        purpose: str,
        subjects: list[str],
        trace: str,
        now: datetime,
    ) -> CaseRow:
        """A coordinator opens a case from a signal, for one purpose of a covenant in force."""
        if c.role != "coordinator":
            raise DeniedError("only a coordinator opens cases")
        covenant = self._covenant(covenant_ref, now)
        if PartyId(c.party) not in covenant.parties:
            raise DeniedError(f"'{c.party}' is not a party to {covenant.label}")
        if Purpose(purpose) not in covenant.purposes:
            raise InvalidInputError(f"'{purpose}' is not a purpose of {covenant.label}")
        unique = list(dict.fromkeys(subjects))
        if not unique:
            raise InvalidInputError("a case needs at least one subject")
        if len(unique) > covenant.query_limit:
            raise DeniedError(
                f"{covenant.label} allows at most {covenant.query_limit} subjects per case (no bulk matching)"
            )
        for subject in unique:
            parse_pseudonym(subject)
        case = CaseRow(
            id=f"case-{uuid.uuid4().hex[:16]}",
            covenant=str(covenant.ref),
            purpose=purpose,
            phase=str(Phase.SIGNAL),
            coordinator=c.party,
            created=now,
        )
        s.add(case)
        s.flush()
        s.execute(insert(CaseSubject), [{"case_id": case.id, "subject": x} for x in unique])
        s.add(CaseParty(case_id=case.id, party=c.party))
        s.flush()
        for subject in unique:
            self.record(s, c, trace, Action.CASE_CREATED, Outcome.DONE, case, subject=subject)
        return case

    def add_party(self, s: Session, c: Caller, case_id: str, party: str, trace: str) -> None:
        case = self._coordinated(s, c, case_id)
        covenant = self._covenant(case.covenant, datetime.now(UTC))
        if PartyId(party) not in covenant.parties:
            raise InvalidInputError(f"'{party}' is not a party to {covenant.label}")
        if s.get(CaseParty, (case_id, party)) is None:
            s.add(CaseParty(case_id=case_id, party=party))
            self.record(
                s,
                c,
                trace,
                Action.CASE_TRANSITION,
                Outcome.DONE,
                case,
                counterparty=party,
                details={"change": "party-added"},
            )

    def transition(
        self, s: Session, c: Caller, case_id: str, to: str, reason: str | None, trace: str, now: datetime
    ) -> CaseRow:
        """Move a case one phase on; a selection needs a reason; any phase may go to closed."""
        case = self._coordinated(s, c, case_id)
        try:
            target = Phase(to)
        except ValueError:
            raise InvalidInputError(f"unknown phase '{to}'") from None
        current = PHASES.index(Phase(case.phase))
        if target is not Phase.CLOSED and PHASES.index(target) != current + 1:
            raise ConflictError(
                f"a case in phase '{case.phase}' can move to "
                f"'{PHASES[current + 1]}' or 'closed', not '{target}'"
            )
        if target is Phase.PREPARATION:  # leaving selection: the case was selected
            if not reason or len(reason.strip()) < 10:
                raise InvalidInputError("the selection decision needs a reason (at least 10 characters)")
            case.selection_reason = " ".join(reason.split())[:2000]
        if target is Phase.CLOSED:
            if not reason:
                raise InvalidInputError("closing a case needs a reason")
            case.closed = now
            for hook in self.on_close:
                hook(s, case, now)
        case.phase = str(target)
        s.flush()
        self.record(
            s,
            c,
            trace,
            Action.SELECTION if target is Phase.PREPARATION else Action.CASE_TRANSITION,
            Outcome.DONE,
            case,
            reason=reason,
        )
        return case

    def review_selection(
        self, s: Session, c: Caller, case_id: str, verdict: str, note: str, trace: str, now: datetime
    ) -> None:
        """A jurist of a participating party reviews the recorded selection decision."""
        case = self.visible(s, c, case_id)
        if c.role != "jurist":
            raise DeniedError("only a jurist reviews a selection decision")
        if case.selection_reason is None:
            raise ConflictError("the case has no selection decision to review yet")
        if verdict not in ("approved", "concerns"):
            raise InvalidInputError("verdict must be 'approved' or 'concerns'")
        if len(note.strip()) < 10:
            raise InvalidInputError("the review needs a note (at least 10 characters)")
        s.merge(
            SelectionReview(
                case_id=case_id,
                reviewer_party=c.party,
                reviewer=c.user,
                verdict=verdict,
                note=" ".join(note.split())[:2000],
                reviewed=now,
            )
        )
        self.record(
            s, c, trace, Action.SELECTION, Outcome.DONE, case, reason=note, details={"review": verdict}
        )

    def reviews(self, s: Session, case_id: str) -> list[SelectionReview]:
        return list(s.execute(select(SelectionReview).where(SelectionReview.case_id == case_id)).scalars())

    # -- hit/no-hit ----------------------------------------------------------------------------

    def _allowed_pairs(
        self, c: Caller, case: CaseFacts, now: datetime
    ) -> list[tuple[str, Category, Decision]]:
        """The (provider, category) pairs the caller may ask about, with their decisions. The same
        inputs give the same answer, so it is cached per policy generation, requester, role, case
        purpose and phase, and legal day (a covenant version starts and ends on a day)."""
        day = now.astimezone(LEGAL_TIMEZONE).date()
        key = (self.decisions.generation, case.covenant, c.party, c.role, case.purpose, case.phase, day)
        cached = self._pairs_cache.get(key)
        if cached is not None:
            return cached
        covenant = self._covenant(case.covenant, now)
        allowed = []
        for provider in covenant.parties:
            if provider == c.party:
                continue
            for category in covenant.categories:
                request = DecisionRequest(
                    c.party, c.role, provider, category, case.purpose, case.phase, case.covenant, now
                )
                d = self.decisions.decide(request)
                if d.allowed:
                    allowed.append((str(provider), category, d))
        if len(self._pairs_cache) >= 4096:
            self._pairs_cache.clear()
        self._pairs_cache[key] = allowed
        return allowed

    def update_index(
        self, s: Session, c: Caller, category: str, add: Iterable[str], remove: Iterable[str], trace: str
    ) -> tuple[int, int]:
        """Add or remove subject pseudonyms in the caller's own index for one category."""
        add_list, remove_list = list(dict.fromkeys(add)), list(dict.fromkeys(remove))
        if len(add_list) + len(remove_list) > MAX_INDEX_BATCH:
            raise InvalidInputError(f"at most {MAX_INDEX_BATCH} subjects per request; send batches")
        for subject in (*add_list, *remove_list):
            parse_pseudonym(subject)
        dialect = s.get_bind().dialect.name
        stmt = (sqlite_insert if dialect == "sqlite" else pg_insert)(HitIndexEntry).on_conflict_do_nothing()
        for i in range(0, len(add_list), 5000):
            s.execute(
                stmt, [{"party": c.party, "category": category, "subject": x} for x in add_list[i : i + 5000]]
            )
        for i in range(0, len(remove_list), 5000):
            s.execute(
                delete(HitIndexEntry).where(
                    HitIndexEntry.party == c.party,
                    HitIndexEntry.category == category,
                    HitIndexEntry.subject.in_(remove_list[i : i + 5000]),
                )
            )
        event = Event(
            datetime.now(UTC),
            trace,
            Action.INDEX_UPDATE,
            Actor(c.party, c.user, c.role),
            Outcome.DONE,
            category=category,
            details={"added": len(add_list), "removed": len(remove_list)},
        )
        self.log.append(s, event)
        return len(add_list), len(remove_list)

    def hits(self, s: Session, c: Caller, case_id: str, trace: str, now: datetime) -> list[HitAnswer]:
        """For each of the case's subjects, hit or no-hit per (party, category) the covenant lets the
        caller ask about in this case's purpose and phase; every other pair is simply absent.
        One log event per answer."""
        case = self.view(s, c, case_id)
        if case.closed is not None:
            raise ConflictError("the case is closed")
        subjects = self.subjects(s, case_id)
        allowed = self._allowed_pairs(c, case, now)
        if not allowed:
            return []
        providers = sorted({p for p, _, _ in allowed})
        held: set[tuple[str, str, str]] = set(
            s.execute(
                select(HitIndexEntry.party, HitIndexEntry.category, HitIndexEntry.subject).where(
                    HitIndexEntry.subject.in_(subjects), HitIndexEntry.party.in_(providers)
                )
            )
        )
        # The answers share who asked, when, in which case and trace: one event is made and checked,
        # and each answer derives its own from it.
        base = self.event(c, trace, Action.HIT_QUERY, Outcome.NO_HIT, case)
        pairs = [
            (p, category, d.policy_digest, d.articles, d.legal_grounds, str(d.form))
            for p, category, d in allowed
        ]
        pending: list[tuple[str, str, str, tuple[str, ...], str, bool]] = []
        events = []
        for subject in subjects:
            about = base.derive(subject=subject)  # the pseudonym is checked once per subject
            for provider, category, digest, articles, grounds, form in pairs:
                hit = (provider, category, subject) in held
                pending.append((subject, provider, category, articles, form, hit))
                events.append(
                    about.derive(
                        outcome=Outcome.HIT if hit else Outcome.NO_HIT,
                        counterparty=provider,
                        category=category,
                        policy_digest=digest,
                        articles=articles,
                        legal_grounds=grounds,
                    )
                )
        # One event per answer, appended together: the answers are returned only after they are logged.
        indexes = self.log.append_many(s, events)
        return [
            HitAnswer(subject, provider, category, hit, form, articles, index)
            for (subject, provider, category, articles, form, hit), index in zip(
                pending, indexes, strict=True
            )
        ]
