"""Sealed free texts of a case and their wraps: the only place that writes their SQL.

The hub stores what the writer's client sealed (signed header, ciphertext, one wrap per reader) and
the digest the log records; it holds no text and no key to one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.storage.models import CaseTextRow, CaseTextWrap
from exchange.storage.readmodels import StoredText, TextInfo


class TextRepository:
    """Sealed case texts on the unit of work's session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def exists(self, text_id: str) -> bool:
        return self.session.get(CaseTextRow, text_id) is not None

    def add(
        self,
        text_id: str,
        case_id: str,
        kind: str,
        author: tuple[str, str],
        sealed: tuple[bytes, bytes, bytes],
        digest: str,
        wraps: Sequence[tuple[str, str, bytes]],
        now: datetime,
    ) -> None:
        """Store a sealed text: ``author`` is (party, user), ``sealed`` (header, ciphertext,
        signature), ``wraps`` (kid, party, wrap)."""
        header, ciphertext, signature = sealed
        self.session.add(
            CaseTextRow(
                id=text_id,
                case_id=case_id,
                kind=kind,
                author_party=author[0],
                author_user=author[1],
                header=header,
                ciphertext=ciphertext,
                signature=signature,
                digest=digest,
                created=now,
            )
        )
        self.session.flush()
        for kid, party, wrap in wraps:
            self.session.add(CaseTextWrap(text_id=text_id, kid=kid, party=party, wrap=wrap))
        self.session.flush()

    def infos(self, case_id: str) -> dict[str, TextInfo]:
        """Every text of the case by id: kind, author and time, nothing of the content."""
        rows = self.session.execute(
            select(
                CaseTextRow.id,
                CaseTextRow.kind,
                CaseTextRow.author_party,
                CaseTextRow.author_user,
                CaseTextRow.created,
            ).where(CaseTextRow.case_id == case_id)
        )
        return {r.id: TextInfo(r.id, r.kind, r.author_party, r.author_user, as_utc(r.created)) for r in rows}

    def sealed_for(self, case_id: str, party: str) -> list[StoredText]:
        """The case's texts with a wrap for ``party``, each with only its wraps, oldest first."""
        rows = self.session.execute(
            select(CaseTextRow, CaseTextWrap)
            .join(CaseTextWrap, CaseTextWrap.text_id == CaseTextRow.id)
            .where(CaseTextRow.case_id == case_id, CaseTextWrap.party == party)
            .order_by(CaseTextRow.created, CaseTextRow.id)
        ).all()
        grouped: dict[str, tuple[CaseTextRow, list[tuple[str, bytes]]]] = {}
        for text, wrap in rows:
            grouped.setdefault(text.id, (text, []))[1].append((wrap.kid, wrap.wrap))
        return [
            StoredText(
                t.id, t.kind, t.author_party, t.digest, t.header, t.ciphertext, t.signature, tuple(wraps)
            )
            for t, wraps in grouped.values()
        ]

    def keep_until(self, case_id: str, until: datetime) -> None:
        """Every text of the case is kept until ``until``, then shredded."""
        self.session.execute(update(CaseTextRow).where(CaseTextRow.case_id == case_id).values(until=until))

    def expired(self, now: datetime) -> list[tuple[str, str, str, str]]:
        """Texts past retention and not yet shredded, as (text id, case id, kind, digest)."""
        return [
            (i, c, k, d)
            for i, c, k, d in self.session.execute(
                select(CaseTextRow.id, CaseTextRow.case_id, CaseTextRow.kind, CaseTextRow.digest)
                .where(CaseTextRow.until <= now, CaseTextRow.shredded.is_(None))
                .order_by(CaseTextRow.until, CaseTextRow.id)
            )
        ]

    def shred(self, text_id: str, now: datetime) -> None:
        """Delete every wrap of the text: nobody can open it any more. The signed header, the
        ciphertext and the digest stay, so the log's record of it still verifies."""
        self.session.execute(delete(CaseTextWrap).where(CaseTextWrap.text_id == text_id))
        self.session.execute(update(CaseTextRow).where(CaseTextRow.id == text_id).values(shredded=now))
