"""Anomaly flags over the disclosure log: what a privacy officer should look at, not verdicts.

The rules count **requests**, not events. One request writes many events under one trace id: a KIT
hit/no-hit query logs one event per answer (about 78), a dossier read one per item (ADR 0008). A
threshold on events would flag two ordinary queries; a threshold on requests (distinct trace ids)
and on distinct subjects flags what a person would call a burst.

Each flag has a stable id, a digest of its rule, party, user and the request that opens its window,
so an acknowledgement sticks to it however often the log is scanned. Pure: rows in, flags out.
"""

from __future__ import annotations

import enum
import hashlib
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

#: Actions that disclose or reveal something about a subject to another party (what a burst counts).
DISCLOSING = frozenset(("hit-query", "disclosure", "dossier-read", "decision", "forward"))
#: Actions that should name the case they serve.
CASE_BOUND = frozenset(("decision", "hit-query", "disclosure"))
#: Domain separation for flag ids; a new rule set that changes what a flag is gets a new label.
FLAG_ID_CONTEXT = b"exchange/anomaly-flag/v1\x00"
FLAG_ID_PREFIX = "an-"
FLAG_ID_PATTERN = r"^an-[0-9a-f]{32}$"


class Kind(enum.StrEnum):
    OUTSIDE_CASE = "outside-case"
    PHASE_NOT_COVERED = "phase-not-covered"
    BURST = "burst"
    REPEATED_DENIALS = "repeated-denials"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a window of one user's requests becomes a flag (settings ``EXCHANGE_ANOMALY_*``)."""

    #: A burst: more than this many disclosing requests by one user within ``burst_window`` ...
    burst_requests: int = 50
    #: ... or disclosing requests about more than this many distinct subjects within it.
    burst_subjects: int = 200
    burst_window: timedelta = timedelta(minutes=10)
    #: Repeated denials: at least this many requests with a denial by one user within ``denial_window``.
    denials: int = 5
    denial_window: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Row:
    """The columns of one log entry the rules read; ``time`` is aware UTC."""

    index: int
    time: datetime
    trace: str
    action: str
    outcome: str
    party: str
    user: str | None
    case: str | None = None
    subject: str | None = None
    reason_code: str | None = None
    category: str | None = None
    phase: str | None = None


@dataclass(frozen=True, slots=True)
class Flag:
    """A window of one user's requests that meets a rule."""

    id: str
    kind: Kind
    party: str
    user: str | None
    start: datetime  # the first request's moment
    end: datetime  # the last request's moment
    first_index: int
    last_index: int
    requests: int  # distinct trace ids
    subjects: int  # distinct subject pseudonyms named by those requests' events
    events: int  # the log entries of those requests
    detail: str


def flag_id(kind: Kind, party: str, user: str | None, opening_trace: str) -> str:
    """``an-`` and 128 bits of SHA-256 over the rule, the party, the user and the trace id of the
    request that opens the flag's window. The same log gives the same ids on every scan."""
    text = "\x00".join((str(kind), party, user or "", opening_trace)).encode()
    return FLAG_ID_PREFIX + hashlib.sha256(FLAG_ID_CONTEXT + text).hexdigest()[:32]


@dataclass(slots=True)
class _Request:
    """All events of one trace id by one user, in log order."""

    trace: str
    party: str
    user: str | None
    time: datetime
    first_index: int
    last_index: int = -1
    events: int = 0
    subjects: set[str] = field(default_factory=set)
    discloses: bool = False
    denied: bool = False
    caseless: set[str] = field(default_factory=set)  # case-bound actions without a case
    uncovered: set[tuple[str, str]] = field(default_factory=set)  # (category, phase)

    def add(self, r: Row) -> None:
        self.last_index = r.index
        self.events += 1
        if r.subject is not None:
            self.subjects.add(r.subject)
        self.discloses |= r.action in DISCLOSING
        self.denied |= r.outcome == "denied"
        if r.action in CASE_BOUND and r.case is None:
            self.caseless.add(r.action)
        if r.reason_code == "phase-not-covered":
            self.uncovered.add((r.category or "-", r.phase or "-"))


def requests(rows: Iterable[Row]) -> list[_Request]:
    """Group rows into requests by (party, user, trace id), ordered by each request's first entry."""
    found: dict[tuple[str, str | None, str], _Request] = {}
    for r in rows:
        key = (r.party, r.user, r.trace)
        req = found.get(key)
        if req is None:
            req = found[key] = _Request(r.trace, r.party, r.user, r.time, r.index)
        req.add(r)
    return list(found.values())


def _flag(kind: Kind, reqs: list[_Request], detail: str) -> Flag:
    first = reqs[0]
    subjects = set().union(*(q.subjects for q in reqs))
    return Flag(
        flag_id(kind, first.party, first.user, first.trace),
        kind,
        first.party,
        first.user,
        first.time,
        max(q.time for q in reqs),
        min(q.first_index for q in reqs),
        max(q.last_index for q in reqs),
        len(reqs),
        len(subjects),
        sum(q.events for q in reqs),
        detail,
    )


