"""The privacy officer's questions to the log: search, the access-request report, anomalies, export.

Everything here reads the query columns of ``log_entries``; they hold pseudonyms and metadata only.
Viewing or exporting log data is itself an event (``Action.LOG_VIEW``), appended by the caller.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from exchange.audit.anomalies import Flag, Row, Thresholds, find
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
    newest_first: bool = False  # a page of the newest entries (the console) instead of the oldest
    before: int | None = None  # only entries with a lower index: the next page, newest first
    user: str | None = None  # the acting user (a flag's user)
    first: int | None = None  # index range, both ends included (the entries behind a flag)
    last: int | None = None


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
    if f.before is not None:
        stmt = stmt.where(LogEntry.idx < f.before)
    if f.user:
        stmt = stmt.where(LogEntry.actor_user == f.user)
    if f.first is not None:
        stmt = stmt.where(LogEntry.idx >= f.first)
    if f.last is not None:
        stmt = stmt.where(LogEntry.idx <= f.last)
    return stmt


def row_dict(e: LogEntry) -> dict[str, Any]:
    out = {name: getattr(e, name) for name in EXPORT_FIELDS}
    out["time"] = as_utc(e.time).isoformat()  # SQLite hands back the UTC time without its zone
    out["articles"] = e.articles.strip(",").replace(",", " ")
    return out


def search(session: Session, f: LogFilter) -> list[dict[str, Any]]:
    order = LogEntry.idx.desc() if f.newest_first else LogEntry.idx
    stmt = _apply(select(LogEntry), f).order_by(order).limit(max(1, min(f.limit, 100_000)))
    return [row_dict(e) for e in session.execute(stmt).scalars()]


def access_statement(
    subjects: Sequence[str], covenants: Sequence[str] | None = None, also: Sequence[str] = ()
) -> Select[Any]:
    """The log entries an access request (AVG art. 15) about ``subjects`` lists, oldest first.

    Hit/no-hit answers and allowed decisions naming one of the subjects, and every disclosure,
    dossier read and feedback in the cases a subject is part of (items belong to a case, not to
    one subject). Denials are left out: nothing was disclosed by them. ``covenants`` (references
    such as ``pit/2021``) keeps to those covenant versions; ``also`` adds further actions that
    name a subject (``case-created``). The one selection both :func:`access_report` and the
    structured answer of :mod:`exchange.storage.access_queries` read.
    """
    cases = select(CaseSubject.case_id).where(CaseSubject.subject.in_(subjects))
    stmt = (
        select(LogEntry)
        .where(
            (LogEntry.subject.in_(subjects) & LogEntry.action.in_((*DISCLOSING, *also)))
            | (LogEntry.case_id.in_(cases) & LogEntry.action.in_(CASE_DISCLOSING))
        )
        .where(LogEntry.outcome != "denied")
        .order_by(LogEntry.idx)
    )
    if covenants is not None:
        stmt = stmt.where(LogEntry.covenant.in_(covenants))
    return stmt


def access_report(session: Session, subject: str) -> list[dict[str, Any]]:
    """AVG art. 15: who received or learned what about this subject, when, under which article, as
    log rows (:func:`access_statement` for one subject, every covenant)."""
    return [row_dict(e) for e in session.execute(access_statement([subject])).scalars()]


def to_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(EXPORT_FIELDS), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        # A cell starting with = + - @ would be a formula in a spreadsheet; quote it as text.
        writer.writerow(
            {k: f"'{v}" if isinstance(v, str) and v and v[0] in "=+-@" else v for k, v in r.items()}
        )
    return buf.getvalue()


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, indent=2, ensure_ascii=False)


def anomalies(
    session: Session,
    limits: Thresholds,
    since: datetime | None = None,
    party: str | None = None,
) -> list[Flag]:
    """Flags for a privacy officer to look at, not verdicts (:func:`exchange.audit.anomalies.find`).

    Every rule counts requests (distinct trace ids by one user) and, for bursts, distinct subjects;
    never log events, of which one hit/no-hit query writes one per answer. ``party`` keeps to the
    events that party's users did; ``since`` starts the scan later (a flag whose window starts
    before it may then be missed or counted short, and get another id).
    """
    stmt = select(*_ROW_COLUMNS).order_by(LogEntry.idx)
    if party is not None:
        stmt = stmt.where(LogEntry.actor_party == party)
    if since is not None:
        stmt = stmt.where(LogEntry.time >= as_utc(since))
    rows = (
        Row(
            r.idx,
            as_utc(r.time),
            r.trace_id,
            r.action,
            r.outcome,
            r.actor_party,
            r.actor_user,
            r.case_id,
            r.subject,
            r.reason_code,
            r.category,
            r.phase,
        )
        for r in session.execute(stmt)
    )
    return find(rows, limits)


_ROW_COLUMNS = (
    LogEntry.idx,
    LogEntry.time,
    LogEntry.trace_id,
    LogEntry.action,
    LogEntry.outcome,
    LogEntry.actor_party,
    LogEntry.actor_user,
    LogEntry.case_id,
    LogEntry.subject,
    LogEntry.reason_code,
    LogEntry.category,
    LogEntry.phase,
)
