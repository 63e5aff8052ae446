"""What a covenant revision would change in hit/no-hit answers: logged ``hit-query`` events replayed.

A hit/no-hit query answers, for each subject of a case, every (provider, category) pair the covenant
lets the requester ask about in the case's purpose and phase; each answer is one ``hit-query`` event,
and the answers of one query share a trace id (ADR 0008, ``exchange.cases.hits``). A revision can
therefore change two things about a past query: an answered pair the new version denies would no
longer be answered, and a pair the new version allows that was not answered would now be answered
(its outcome is unknown: no index is ever looked up here).

Pure and deterministic: events come in as the log stores them, and the result holds counts, never
a pseudonym. The subjects are counted per changed row, distinct within a case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from exchange.policies.compiler import CompiledPolicy
from exchange.policies.decision import Decision, DecisionRequest
from exchange.policies.engine import DecisionEngine

#: The two kinds of change to an answer.
NO_LONGER = "no-longer-answered"
NEWLY = "newly-answered"

Pair = tuple[str, str]  # provider, category
Context = tuple[str, str, str, str]  # requester, role, purpose, phase


@dataclass(frozen=True, slots=True)
class AnswerChange:
    """Hit/no-hit answers of one case that a revision changes, for one requester, role, provider,
    category, purpose and phase: how many subjects and answers, and why."""

    case: str
    requester: str
    role: str
    provider: str
    category: str
    purpose: str
    phase: str
    change: str  # NO_LONGER or NEWLY
    subjects: int  # distinct subjects of the case the change concerns
    answers: int  # answers given that would not be, or answers that would be given
    code: str  # the new version's reason code ("allowed" for an answer it now gives)
    reason: str  # the new version's reason, written by exchange from the covenant
    articles: tuple[str, ...]  # the articles the answer was (NO_LONGER) or would be (NEWLY) given under

    def render(self) -> str:
        who = (
            f"case {self.case}: {self.requester} ({self.role}) <- {self.provider} '{self.category}' "
            f"for '{self.purpose}' in {self.phase}"
        )
        counts = f"{self.subjects} subject(s), {self.answers} answer(s)"
        if self.change == NO_LONGER:
            was = f" (art. {', '.join(self.articles)})" if self.articles else ""
            return f"{who}: would no longer be answered{was}: {self.reason} [{counts}]"
        return f"{who}: would now be answered (art. {', '.join(self.articles)}) [{counts}]"

    def to_data(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "requester": self.requester,
            "role": self.role,
            "provider": self.provider,
            "category": self.category,
            "purpose": self.purpose,
            "phase": self.phase,
            "change": self.change,
            "subjects": self.subjects,
            "answers": self.answers,
            "code": self.code,
            "reason": self.reason,
            "articles": list(self.articles),
        }


@dataclass(slots=True)
class _Answered:
    """The logged answers of one pair in one query."""

    articles: tuple[str, ...]
    subjects: set[int] = field(default_factory=set)
    answers: int = 0


@dataclass(slots=True)
class _Group:
    """The answers of one query (one case and trace): who asked, in which purpose and phase, about
    which subjects (as small numbers, so no pseudonym is kept twice), and per answered pair the
    subjects, the number of answers and the articles it was answered under."""

    case: str
    context: Context
    moment: datetime
    subjects: set[int] = field(default_factory=set)
    answered: dict[Pair, _Answered] = field(default_factory=dict)


@dataclass(slots=True)
class _Row:
    """One changed row while it is being counted; ``decision`` is the new version's."""

    decision: Decision
    subjects: set[int] = field(default_factory=set)
    answers: int = 0
    articles: tuple[str, ...] = ()