def _some(names: Iterable[str], most: int = 3) -> str:
    names = sorted(names)
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown} and {len(names) - most} more"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _seconds(f: Flag) -> timedelta:
    return timedelta(seconds=int((f.end - f.start).total_seconds()))


class _Windows:
    """Sliding windows of one user's requests. A window that meets ``over`` opens an episode; every
    further request that keeps it met joins the episode; the first request that does not closes
    it and starts an empty window, so episodes never share a request and one long burst is one flag."""

    def __init__(self, span: timedelta, over: Callable[[int, int], bool]) -> None:
        self.span = span
        self.over = over
        self.window: deque[_Request] = deque()
        self.subjects: Counter[str] = Counter()
        self.episode: list[_Request] = []

    def push(self, req: _Request) -> list[_Request] | None:
        """Add ``req``; returns an episode that this request closed, if any."""
        self._enter(req)
        while req.time - self.window[0].time > self.span:
            self._leave()
        if self.over(len(self.window), len(self.subjects)):
            if self.episode:
                self.episode.append(req)
            else:
                self.episode = list(self.window)
            return None
        closed, self.episode = self.episode, []
        if closed:
            self.window.clear()
            self.subjects.clear()
            self._enter(req)
        return closed or None

    def finish(self) -> list[_Request] | None:
        return self.episode or None

    def _enter(self, req: _Request) -> None:
        self.window.append(req)
        self.subjects.update(req.subjects)

    def _leave(self) -> None:
        for subject in self.window.popleft().subjects:
            self.subjects[subject] -= 1
            if not self.subjects[subject]:
                del self.subjects[subject]  # no request in the window names it any more


def find(rows: Iterable[Row], limits: Thresholds) -> list[Flag]:
    """The flags in ``rows`` (log order), ordered by their first entry. What each rule counts:

    - ``outside-case``: one flag per request with a decision, hit/no-hit query or disclosure that
      names no case;
    - ``phase-not-covered``: one flag per request denied because the covenant's flow does not
      cover the case's phase (listing the categories asked);
    - ``burst``: a user's disclosing requests (decisions, hit/no-hit queries, disclosures, dossier
      reads) where more than ``burst_requests`` requests, or requests about more than
      ``burst_subjects`` distinct subjects, fall within ``burst_window``;
    - ``repeated-denials``: a user's requests with at least one denial, where ``denials`` or more
      fall within ``denial_window``.

    A request is one trace id: however many answers a query logs, it counts once.
    """
    found: list[Flag] = []
    bursts: dict[tuple[str, str | None], _Windows] = {}
    denials: dict[tuple[str, str | None], _Windows] = {}

    def burst_over(n: int, subjects: int) -> bool:
        return n > limits.burst_requests or subjects > limits.burst_subjects

    def denials_over(n: int, _: int) -> bool:
        return n >= limits.denials

    def burst(reqs: list[_Request]) -> Flag:
        f = _flag(Kind.BURST, reqs, "")
        limit = (
            f"more than {limits.burst_requests} requests"
            if f.requests > limits.burst_requests
            else f"requests about more than {limits.burst_subjects} subjects"
        )
        return replace(
            f,
            detail=f"{_count(f.requests, 'request')} about {_count(f.subjects, 'subject')} in "
            f"{_seconds(f)} ({limit} within {limits.burst_window})",
        )

    def denied(reqs: list[_Request]) -> Flag:
        f = _flag(Kind.REPEATED_DENIALS, reqs, "")
        return replace(
            f,
            detail=f"{_count(f.requests, 'request')} with a denial in {_seconds(f)} "
            f"({limits.denials} or more within {limits.denial_window})",
        )

    for req in requests(rows):
        who = (req.party, req.user)
        if req.caseless:
            found.append(_flag(Kind.OUTSIDE_CASE, [req], f"{_some(req.caseless)} without a case"))
        if req.uncovered:
            phases = _some({p for _, p in req.uncovered})
            asked = _some({c for c, _ in req.uncovered})
            detail = f"{asked} asked in phase {phases}, which the flow does not cover"
            found.append(_flag(Kind.PHASE_NOT_COVERED, [req], detail))
        if req.discloses:
            w = bursts.setdefault(who, _Windows(limits.burst_window, burst_over))
            if (episode := w.push(req)) is not None:
                found.append(burst(episode))
        if req.denied:
            w = denials.setdefault(who, _Windows(limits.denial_window, denials_over))
            if (episode := w.push(req)) is not None:
                found.append(denied(episode))
    for windows, make in ((bursts, burst), (denials, denied)):
        for w in windows.values():
            if (episode := w.finish()) is not None:
                found.append(make(episode))
    found.sort(key=lambda f: (f.first_index, f.kind))
    return found
