"""What a covenant revision would change in practice: past decisions replayed under the new version.

Pure: takes decision events (as the log stores them) and a compiled version; the CLI reads the log.
Validity dates are ignored on purpose: the question is what the new rules say about the same requests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exchange.policies.compiler import CompiledPolicy
from exchange.policies.decision import DecisionRequest
from exchange.policies.engine import DecisionEngine


@dataclass(frozen=True, slots=True)
class ImpactRow:
    index: int
    request: DecisionRequest
    was_allowed: bool
    now_allowed: bool
    now_form: str | None
    was_articles: tuple[str, ...]
    now_articles: tuple[str, ...]
    now_reason: str

    def render(self) -> str:
        r = self.request
        was = f"allowed (art. {', '.join(self.was_articles)})" if self.was_allowed else "denied"
        now = (
            f"allowed (art. {', '.join(self.now_articles)})"
            if self.now_allowed
            else f"denied: {self.now_reason}"
        )
        return (
            f"#{self.index}: {r.requester} ({r.role}) <- {r.provider} '{r.category}' for '{r.purpose}' "
            f"in {r.phase}: {was} -> {now}"
        )


def replay(events: Iterable[tuple[int, dict[str, Any]]], new: CompiledPolicy) -> tuple[int, list[ImpactRow]]:
    """Replay decision events of ``new``'s covenant under ``new``; return (replayed, changed rows)."""
    engine = DecisionEngine([new])
    cid = new.covenant.ref.id
    replayed = 0
    changed = []
    for index, e in events:
        covenant = ((e.get("processingActivity") or {}).get("covenant")) or ""
        if e.get("action") != "decision" or covenant.split("/")[0] != cid or not e.get("counterparty"):
            continue
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
        replayed += 1
        was = e.get("outcome") == "allowed"
        if d.allowed != was:
            changed.append(
                ImpactRow(
                    index,
                    request,
                    was,
                    d.allowed,
                    str(d.form) if d.form else None,
                    tuple(e["processingActivity"].get("articles") or ()),
                    d.articles,
                    d.reason,
                )
            )
    return replayed, changed
