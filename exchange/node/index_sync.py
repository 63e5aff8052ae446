"""The party's own index on the node: an uploaded file becomes a preview of additions and removals,
and on confirmation one signed request to the hub with pseudonyms only.

The hub applies an index request in one transaction, so a send that fails leaves the hub's index as
it was; the node changes its own entries only after the hub has answered, and the upload stays in
its preview state to be sent again. Its Idempotency-Key is the upload's id, so a retry after a lost
answer is a replay at the hub, never a second change. Addresses, BSNs and KvK numbers are sealed
under the node's data key wherever they are stored.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange.crypto.keystore import Keystore
from exchange.crypto.pseudonym import pseudonymise
from exchange.crypto.subjects import Subject, SubjectKind
from exchange.errors import InvalidInputError, NotFoundError
from exchange.node import index_store
from exchange.node.index_file import Line, ParsedFile, difference
from exchange.node.records import IndexEntryRow, IndexUploadRow, UploadState
from exchange.node.sealing import DataKey, open_sealed, seal

#: One index request to the hub must stay under its 2 MiB body limit (a pseudonym is about 60 bytes
#: in JSON), and one request is what makes a send all-or-nothing.
MAX_INDEX_CHANGES = 20_000
#: How many additions and removals a preview lists by name; the counts are always complete.
PREVIEW_ROWS = 100


@dataclass(frozen=True, slots=True)
class Changes:
    add: list[tuple[str, str]]  # pseudonym, text as uploaded
    remove: list[str]  # pseudonyms


def pseudonyms(store: Keystore, covenant: str, kind: SubjectKind, lines: tuple[Line, ...]) -> dict[str, Line]:
    """Each line by its pseudonym under the covenant's newest pseudonym key."""
    key = store.pseudonym_key(covenant)
    return {str(pseudonymise(Subject(kind, line.canonical), key)): line for line in lines}


def held(session: Session, category: str) -> list[str]:
    return index_store.held(session, category)


def held_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(IndexEntryRow.category, func.count()).group_by(IndexEntryRow.category)
    ).all()
    return {str(c): int(n) for c, n in rows}


def prepare(
    session: Session,
    key: DataKey,
    store: Keystore,
    covenant: str,
    category: str,
    kind: SubjectKind,
    parsed: ParsedFile,
    user_id: int,
    now: datetime,
) -> str:
    """Store the file's changes against what the node holds, sealed, for a preview; its id."""
    diff = difference(held(session, category), pseudonyms(store, covenant, kind, parsed.lines))
    if len(diff.additions) + len(diff.removals) > MAX_INDEX_CHANGES:
        raise InvalidInputError(f"at most {MAX_INDEX_CHANGES} changes per upload")
    changes = {"add": [[p, line.text] for p, line in diff.additions], "remove": list(diff.removals)}
    upload_id = uuid.uuid4().hex
    session.add(
        IndexUploadRow(
            id=upload_id,
            category=category,
            covenant=covenant,
            kind=str(kind),
            user_id=user_id,
            created=now,
            state=UploadState.PREVIEW,
            changes=seal(key, json.dumps(changes).encode()),
            additions=len(diff.additions),
            removals=len(diff.removals),
            unchanged=diff.unchanged,
        )
    )
    return upload_id


def upload(session: Session, upload_id: str) -> IndexUploadRow:
    row = session.get(IndexUploadRow, upload_id)
    if row is None:
        raise NotFoundError("no such upload")
    return row


def changes(key: DataKey, row: IndexUploadRow) -> Changes:
    data = json.loads(open_sealed(key, row.changes))
    return Changes([(str(p), str(t)) for p, t in data["add"]], [str(p) for p in data["remove"]])


def removed_texts(session: Session, key: DataKey, category: str, pseudonyms_: list[str]) -> list[str]:
    """The texts of the first :data:`PREVIEW_ROWS` entries to be removed, opened for the preview."""
    wanted = pseudonyms_[:PREVIEW_ROWS]
    rows = session.scalars(
        select(IndexEntryRow).where(IndexEntryRow.category == category, IndexEntryRow.pseudonym.in_(wanted))
    )
    return sorted(open_sealed(key, r.sealed).decode("utf-8") for r in rows)


def is_stale(session: Session, row: IndexUploadRow, c: Changes) -> bool:
    """Whether the node's index for the category changed since the preview was made."""
    now_held = set(held(session, row.category))
    return any(p in now_held for p, _ in c.add) or any(p not in now_held for p in c.remove)


def idempotency_key(row: IndexUploadRow) -> str:
    return f"idx-{row.id}"


def apply(session: Session, key: DataKey, row: IndexUploadRow, c: Changes, now: datetime) -> None:
    """Bring the node's entries in line with what the hub has just accepted (as a sync's batch is
    applied: an entry another writer added meanwhile is kept, not an error)."""
    index_store.add(session, key, row.category, row.covenant, row.kind, c.add, now)
    index_store.remove(session, row.category, c.remove)
    row.state = UploadState.SENT
    row.problem = None
    row.sent = now


def addresses(session: Session, key: DataKey, subjects: list[str]) -> dict[str, str]:
    """The plaintext the node holds for each of ``subjects`` (pseudonyms) it finds in its index."""
    if not subjects:
        return {}
    rows = session.scalars(select(IndexEntryRow).where(IndexEntryRow.pseudonym.in_(subjects[:500])))
    return {r.pseudonym: open_sealed(key, r.sealed).decode("utf-8") for r in rows}
