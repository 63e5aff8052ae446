"""Forwarded signals and their wraps: the only place that writes their SQL.

The hub stores what the sender's client sealed for the recipient (signed header, ciphertext, one
wrap per recipient key), the digest the log records, and when the recipient first opened it; it
holds no text and no key to one. Spec: docs/specs/forwards.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.storage.models import ForwardRow, ForwardWrap


@dataclass(frozen=True, slots=True)
class ForwardInfo:
    """What the hub knows of a forward without opening it."""

    id: str
    sender: str
    recipient: str
    purpose: str
    covenant: str
    digest: str
    created: datetime
    opened: datetime | None


@dataclass(frozen=True, slots=True)
class StoredForward:
    """A forward as its recipient receives it: header, ciphertext, signature and its own wraps."""

    info: ForwardInfo
    header: bytes
    ciphertext: bytes
    signature: bytes
    wraps: tuple[tuple[str, bytes], ...]


def _info(r: ForwardRow) -> ForwardInfo:
    return ForwardInfo(
        r.id,
        r.sender_party,
        r.recipient,
        r.purpose,
        r.covenant,
        r.digest,
        as_utc(r.created),
        as_utc(r.opened) if r.opened is not None else None,
    )


class ForwardRepository:
    """Forwards on the unit of work's session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def exists(self, forward_id: str) -> bool:
        return self.session.get(ForwardRow, forward_id) is not None

    def add(
        self,
        info: ForwardInfo,
        sender_user: str,
        sealed: tuple[bytes, bytes, bytes],
        wraps: Sequence[tuple[str, bytes]],
        until: datetime,
    ) -> None:
        """Store a forward: ``sealed`` is (header, ciphertext, signature), ``wraps`` (kid, wrap), all
        for ``info.recipient``."""
        header, ciphertext, signature = sealed
        self.session.add(
            ForwardRow(
                id=info.id,
                sender_party=info.sender,
                sender_user=sender_user,
                recipient=info.recipient,
                purpose=info.purpose,
                covenant=info.covenant,
                header=header,
                ciphertext=ciphertext,
                signature=signature,
                digest=info.digest,
                created=info.created,
                until=until,
            )
        )
        self.session.flush()
        for kid, wrap in wraps:
            self.session.add(ForwardWrap(forward_id=info.id, kid=kid, party=info.recipient, wrap=wrap))
        self.session.flush()

    def for_recipient(self, forward_id: str, party: str) -> StoredForward | None:
        """The forward, if it was sent to ``party`` and is not shredded; otherwise None."""
        row = self.session.get(ForwardRow, forward_id)
        if row is None or row.recipient != party or row.shredded is not None:
            return None
        wraps = self.session.execute(
            select(ForwardWrap.kid, ForwardWrap.wrap)
            .where(ForwardWrap.forward_id == forward_id, ForwardWrap.party == party)
            .order_by(ForwardWrap.kid)
        ).all()
        return StoredForward(
            _info(row), row.header, row.ciphertext, row.signature, tuple((k, w) for k, w in wraps)
        )

    def unopened(self, party: str) -> list[ForwardInfo]:
        """Forwards sent to ``party`` that it has not opened yet and that are not shredded, oldest first."""
        rows = self.session.execute(
            select(ForwardRow)
            .where(ForwardRow.recipient == party, ForwardRow.opened.is_(None), ForwardRow.shredded.is_(None))
            .order_by(ForwardRow.created, ForwardRow.id)
        ).scalars()
        return [_info(r) for r in rows]

    def mark_opened(self, forward_id: str, now: datetime) -> None:
        """The first time the recipient opened it (a later open keeps the first time)."""
        self.session.execute(
            update(ForwardRow)
            .where(ForwardRow.id == forward_id, ForwardRow.opened.is_(None))
            .values(opened=now)
        )

    def expired(self, now: datetime) -> list[ForwardInfo]:
        """Forwards past retention and not yet shredded."""
        rows = self.session.execute(
            select(ForwardRow)
            .where(ForwardRow.until <= now, ForwardRow.shredded.is_(None))
            .order_by(ForwardRow.until, ForwardRow.id)
        ).scalars()
        return [_info(r) for r in rows]

    def shred(self, forward_id: str, now: datetime) -> None:
        """Delete every wrap: nobody can open it any more. Header, ciphertext and digest stay, so the
        log's record of it still verifies."""
        self.session.execute(delete(ForwardWrap).where(ForwardWrap.forward_id == forward_id))
        self.session.execute(update(ForwardRow).where(ForwardRow.id == forward_id).values(shredded=now))
