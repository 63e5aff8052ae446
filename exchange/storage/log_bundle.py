"""Verifying the log's entries in bundles of 256, one level-0 tile each, instead of one at a time.

A bundle passes only if every entry in it passes every check :func:`exchange.storage.log_verify.verify_log`
makes of a single entry: its index, its event stored as bytes, the event's leaf hash equal to the
stored one, and (with the query columns) each column equal to what the event gives. The checks are
made over the whole bundle at once: the leaf hashes in one comprehension and compared as one list,
the query columns compared column by column over the bundle (:class:`ColumnReader` reads them, the
stored ``time`` converted once per distinct pair of values). A bundle that does not pass is not
judged here: the caller checks its entries one by one, so the entry named and the message are
those of the one-by-one check, whatever failed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from exchange.audit.event_columns import COLUMNS, ColumnReader
from exchange.audit.merkle import LEAF_HASH_PREFIX
from exchange.audit.tile_build import full_tile_nodes
from exchange.audit.tiles import TILE_WIDTH
from exchange.clock import as_utc

BUNDLE = TILE_WIDTH
#: Event values a driver hands out for a binary column: bytes (sqlite3), memoryview (psycopg).
_BLOBS = frozenset((bytes, memoryview))
#: Distinct (event time, stored time) pairs remembered as equal; emptied when it grows past this.
_TIME_MEMO = 100_000
#: The stored row: idx, leaf hash, event, then the query columns (``time`` first).
_TIME = 3


class BundleCheck:
    """Checks bundles of 256 entries; ``time_of`` (the driver's ``time`` to a datetime) also checks
    the query columns."""

    def __init__(self, time_of: Callable[[Any], Any] | None) -> None:
        self._time_of = time_of
        self._reader = ColumnReader() if time_of is not None else None
        self._times: set[tuple[datetime, object]] = set()

    def check(self, start: int, rows: Sequence[tuple[Any, ...]]) -> tuple[bytes, bytes, bytes] | None:
        """The level-0 tile entries ``start`` to ``start + 255`` make, as (hashes, inner nodes, tile
        hash), if every row passes; None if any does not, or if they are no whole aligned tile."""
        if len(rows) != BUNDLE or start % BUNDLE:
            return None
        cols = list(zip(*rows, strict=True))
        if cols[0] != tuple(range(start, start + BUNDLE)):
            return None
        events = cols[2]
        if not _BLOBS.issuperset(map(type, events)):
            return None
        sha256, prefix = hashlib.sha256, LEAF_HASH_PREFIX
        hashes = [sha256(prefix + e).digest() for e in events]
        if hashes != list(cols[1]):
            return None
        if self._reader is not None and not self._columns(self._reader, events, cols):
            return None
        inner, tile_hash = full_tile_nodes(hashes)
        return b"".join(hashes), inner, tile_hash

    def _columns(self, reader: ColumnReader, events: Sequence[bytes], cols: list[tuple[Any, ...]]) -> bool:
        derived = reader.read(events)
        if derived is None:
            return False
        if derived[1:COLUMNS] != cols[_TIME + 1 : _TIME + COLUMNS]:
            return False
        try:  # the stored times, converted once per distinct (event time, stored value)
            pairs = set(zip(derived[0], cols[_TIME], strict=True)) - self._times
        except TypeError:  # an unhashable value: not one the one-by-one check accepts either
            return False
        if not all(self._same_time(moment, stored) for moment, stored in pairs):
            return False
        if len(self._times) + len(pairs) > _TIME_MEMO:
            self._times.clear()
        self._times.update(pairs)
        return True

    def _same_time(self, value: datetime, stored: object) -> bool:
        """Whether the stored ``time`` is the event's, ``value``, as the one-by-one check decides it."""
        if self._time_of is None:
            return False
        try:
            moment = self._time_of(stored)
            return isinstance(moment, datetime) and as_utc(moment) == value
        except (TypeError, ValueError, OverflowError):
            return False
