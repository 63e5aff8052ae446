"""When each user of the node last opened each case, so the start page can say what is new in a case
since that user looked: hits fetched or items sealed for the party after that moment. Only an
account id, a case id and a time: nothing a copy of the store would learn from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from exchange.node.store import NodeBase, UtcDateTime


class SeenRow(NodeBase):
    __tablename__ = "node_case_seen"

    account_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen: Mapped[datetime] = mapped_column(UtcDateTime())


def mark_seen(session: Session, account_id: int, case_id: str, now: datetime) -> None:
    row = session.get(SeenRow, (account_id, case_id))
    if row is None:
        session.add(SeenRow(account_id=account_id, case_id=case_id, seen=now))
    else:
        row.seen = now


def seen_by(session: Session, account_id: int) -> dict[str, datetime]:
    """Case id → when ``account_id`` last opened it."""
    rows = session.scalars(select(SeenRow).where(SeenRow.account_id == account_id))
    return {row.case_id: row.seen for row in rows}
