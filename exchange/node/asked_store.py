"""The enrichment requests a coordinator asked from this node, as the hub answered them: a request
recorded (its id at the hub) or refused by the covenant. The hub keeps no record of a refused
category, so the node does, to show it on the case page. Ids and dates only; no plaintext."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from exchange.node.store import NodeBase, UtcDateTime

REQUESTED = "requested"
REFUSED = "refused"


class AskedRow(NodeBase):
    __tablename__ = "node_enrichment_asked"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    provider: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(128))
    asked: Mapped[datetime] = mapped_column(UtcDateTime())
    asked_by: Mapped[int] = mapped_column(Integer)
    #: ``requested`` or ``refused`` (the covenant's decision at the hub).
    outcome: Mapped[str] = mapped_column(String(16))
    #: The request's id at the hub, when one was recorded.
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


def record(
    session: Session,
    case_id: str,
    provider: str,
    category: str,
    request_id: str | None,
    user_id: int,
    now: datetime,
) -> None:
    session.add(
        AskedRow(
            case_id=case_id,
            provider=provider,
            category=category,
            asked=now,
            asked_by=user_id,
            outcome=REQUESTED if request_id else REFUSED,
            request_id=request_id,
        )
    )


def asked(session: Session, case_id: str) -> list[AskedRow]:
    return list(
        session.scalars(
            select(AskedRow).where(AskedRow.case_id == case_id).order_by(AskedRow.asked, AskedRow.id)
        )
    )
