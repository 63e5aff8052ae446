"""Records of the node's own: access requests (AVG art. 15) a privacy officer made here, and signals
forwarded to this party and opened here. An access request keeps the subject as typed and the
hub's answer, sealed together under the node's data key, so the letter to the data subject can be
shown and printed again without asking the hub (and logging a request) a second time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from exchange.node.store import NodeBase, UtcDateTime


class AccessRequestRow(NodeBase):
    __tablename__ = "node_access_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The id in the request's address on the workspace: random, so ids say nothing about volumes.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    created_by: Mapped[int] = mapped_column(Integer)
    covenant: Mapped[str] = mapped_column(String(64))
    #: {"kind", "subject", "answer"} as JSON, sealed: the subject is plaintext, the answer names it.
    sealed: Mapped[bytes] = mapped_column(LargeBinary())


class ForwardReceivedRow(NodeBase):
    """A signal a partner forwarded to this party, opened on this node: sender, purpose, covenant,
    when it was made and its text, sealed as JSON (the hub lists a forward only until it is opened)."""

    __tablename__ = "node_forwards_received"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    opened: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    opened_by: Mapped[int] = mapped_column(Integer)
    sealed: Mapped[bytes] = mapped_column(LargeBinary())
