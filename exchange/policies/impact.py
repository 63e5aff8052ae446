"""What a covenant revision would change in practice: past decisions and hit/no-hit answers
replayed under the new version.

Pure: takes log events (as the log stores them) and compiled versions; the CLI reads the log. What
"was" is the logged outcome, or, when an old version is given, what that version decides about the
same request. Validity dates are ignored on purpose: the question is what the rules say about the
same requests, not whether a version was in force then. The report names cases, parties, categories
and articles, never a subject (docs/specs/covenant-format.md, "Impact of a revision").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exchange.errors import InvalidInputError
from exchange.policies.compiler import CompiledPolicy
from exchange.policies.decision import DecisionRequest
from exchange.policies.engine import DecisionEngine
from exchange.policies.impact_answers import NEWLY, NO_LONGER, AnswerChange, AnswerReplay

#: Rows per list in :meth:`ImpactReport.to_data` and :meth:`ImpactReport.render` unless told otherwise.
DEFAULT_LIMIT = 500


@dataclass(frozen=True, slots=True)
class ImpactRow:
    """One logged decision whose outcome the revised version changes (``index`` is its log index)."""

    index: int
    request: DecisionRequest
    was_allowed: bool
    now_allowed: bool
    now_form: str | None
    was_articles: tuple[str, ...]
    now_articles: tuple[str, ...]
    now_reason: str
    case: str | None = None
    now_code: str = ""

    def render(self) -> str:
        r = self.request
        was = f"allowed (art. {', '.join(self.was_articles)})" if self.was_allowed else "denied"
        now = (
            f"allowed (art. {', '.join(self.now_articles)})"
            if self.now_allowed
            else f"denied: {self.now_reason}"
        )
        case = f" (case {self.case})" if self.case else ""
        return (
            f"#{self.index}{case}: {r.requester} ({r.role}) <- {r.provider} '{r.category}' for '{r.purpose}' "
            f"in {r.phase}: {was} -> {now}"
        )

    def to_data(self) -> dict[str, Any]:
        r = self.request
        return {
            "index": self.index,
            "case": self.case,
            "requester": r.requester,
            "role": r.role,
            "provider": r.provider,
            "category": r.category,
            "purpose": r.purpose,
            "phase": r.phase,
            "was_allowed": self.was_allowed,
            "was_articles": list(self.was_articles),
            "now_allowed": self.now_allowed,
            "now_form": self.now_form,
            "now_articles": list(self.now_articles),
            "now_code": self.now_code,
            "now_reason": self.now_reason,
        }


@dataclass(frozen=True, slots=True)
class ImpactReport:
    """What a revision changes in the log: decisions and hit/no-hit answers that would change, the
    cases they belong to and the parties whose decisions or answers change (requesters and providers).
    Holds no pseudonym, no subject and no free text; reasons are exchange's own sentences."""

    covenant: str  # the revised version, "pit/2021"
    label: str  # its label, "PIT 2021"
    against: str | None  # the version compared with; None: the logged outcomes
    against_label: str | None
    decisions_replayed: int
    decisions_changed: tuple[ImpactRow, ...]
    answers_replayed: int  # hit-query events replayed
    answers_changed: tuple[AnswerChange, ...]
    cases: tuple[str, ...]  # sorted
    parties: tuple[str, ...]  # sorted

    @property
    def changed(self) -> bool:
        """Whether the revision changes any decision or answer."""
        return bool(self.decisions_changed or self.answers_changed)

    @property
    def answers_lost(self) -> int:
        """Answers that were given and would no longer be."""
        return sum(a.answers for a in self.answers_changed if a.change == NO_LONGER)

    @property
    def answers_gained(self) -> int:
        """Answers that would now be given (their outcome is unknown)."""
        return sum(a.answers for a in self.answers_changed if a.change == NEWLY)

    def render(self, limit: int = DEFAULT_LIMIT) -> list[str]:
        """Lines for a terminal: the changed decisions and answers (at most ``limit`` of each),
        then a summary naming the cases and parties."""
        cid = self.covenant.split("/")[0].upper()
        was = self.against_label or "the logged outcomes"
        lines = [f"Impact of {self.label} compared with {was}:"]
        lines += [row.render() for row in self.decisions_changed[:limit]]
        lines += [_more(len(self.decisions_changed), limit, "decision")]
        lines.append(
            f"{len(self.decisions_changed)} of {self.decisions_replayed} past {cid} decisions "
            f"would change under {self.label}"
        )
        lines += [row.render() for row in self.answers_changed[:limit]]
        lines += [_more(len(self.answers_changed), limit, "answer row")]
        lines.append(
            f"{self.answers_replayed} past {cid} hit/no-hit answers replayed: {self.answers_lost} would no "
            f"longer be given, {self.answers_gained} would now be given ({len(self.answers_changed)} rows)"
        )
        lines.append(f"cases affected: {', '.join(self.cases) or 'none'}")
        lines.append(f"parties affected: {', '.join(self.parties) or 'none'}")
        return [line for line in lines if line]

    def to_data(self, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
        """JSON-ready and compact: at most ``limit`` entries per list, with how many were left out."""
        return {
            "covenant": self.covenant,
            "label": self.label,
            "against": self.against,
            "against_label": self.against_label,
            "decisions": {
                "replayed": self.decisions_replayed,
                "changed": len(self.decisions_changed),
                "rows": [r.to_data() for r in self.decisions_changed[:limit]],
                "omitted": max(0, len(self.decisions_changed) - limit),
            },
            "answers": {
                "replayed": self.answers_replayed,
                "changed": len(self.answers_changed),
                "no_longer_answered": self.answers_lost,
                "newly_answered": self.answers_gained,
                "rows": [a.to_data() for a in self.answers_changed[:limit]],
                "omitted": max(0, len(self.answers_changed) - limit),
            },
            "cases": list(self.cases[:limit]),
            "cases_omitted": max(0, len(self.cases) - limit),
            "parties": list(self.parties[:limit]),
            "parties_omitted": max(0, len(self.parties) - limit),
        }


def _more(total: int, limit: int, what: str) -> str:
    return f"({total - limit} more {what}s not shown)" if total > limit else ""


def _covenant_id(e: dict[str, Any]) -> str:
    covenant = (e.get("processingActivity") or {}).get("covenant") or ""
    return str(covenant).split("/")[0]


def _decision_row(
    engine: DecisionEngine,
    new: CompiledPolicy,
    old: CompiledPolicy | None,
    index: int,
    e: dict[str, Any],
) -> ImpactRow | None:
    """The decision event replayed under ``new``, if its outcome differs from what was."""
    actor = e["actor"]
    request = DecisionRequest(
        actor["party"],
        actor.get("role") or "",
        e["counterparty"],
        e.get("category") or "",
        e.get("purpose") or "",
        e.get("phase") or "",
        str(new.covenant.ref),
        datetime.fromisoformat(e["time"].replace("Z", "+00:00")),
    )
    d = engine.decide_under(new.digest, request)
    if old is None:
        was = e.get("outcome") == "allowed"
        was_articles = tuple((e.get("processingActivity") or {}).get("articles") or ())
    else:
        before = engine.decide_under(old.digest, request)
        was, was_articles = before.allowed, before.articles
    if d.allowed == was:
        return None
    return ImpactRow(
        index,
        request,
        was,
        d.allowed,
        str(d.form) if d.form else None,
        was_articles,
        d.articles,
        d.reason,
        e.get("case") or None,
        d.code,
    )


def impact(
    events: Iterable[tuple[int, dict[str, Any]]],
    new: CompiledPolicy,
    old: CompiledPolicy | None = None,
) -> ImpactReport:
    """Replay the ``decision`` and ``hit-query`` events of ``new``'s covenant under ``new``.

    ``events`` are (log index, event as the log stores it) of any action; only decisions and
    hit/no-hit answers of ``new``'s covenant count. Without ``old``, what was is the logged outcome;
    with it, what ``old`` decides about the same request. Raises :class:`InvalidInputError` when
    ``old`` is a version of another covenant.
    """
    cid = new.covenant.ref.id
    if old is not None and old.covenant.ref.id != cid:
        raise InvalidInputError(
            f"these are different covenants: '{old.covenant.ref.id}' and '{cid}'; "
            "compare two versions of the same covenant"
        )
    engine = DecisionEngine([new] if old is None else [old, new])
    answers = AnswerReplay(engine, new, old)
    decisions_replayed = 0
    decisions: list[ImpactRow] = []
    for index, e in events:
        action = e.get("action")
        if action not in ("decision", "hit-query") or _covenant_id(e) != cid or not e.get("counterparty"):
            continue
        if action == "hit-query":
            answers.add(e)
            continue
        decisions_replayed += 1
        row = _decision_row(engine, new, old, index, e)
        if row is not None:
            decisions.append(row)
    changed = answers.changes()
    cases = {r.case for r in decisions if r.case} | {a.case for a in changed if a.case}
    parties = {p for r in decisions for p in (r.request.requester, r.request.provider)}
    parties |= {p for a in changed for p in (a.requester, a.provider)}
    return ImpactReport(
        str(new.covenant.ref),
        new.covenant.label,
        str(old.covenant.ref) if old is not None else None,
        old.covenant.label if old is not None else None,
        decisions_replayed,
        tuple(decisions),
        answers.replayed,
        tuple(changed),
        tuple(sorted(cases)),
        tuple(sorted(parties)),
    )


def replay(events: Iterable[tuple[int, dict[str, Any]]], new: CompiledPolicy) -> tuple[int, list[ImpactRow]]:
    """Replay decision events of ``new``'s covenant under ``new``; return (replayed, changed rows).

    Hit/no-hit answers are left out; :func:`impact` covers both."""
    report = impact(((i, e) for i, e in events if e.get("action") == "decision"), new)
    return report.decisions_replayed, list(report.decisions_changed)
