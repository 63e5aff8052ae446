"""The node's tables for a provider's work: its own index (pseudonyms with the plaintext sealed), the
uploads waiting for confirmation, and answers to enrichment requests (drafts until the hub has them).

Every column that would hold an address, a BSN or a text holds :func:`exchange.node.sealing.seal`
output instead; pseudonyms are stored as the hub has them, to find an entry without opening it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exchange.node.store import NodeBase, UtcDateTime


class IndexEntryRow(NodeBase):
    """One subject in the party's index for a category, as the hub holds it (the pseudonym), with
    the text it was uploaded as sealed under the node's data key."""

    __tablename__ = "node_index_entries"
    # One unique index, pseudonym first: it finds an entry by pseudonym (a request's subjects) and
    # keeps a pseudonym once per category; a second index on the category alone lists a category's
    # entries, and grows at its end as entries are added (migration n0010_index_bulk).
    __table_args__ = (UniqueConstraint("pseudonym", "category", name="uq_node_index_entry"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    covenant: Mapped[str] = mapped_column(String(64))
    pseudonym: Mapped[str] = mapped_column(String(200))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    added: Mapped[datetime] = mapped_column(UtcDateTime())
    #: The subject kind (address, person, company); None on entries from before it was kept.
    kind: Mapped[str | None] = mapped_column(String(16), default=None)


class UploadState(enum.StrEnum):
    PREVIEW = "preview"  # checked and shown; nothing sent yet (or a send failed: try again)
    SENT = "sent"  # the hub has it and the node's index matches
    CANCELLED = "cancelled"


class IndexUploadRow(NodeBase):
    """An uploaded file's changes, sealed, between the preview and the hub's confirmation."""

    __tablename__ = "node_index_uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    category: Mapped[str] = mapped_column(String(64))
    covenant: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16))
    #: Sealed JSON: {"add": [[pseudonym, text], ...], "remove": [pseudonym, ...]}.
    changes: Mapped[bytes] = mapped_column(LargeBinary)
    additions: Mapped[int] = mapped_column(Integer)
    removals: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    #: Why the last send did not go through: unreachable, busy, refused, stale; None when it did.
    problem: Mapped[str | None] = mapped_column(String(16), default=None)
    sent: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class DraftState(enum.StrEnum):
    PENDING = "pending"  # stored on the node, not yet accepted by the hub ("nog te verzenden")
    SENT = "sent"
    REFUSED = "refused"  # the hub refused it for good (4xx other than a busy hub)


class DraftRow(NodeBase):
    """An answer to an enrichment request: sealed at rest from the moment it is written; the item
    envelope is made once and kept, so every try sends the same bytes with the same key."""

    __tablename__ = "node_drafts"

    #: Also the item id at the hub and, prefixed, the Idempotency-Key.
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(100), index=True)
    case_id: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(64))
    #: The author, as whom it is sent (user name and role asserted to the hub).
    user_id: Mapped[int] = mapped_column(Integer)
    user_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    #: The answer's bytes (the typed text or the attached file), sealed.
    content: Mapped[bytes] = mapped_column(LargeBinary)
    #: The attached file's name, sealed; None for a typed answer.
    filename: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    #: The signed item envelope for the recipients, made at the first try that reached the hub.
    envelope: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    state: Mapped[str] = mapped_column(String(16))
    problem: Mapped[str | None] = mapped_column(String(16), default=None)
    #: Space-separated parties the hub stored it for.
    recipients: Mapped[str] = mapped_column(String(500), default="")
    created: Mapped[datetime] = mapped_column(UtcDateTime())
    sent: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class PseudonymKeyRow(NodeBase):
    """A pseudonym key version the node fetched from the hub (checked against the covenant's
    custodian), sealed under the node's data key, so that casework uses it after a restart too."""

    __tablename__ = "node_pseudonym_keys"

    covenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The 32-byte key, sealed.
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    fetched: Mapped[datetime] = mapped_column(UtcDateTime())
