"""The privacy officer's questions to the log: search, the access-request report, anomalies, export.

Everything here reads the query columns of ``log_entries``; they hold pseudonyms and metadata only.
Viewing or exporting log data is itself an event (``Action.LOG_VIEW``), appended by the caller.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.storage.audit_store import COLUMN_NAMES
from exchange.storage.models import CaseSubject, LogEntry

EXPORT_FIELDS = ("idx", *COLUMN_NAMES)
# Actions that disclose or reveal something about a subject to another party.
DISCLOSING = ("hit-query", "disclosure", "dossier-read", "decision")
# Actions that disclose something about every subject of the case they belong to.
CASE_DISCLOSING = ("disclosure", "dossier-read", "feedback")


@dataclass(frozen=True, slots=True)
class LogFilter:
    subject: str | None = None
    party: str | None = None  # acting party or counterparty
    purpose: str | None = None
    article: str | None = None
    case: str | None = None
    outcome: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 1000
    other: str | None = None  # and, on the other side, this party (acting or counterparty)


def _apply(stmt: Select[Any], f: LogFilter) -> Select[Any]:
    if f.subject:
        stmt = stmt.where(LogEntry.subject == f.subject)
    if f.party:
        stmt = stmt.where((LogEntry.actor_party == f.party) | (LogEntry.counterparty == f.party))
    if f.other:
        stmt = stmt.where((LogEntry.actor_party == f.other) | (LogEntry.counterparty == f.other))
    if f.purpose:
        stmt = stmt.where(LogEntry.purpose == f.purpose)
    if f.article:
        stmt = stmt.where(LogEntry.articles.contains(f",{f.article},", autoescape=True))
    if f.case:
        stmt = stmt.where(LogEntry.case_id == f.case)
    if f.outcome:
        stmt = stmt.where(LogEntry.outcome == f.outcome)
    if f.action:
        stmt = stmt.where(LogEntry.action == f.action)
    if f.since:
        stmt = stmt.where(LogEntry.time >= as_utc(f.since))
    if f.until:
        stmt = stmt.where(LogEntry.time < as_utc(f.until))
    return stmt


def row_dict(e: LogEntry) -> dict[str, Any]:
    out = {name: getattr(e, name) for name in EXPORT_FIELDS}
    out["time"] = e.time.isoformat()
    out["articles"] = e.articles.strip(",").replace(",", " ")
    return out


def search(session: Session, f: LogFilter) -> list[dict[str, Any]]:
    stmt = _apply(select(LogEntry), f).order_by(LogEntry.idx).limit(max(1, min(f.limit, 100_000)))
    return [row_dict(e) for e in session.execute(stmt).scalars()]


def access_report(session: Session, subject: str) -> list[dict[str, Any]]:
    """AVG art. 15: who received or learned what about this subject, when, under which article.

    Lists hit/no-hit answers and allowed decisions naming the subject, and every disclosure,
    dossier read and feedback in the cases the subject is part of (items belong to a case, not to
    one subject). Denials are left out: nothing was disclosed by them.
    """
    cases = select(CaseSubject.case_id).where(CaseSubject.subject == subject)
    stmt = (
        select(LogEntry)
        .where(
            ((LogEntry.subject == subject) & LogEntry.action.in_(DISCLOSING))
            | (LogEntry.case_id.in_(cases) & LogEntry.action.in_(CASE_DISCLOSING))
        )
        .where(LogEntry.outcome != "denied")
        .order_by(LogEntry.idx)
    )
    return [row_dict(e) for e in session.execute(stmt).scalars()]


def to_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(EXPORT_FIELDS), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        # A cell starting with = + - @ would be a formula in a spreadsheet; quote it as text.
        writer.writerow({k: f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for k, v in r.items()})
    return buf.getvalue()


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, indent=2, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Anomaly:
    kind: str  # outside-case, phase-not-covered, burst, repeated-denials
    party: str
    user: str | None
    first_index: int
    count: int
    detail: str
    indexes: tuple[int, ...] = field(default=())


def anomalies(
    session: Session,
    since: datetime | None = None,
    burst_window: timedelta = timedelta(minutes=10),
    burst_threshold: int = 50,
    denial_window: timedelta = timedelta(hours=1),
    denial_threshold: int = 5,
) -> list[Anomaly]:
    """Flags for a privacy officer to look at, not verdicts.

    - outside-case: a decision, hit/no-hit query or disclosure without a case;
    - phase-not-covered: a request in a case phase the covenant's flow does not cover;
    - burst: more than ``burst_threshold`` requests by one user within ``burst_window``;
    - repeated-denials: at least ``denial_threshold`` denials for one user within ``denial_window``.
    """
    stmt = select(LogEntry).order_by(LogEntry.idx)
    if since is not None:
        stmt = stmt.where(LogEntry.time >= as_utc(since))
    found: list[Anomaly] = []
    windows: dict[tuple[str, str | None], deque[tuple[datetime, int]]] = defaultdict(deque)
    denials: dict[tuple[str, str | None], deque[tuple[datetime, int]]] = defaultdict(deque)
    flagged_burst: set[tuple[str, str | None]] = set()
    flagged_denial: set[tuple[str, str | None]] = set()
    for e in session.execute(stmt).scalars():
        who = (e.actor_party, e.actor_user)
        if e.action in ("decision", "hit-query", "disclosure") and e.case_id is None:
            found.append(
                Anomaly(
                    "outside-case",
                    e.actor_party,
                    e.actor_user,
                    e.idx,
                    1,
                    f"{e.action} without a case",
                    (e.idx,),
                )
            )
        if e.reason_code == "phase-not-covered":
            found.append(
                Anomaly(
                    "phase-not-covered",
                    e.actor_party,
                    e.actor_user,
                    e.idx,
                    1,
                    f"{e.category} asked in phase {e.phase}, which the flow does not cover",
                    (e.idx,),
                )
            )
        if e.action in DISCLOSING:
            w = windows[who]
            w.append((e.time, e.idx))
            while w and e.time - w[0][0] > burst_window:
                w.popleft()
            if len(w) > burst_threshold and who not in flagged_burst:
                flagged_burst.add(who)
                found.append(
                    Anomaly(
                        "burst",
                        e.actor_party,
                        e.actor_user,
                        w[0][1],
                        len(w),
                        f"{len(w)} requests within {burst_window}",
                        tuple(i for _, i in w),
                    )
                )
        if e.outcome == "denied":
            d = denials[who]
            d.append((e.time, e.idx))
            while d and e.time - d[0][0] > denial_window:
                d.popleft()
            if len(d) >= denial_threshold and who not in flagged_denial:
                flagged_denial.add(who)
                found.append(
                    Anomaly(
                        "repeated-denials",
                        e.actor_party,
                        e.actor_user,
                        d[0][1],
                        len(d),
                        f"{len(d)} denials within {denial_window}",
                        tuple(i for _, i in d),
                    )
                )
    return found
