"""Answers to enrichment requests: a draft sealed at rest on the node, then one item at the hub.

A draft is stored before anything is sent. The first try that reaches the hub asks which parties
may receive the category (the hub's decision), seals the answer for exactly them and signs it; that
envelope is kept with the draft, and every later try sends the same bytes with the same
Idempotency-Key (``item-<draft id>``), as the user who wrote it. So an answer whose first try the
hub did take, but whose reply was lost, is answered from the hub's idempotency store, and no answer
is ever stored twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.crypto.envelope import ItemMetadata, encode, format_created, seal
from exchange.errors import NotFoundError
from exchange.node.provider_hub import HubTrouble, case_purpose, connected, recipients, store_item
from exchange.node.records import DraftRow, DraftState
from exchange.node.runtime import NodeRuntime
from exchange.node.sealing import DataKey, open_sealed
from exchange.node.sealing import seal as seal_at_rest
from exchange.node.store import UserRow

#: An attached file may be at most this large: its envelope must fit the hub's 2 MiB body limit.
MAX_ANSWER_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class DraftView:
    id: str
    request_id: str
    case_id: str
    category: str
    user_name: str
    state: str
    problem: str | None
    recipients: tuple[str, ...]
    filename: str | None
    created: datetime


def write(
    session: Session,
    key: DataKey,
    request: Mapping[str, object],
    content: bytes,
    filename: str | None,
    user_id: int,
    user_name: str,
    role: str,
    now: datetime,
) -> str:
    """Store the answer as a draft, sealed; its id (also the item's id at the hub)."""
    draft_id = f"item-{uuid.uuid4().hex}"
    session.add(
        DraftRow(
            id=draft_id,
            request_id=str(request["id"]),
            case_id=str(request["case"]),
            category=str(request["category"]),
            user_id=user_id,
            user_name=user_name,
            role=role,
            content=seal_at_rest(key, content),
            filename=seal_at_rest(key, filename.encode("utf-8")) if filename else None,
            state=DraftState.PENDING,
            recipients="",
            created=now,
        )
    )
    return draft_id


def idempotency_key(draft_id: str) -> str:
    return draft_id  # already "item-<hex>": the key the CLI's send uses for an item id


def send(rt: NodeRuntime, draft_id: str) -> DraftRow:
    """Try to send one pending draft as its author. Returns the row as it is now; its ``problem``
    says why it is still pending (unreachable, busy) or was refused."""
    with rt.sessions.begin() as s:
        row: DraftRow | None = s.get(DraftRow, draft_id)
        if row is None:
            raise NotFoundError("no such draft")
        if row.state != DraftState.PENDING:
            return row
        if not may_still_send(s, row):  # the author left or lost the role: never sent in their name
            row.state = DraftState.REFUSED
            row.problem = "author-gone"
            return row
        author, role, case, category = row.user_name, row.role, row.case_id, row.category
        envelope = row.envelope
        content = open_sealed(rt.data_key, row.content) if envelope is None else b""
    outcome: dict[str, object] | None = None
    problem: str | None = None
    try:
        with connected(rt, author, role) as client:
            if envelope is None:
                to = [r for r, _ in recipients(client, case, category)]
                if not to:
                    raise HubTrouble("no-recipient")
                meta = ItemMetadata(
                    case,
                    draft_id,
                    rt.party.id,
                    category,
                    case_purpose(client, case),
                    format_created(datetime.now(UTC)),
                )
                envelope = encode(seal(content, meta, to, rt.keystore.keys.current))
                with rt.sessions.begin() as s:  # kept before it is sent: every try sends these bytes
                    stored = s.get(DraftRow, draft_id)
                    if stored is not None and stored.envelope is None:
                        stored.envelope = envelope
                    elif stored is not None:  # a try running at the same time kept its own first
                        envelope = stored.envelope
            outcome = store_item(client, case, envelope, idempotency_key(draft_id))
    except HubTrouble as exc:
        problem = exc.problem
    with rt.sessions.begin() as s:
        row = s.get(DraftRow, draft_id)
        if row is None:
            raise NotFoundError("no such draft")
        if row.state == DraftState.SENT:  # a try running at the same time got there first
            return row
        if outcome is not None:
            row.state = DraftState.SENT
            row.problem = None
            row.sent = rt.clock()
            got = outcome.get("recipients")
            row.recipients = " ".join(str(p) for p in got) if isinstance(got, list) else ""
        elif problem in ("unreachable", "busy"):
            row.problem = problem
        else:
            row.state = DraftState.REFUSED
            row.problem = problem
        return row


def may_still_send(session: Session, row: DraftRow) -> bool:
    """Whether the draft's author still has an enabled account holding the role it was written in."""
    author = session.get(UserRow, row.user_id)
    return author is not None and not author.disabled and row.role in author.roles.split()


def pending(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(DraftRow.id).where(DraftRow.state == DraftState.PENDING).order_by(DraftRow.created)
        )
    )


def send_pending(rt: NodeRuntime) -> None:
    """Try every pending draft once, oldest first; stop at the first the hub cannot take now."""
    with rt.sessions.begin() as s:
        ids = pending(s)
    for draft_id in ids:
        row = send(rt, draft_id)
        if row.problem in ("unreachable", "busy"):
            return


def view(session: Session, key: DataKey, row: DraftRow) -> DraftView:
    return DraftView(
        row.id,
        row.request_id,
        row.case_id,
        row.category,
        row.user_name,
        row.state,
        row.problem,
        tuple(row.recipients.split()),
        open_sealed(key, row.filename).decode("utf-8") if row.filename else None,
        row.created,
    )


def drafts(session: Session, key: DataKey, states: tuple[str, ...]) -> list[DraftView]:
    rows = session.scalars(
        select(DraftRow).where(DraftRow.state.in_(states)).order_by(DraftRow.created.desc())
    )
    return [view(session, key, r) for r in rows]
