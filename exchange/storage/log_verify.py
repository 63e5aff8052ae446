"""Verifying the disclosure log: every leaf, stored hash tile, root, checkpoint and witness cosignature.

Verification trusts nothing it reads: on SQLite a column holds whatever was written into it, so
every stored value is checked for its type before it is used, and anything unexpected is reported
as :class:`LogCorrupted` naming an entry, never as a crash. Rows are read through the driver in
batches (keyset pagination on ``idx``): verification reads every entry, and ORM rows cost more than
the hashing. Entries are checked 256 at a time, one level-0 tile (:mod:`exchange.storage.log_bundle`);
a bundle that does not pass is checked again entry by entry, which names the first bad entry.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from exchange.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    NoteVerifier,
    open_checkpoint,
    parse_note,
    verify_cosignature,
)
from exchange.audit.events import event_from_bytes
from exchange.audit.merkle import empty_root, leaf_hash
from exchange.audit.tile_build import root_within
from exchange.audit.tile_edge import Edge, FullTile
from exchange.audit.tiles import full_tiles, levels, partial_width
from exchange.clock import as_utc
from exchange.errors import ExchangeError, LogIntegrityError, StorageError
from exchange.storage.log_append import COLUMN_NAMES, entry_columns
from exchange.storage.log_bundle import BUNDLE, BundleCheck
from exchange.storage.log_checkpoints import StoredCosignature
from exchange.storage.log_proofs import root_at
from exchange.storage.models import LogEntry

_ENTRIES = cast(Table, LogEntry.__table__)


class LogCorrupted(LogIntegrityError):
    """Verification found the log altered or damaged; ``index`` is the first bad entry.

    Problems not tied to one entry (the head, a checkpoint beyond the end, a witness's cosignature)
    are reported at the size verification reached.
    """

    def __init__(self, index: int, what: str) -> None:
        self.index = index
        super().__init__(f"log entry {index}: {what}")


@dataclass(frozen=True, slots=True)
class Witnessed:
    """A witness's newest stored cosignature, checked against the log's root at that size."""

    witness: str
    size: int


@dataclass(frozen=True, slots=True)
class VerifyReport:
    size: int
    root: bytes
    checkpoints: int
    #: The newest cosignature of each witness known to this database, all verified; empty if none.
    witnessed: tuple[Witnessed, ...] = ()


def verify_log(
    session: Session,
    origin: str,
    verifier: NoteVerifier,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 20000,
    check_columns: bool = True,
    cosignatures: list[StoredCosignature] | None = None,
) -> VerifyReport:
    """Recompute every leaf hash, every stored hash tile and the root; check every checkpoint and the
    newest cosignature of each witness; with ``check_columns``, also check each entry's query
    columns against its event bytes. Raises :class:`LogCorrupted` naming the first bad index.
    """
    # Verification makes millions of short-lived objects (rows, parsed events) and no reference
    # cycles: the cyclic collector would only scan them again and again. It is paused meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _verify(session, origin, verifier, progress, batch, check_columns, cosignatures)
    finally:
        if collecting:
            gc.enable()


def _verify(
    session: Session,
    origin: str,
    verifier: NoteVerifier,
    progress: Callable[[int, int], None] | None,
    batch: int,
    check_columns: bool,
    cosignatures: list[StoredCosignature] | None,
) -> VerifyReport:
    conn = session.connection()
    head = conn.exec_driver_sql("SELECT size, root FROM log_head WHERE id = 1").one()
    head_size, head_root = head[0], _plain(head[1])
    total = head_size if _is_int(head_size) else 0
    _require_converted(conn, total)
    checkpoints, misfits = _load_checkpoints(session)
    streams: dict[int, Iterator[tuple[Any, ...]]] = {}

    def next_tile(level: int) -> tuple[Any, ...] | None:
        if level not in streams:
            streams[level] = driver_stream(
                session, "idx, hashes, nodes", "log_tiles", f"level = {int(level)} AND ", 64
            )
        return next(streams[level], None)

    edge = Edge()
    full: list[FullTile] = []
    touched: set[int] = set()
    roots: dict[int, bytes] = {0: empty_root()}  # verified checkpoint roots by size
    seen = 0
    if 0 in checkpoints:
        _check_checkpoint(checkpoints[0], 0, empty_root(), verifier, origin)
    time_of = _time_reader(session) if check_columns else None
    bundles = BundleCheck(time_of)
    # Checkpoints strictly inside a bundle, by bundle: the root is needed at that very size.
    inside: dict[int, list[int]] = {}
    for size in sorted(c for c in checkpoints if c % BUNDLE):
        inside.setdefault(size // BUNDLE, []).append(size)

    def check_tiles() -> None:
        for tile in full:
            _check_tile(seen, tile.level, tile.index, (tile.hashes, tile.inner), next_tile(tile.level))
        full.clear()

    for rows in _entry_bundles(session, batch, check_columns):
        start = seen
        tile = bundles.check(start, rows)
        if tile is None:  # one by one: the first bad entry is named, as it always was
            for row in rows:
                edge.add(_read_entry(seen, row, time_of), full, touched)
                check_tiles()
                seen += 1
                if seen in checkpoints:
                    roots[seen] = _check_checkpoint(checkpoints[seen], seen, edge.root(), verifier, origin)
        else:
            hashes, inner, tile_hash = tile
            for size in inside.get(start // BUNDLE, ()):
                seen = size
                root = root_within(edge.stack, hashes, inner, size - start)
                roots[size] = _check_checkpoint(checkpoints[size], size, root, verifier, origin)
            seen = start + BUNDLE - 1  # the entry that completes the tile
            _check_tile(seen, 0, start // BUNDLE, (hashes, inner), next_tile(0))
            edge.add_tile(tile_hash, full, touched)
            check_tiles()
            seen += 1
            if seen in checkpoints:
                roots[seen] = _check_checkpoint(checkpoints[seen], seen, edge.root(), verifier, origin)
        if progress is not None and (seen // batch != start // batch or seen == total):
            progress(seen, total)
    root = edge.root()
    if not _is_int(head_size):
        raise LogCorrupted(seen, f"the head's size is stored as {_kind(head_size)}, not an integer")
    if seen != head_size:
        raise LogCorrupted(seen, f"the head says {head_size} entries but {seen} were found")
    if head_root != root:
        raise LogCorrupted(seen, "the root stored in the head does not match the entries")
    expected = 0
    for level in levels(seen):
        expected += full_tiles(seen, level)
        if partial_width(seen, level):
            expected += 1
            partial = (edge.partial(level), edge.partial_inner(level))
            _check_tile(seen, level, full_tiles(seen, level), partial, next_tile(level))
    stored = conn.exec_driver_sql("SELECT COUNT(*) FROM log_tiles").scalar_one()
    if stored != expected:
        raise LogCorrupted(seen, f"the log stores {stored} tiles where its {seen} entries make {expected}")
    if misfits:
        raise LogCorrupted(seen, misfits[0])
    beyond = [c for c in checkpoints if c > seen]
    if beyond:
        raise LogCorrupted(seen, f"a checkpoint claims size {min(beyond)} but the log has {seen} entries")
    witnessed = tuple(_check_cosignature(session, origin, c, seen, roots) for c in (cosignatures or []))
    return VerifyReport(seen, root, len(checkpoints), witnessed)


def _require_converted(conn: Any, size: int) -> None:
    """A log stored before migration 0019 (its tree in ``log_nodes``, no tiles yet) is not damaged:
    say what to run instead of reporting every tile missing. A log with neither is checked as usual."""
    if (
        size
        and not conn.exec_driver_sql("SELECT COUNT(*) FROM log_tiles").scalar_one()
        and conn.exec_driver_sql("SELECT COUNT(*) FROM log_nodes").scalar_one()
    ):
        raise StorageError(
            f"the log's {size} entries are stored the way they were before migration 0019 (no tiles "
            "yet); run 'exchange log migrate-tiles', which checks them before and after"
        )


def _check_tile(
    seen: int, level: int, index: int, tile: tuple[bytes, bytes], stored: tuple[Any, ...] | None
) -> None:
    """The stored tile (idx, hashes, inner nodes) next at ``level`` is tile ``index``, exactly ``tile``."""
    if stored is not None and stored[0] == index and (_plain(stored[1]), _plain(stored[2])) == tile:
        return
    what = f"stored tile {level}/{index} does not match the entries"
    if stored is not None and stored[0] != index:
        what = f"stored tile {level}/{index} is missing"
    elif stored is not None and not isinstance(_plain(stored[1]), bytes):
        what += f" (its hashes are stored as {_kind(stored[1])})"
    elif stored is not None and _plain(stored[1]) == tile[0]:
        what = f"the inner nodes stored with tile {level}/{index} do not match the entries"
        if not isinstance(_plain(stored[2]), bytes):
            what += f" (they are stored as {_kind(stored[2])})"
    raise LogCorrupted(seen, what)


def _read_entry(index: int, row: tuple[Any, ...], time_of: Callable[[Any], Any] | None) -> bytes:
    try:
        return _check_entry(index, row, time_of)
    except (TypeError, ValueError, OverflowError, UnicodeError) as exc:
        # A value of a type no check foresaw: still a damaged log, not a crash.
        raise LogCorrupted(index, f"a stored value cannot be read ({type(exc).__name__})") from None


def _check_entry(index: int, row: tuple[Any, ...], time_of: Callable[[Any], Any] | None) -> bytes:
    """The entry's leaf hash after checking its index, its stored types, hash and query columns."""
    idx, stored_leaf, event = row[0], _plain(row[1]), _plain(row[2])
    if idx != index:
        raise LogCorrupted(index, "entry is missing")
    if not isinstance(event, bytes):
        raise LogCorrupted(index, f"the event is stored as {_kind(event)}, not as bytes")
    h = leaf_hash(event)
    if h != stored_leaf:
        what = "event bytes do not match the stored leaf hash"
        if not isinstance(stored_leaf, bytes):
            what += f" (the leaf hash is stored as {_kind(stored_leaf)})"
        raise LogCorrupted(index, what)
    if time_of is not None:
        _check_columns(index, event, dict(zip(COLUMN_NAMES, row[3:], strict=True)), time_of)
    return h


def _check_columns(index: int, event: bytes, columns: dict[str, Any], time_of: Callable[[Any], Any]) -> None:
    try:
        expected = entry_columns(event_from_bytes(event))
    except (ExchangeError, UnicodeError, AttributeError, RecursionError):
        # AttributeError: a field of the wrong JSON type where the parser calls a method (details
        # that are no object, a reason or time that is no text); RecursionError: nesting too deep.
        raise LogCorrupted(index, "event is not a valid event") from None
    for name, value in expected.items():
        stored = columns[name]
        if name == "time":
            try:
                stored = time_of(stored)
            except (TypeError, ValueError, OverflowError):
                stored = None
            if not isinstance(stored, datetime) or not isinstance(value, datetime):
                raise LogCorrupted(index, f"query column 'time' holds {_kind(columns[name])}, not a time")
            stored, value = as_utc(stored), as_utc(value)
        if stored != value:
            what = f"query column '{name}' does not match the event"
            if stored is not None and value is not None and type(stored) is not type(value):
                what += f" (it is stored as {_kind(stored)})"
            raise LogCorrupted(index, what)


def _check_checkpoint(
    row: tuple[Any, Any], size: int, root: bytes, verifier: NoteVerifier, origin: str
) -> bytes:
    stored_root, note = row
    if not isinstance(note, str):
        raise LogCorrupted(size, f"checkpoint at size {size}: its note is stored as {_kind(note)}, not text")
    try:
        cp, _ = open_checkpoint(note, verifier, origin)
    except CheckpointError as exc:
        raise LogCorrupted(size, f"checkpoint at size {size}: {exc}") from None
    if cp.size != size or cp.root != root or stored_root != root:
        raise LogCorrupted(size, f"checkpoint at size {size} does not match the recomputed root")
    return root


def _check_cosignature(
    session: Session, origin: str, c: StoredCosignature, size: int, roots: dict[int, bytes]
) -> Witnessed:
    """The witness cosigned the checkpoint (origin, c.size, root at c.size) of this very log."""
    if c.public is None:
        raise LogCorrupted(size, f"witness '{c.witness}' has a stored cosignature but no registered key")
    if not _is_int(c.size) or not isinstance(c.line, str) or not isinstance(c.public, bytes):
        raise LogCorrupted(size, f"the stored cosignature of witness '{c.witness}' is damaged (wrong types)")
    if c.size > size:
        raise LogCorrupted(
            size,
            f"witness '{c.witness}' cosigned a checkpoint of size {c.size} but the log has {size} entries: "
            f"entries {size} to {c.size - 1} are missing (truncated, or restored from an older backup?)",
        )
    root = roots[c.size] if c.size in roots else root_at(session, c.size)
    body = Checkpoint(origin, c.size, root).body()
    try:
        (line,) = parse_note(body + "\n" + c.line).signatures
        verify_cosignature(body, line, c.public)
    except (CheckpointError, ValueError):
        raise LogCorrupted(
            size,
            f"witness '{c.witness}' cosigned another root at size {c.size} than the log has now: "
            "the entries before it were rewritten (or the witness's stored key was replaced)",
        ) from None
    return Witnessed(c.witness, c.size)


def _load_checkpoints(session: Session) -> tuple[dict[int, tuple[Any, Any]], list[str]]:
    """Stored checkpoints by size as (root, note), and a description of each row whose size is no integer."""
    found: dict[int, tuple[Any, Any]] = {}
    misfits = []
    for size, root, note in session.connection().exec_driver_sql(
        "SELECT size, root, note FROM log_checkpoints"
    ):
        if _is_int(size) and size >= 0:
            found[size] = (_plain(root), _plain(note))
        else:
            misfits.append(f"a checkpoint's size is stored as {_kind(size)}, not a tree size")
    return found, misfits


def _time_reader(session: Session) -> Callable[[Any], Any]:
    """Turn the driver's value of ``log_entries.time`` into a datetime, as SQLAlchemy's type would."""
    dialect = session.connection().dialect
    process = _ENTRIES.c.time.type.dialect_impl(dialect).result_processor(dialect, None)
    return process if process is not None else (lambda value: value)


def _entry_bundles(session: Session, batch: int, check_columns: bool) -> Iterator[list[tuple[Any, ...]]]:
    """The entries in index order, 256 at a time (the last bundle may be shorter)."""
    columns = ", ".join(("idx", "leaf_hash", "event", *(COLUMN_NAMES if check_columns else ())))
    page = max(BUNDLE, batch - batch % BUNDLE)
    for rows in driver_pages(session, columns, "log_entries", "", page):
        for i in range(0, len(rows), BUNDLE):
            yield rows[i : i + BUNDLE]


def driver_stream(
    session: Session, columns: str, table: str, where: str, batch: int
) -> Iterator[tuple[Any, ...]]:
    """Rows in index order, in batches, as the driver returns them (keyset pagination on idx)."""
    for rows in driver_pages(session, columns, table, where, batch):
        yield from rows


def driver_pages(
    session: Session, columns: str, table: str, where: str, batch: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in index order, a list of up to ``batch`` at a time, as the driver returns them.

    On PostgreSQL the rows come in binary form: the same Python values (int, bytes, str, datetime),
    at half the cost per row of decoding hex-escaped ``bytea`` and text numbers.
    """
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"SELECT {columns} FROM {table} WHERE {where}idx > {mark} ORDER BY idx LIMIT {int(batch)}"  # noqa: S608 - constant identifiers  # nosec B608
    options = {"binary": True} if conn.dialect.name == "postgresql" else {}
    last: object = -1
    while True:
        cursor = conn.connection.driver_connection.cursor(**options)  # type: ignore[union-attr]  # a DBAPI connection is there while the session is open
        try:
            cursor.execute(sql, (last,))
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _plain(value: object) -> object:
    # psycopg hands out memoryview for binary columns.
    return bytes(value) if isinstance(value, memoryview) else value


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: object) -> str:
    """A value's stored type in words, for messages; never the value itself (it may be personal data)."""
    if value is None:
        return "NULL"
    return {bytes: "bytes", memoryview: "bytes", str: "text", int: "an integer", float: "a number"}.get(
        type(value), type(value).__name__
    )