class AnswerReplay:
    """Collects ``hit-query`` events of ``new``'s covenant and compares, per query, the pairs that
    were answered (or that ``old`` allows, when given) with the pairs ``new`` allows."""

    def __init__(self, engine: DecisionEngine, new: CompiledPolicy, old: CompiledPolicy | None) -> None:
        self.engine = engine
        self.new = new
        self.old = old
        self.replayed = 0
        self._groups: dict[tuple[str, str], _Group] = {}
        self._subject_ids: dict[str, int] = {}
        self._decided: dict[tuple[str, Context, Pair], Decision] = {}
        self._allowed: dict[tuple[str, Context], frozenset[Pair]] = {}

    def add(self, e: dict[str, Any]) -> None:
        """Take one ``hit-query`` event of ``new``'s covenant."""
        self.replayed += 1
        actor = e.get("actor") or {}
        case = e.get("case") or ""
        key = (case, e.get("traceId") or "")
        group = self._groups.get(key)
        if group is None:
            context = (
                actor.get("party") or "",
                actor.get("role") or "",
                e.get("purpose") or "",
                e.get("phase") or "",
            )
            moment = datetime.fromisoformat(e["time"].replace("Z", "+00:00"))
            group = self._groups[key] = _Group(case, context, moment)
        subject = self._subject_ids.setdefault(e.get("dataSubjectId") or "", len(self._subject_ids))
        group.subjects.add(subject)
        pair = (e.get("counterparty") or "", e.get("category") or "")
        answered = group.answered.get(pair)
        if answered is None:
            articles = tuple((e.get("processingActivity") or {}).get("articles") or ())
            answered = group.answered[pair] = _Answered(articles)
        answered.subjects.add(subject)
        answered.answers += 1

    def changes(self) -> list[AnswerChange]:
        """The changed rows, aggregated per case, requester, role, provider, category, purpose, phase
        and kind of change, in that order."""
        rows: dict[tuple[str, str, str, str, str, str, str, str], _Row] = {}
        for group in self._groups.values():
            requester, role, purpose, phase = group.context
            now = self._allowed_pairs(self.new, group)
            # Without an old version, what was answered is what the log holds.
            was = frozenset(group.answered) if self.old is None else self._allowed_pairs(self.old, group)
            for pair in was | now:
                if (pair in was) == (pair in now):
                    continue
                kind = NO_LONGER if pair in was else NEWLY
                key = (group.case, requester, role, *pair, purpose, phase, kind)
                row = rows.get(key)
                if row is None:
                    row = rows[key] = _Row(self._decide(self.new, group, pair))
                logged = group.answered.get(pair)
                if kind == NO_LONGER and logged is not None:
                    # Exactly the logged answers of this pair would not be given.
                    row.subjects |= logged.subjects
                    row.answers += logged.answers
                else:
                    # One answer per subject of the query: a query answers every allowed pair.
                    row.subjects |= group.subjects
                    row.answers += len(group.subjects)
                if kind == NEWLY:
                    row.articles = row.decision.articles
                elif self.old is not None:
                    row.articles = self._decide(self.old, group, pair).articles
                else:
                    # Without an old version a pair is lost only when it was answered: the log has
                    # the articles it was answered under.
                    row.articles = logged.articles if logged is not None else ()
        out = []
        for (case, requester, role, provider, category, purpose, phase, kind), row in sorted(rows.items()):
            d = row.decision
            out.append(
                AnswerChange(
                    case,
                    requester,
                    role,
                    provider,
                    category,
                    purpose,
                    phase,
                    kind,
                    len(row.subjects),
                    row.answers,
                    d.code,
                    d.reason,
                    row.articles,
                )
            )
        return out

    def _allowed_pairs(self, policy: CompiledPolicy, group: _Group) -> frozenset[Pair]:
        """The pairs ``policy`` lets the group's requester ask about, as ``HitService.hits`` builds
        them: every other party of the covenant, every category. Validity dates are ignored."""
        key = (policy.digest, group.context)
        found = self._allowed.get(key)
        if found is None:
            c = policy.covenant
            requester = group.context[0]
            found = frozenset(
                (str(p), str(k))
                for p in c.parties
                if p != requester
                for k in c.categories
                if self._decide(policy, group, (str(p), str(k))).allowed
            )
            self._allowed[key] = found
        return found

    def _decide(self, policy: CompiledPolicy, group: _Group, pair: Pair) -> Decision:
        key = (policy.digest, group.context, pair)
        d = self._decided.get(key)
        if d is None:
            requester, role, purpose, phase = group.context
            request = DecisionRequest(
                requester, role, pair[0], pair[1], purpose, phase, str(policy.covenant.ref), group.moment
            )
            # Validity dates are ignored: the question is what these rules say about the same query.
            d = self._decided[key] = self.engine.decide_under(policy.digest, request)
        return d
