"""Verification reads entries 256 at a time (one level-0 tile): whatever is altered, in a whole
bundle, in the last partial one, or in a bundle with a checkpoint inside it, it names the same entry
with the same words as checking every entry one by one does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from exchange.audit.merkle import leaf_hash, root_from_leaf_hashes
from exchange.storage.audit_store import LogCorrupted
from exchange.storage.log_bundle import BundleCheck
from exchange.storage.models import LogEntry
from tests.integration.conftest import Db
from tests.integration.test_audit_store import P_B, T0, fill, retile, tamper_tile

#: Checkpoints inside bundle 1 (300) and at its end (512); the log ends in a partial bundle (900).
CHECKPOINTS, SIZE = (300, 512), 900
Outcome = tuple[object, ...]


def build(db: Db) -> None:
    start = 0
    for size in (*CHECKPOINTS, SIZE):
        fill(db, size - start, start)
        start = size
        if size in CHECKPOINTS:
            with db.sessions.begin() as s:
                db.log.sign_checkpoint(s, db.signer, T0)


def outcome(db: Db, s: Session, columns: bool) -> Outcome:
    try:
        report = db.log.verify(s, db.signer.verifier, check_columns=columns)
    except LogCorrupted as exc:
        return ("corrupted", exc.index, str(exc))
    return ("ok", report.size, report.root, report.checkpoints)


def one_by_one(db: Db, s: Session, columns: bool) -> Outcome:
    """The outcome with no bundle ever passing: every entry checked on its own, as before bundles."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BundleCheck, "check", lambda self, start, rows: None)
        return outcome(db, s, columns)


def set_column(index: int, column: str, value: object) -> Callable[[Session], object]:
    return lambda s: s.execute(update(LogEntry).where(LogEntry.idx == index).values({column: value}))


def flip_event(index: int) -> Callable[[Session], object]:
    def tamper(s: Session) -> None:
        raw = bytearray(
            s.execute(text("SELECT event FROM log_entries WHERE idx = :i"), {"i": index}).scalar_one()
        )
        raw[raw.index(b"helmond")] ^= 0x01
        set_column(index, "event", bytes(raw))(s)

    return tamper


def later(index: int) -> Callable[[Session], object]:
    def tamper(s: Session) -> None:
        moment = s.execute(text("SELECT time FROM log_entries WHERE idx = :i"), {"i": index}).scalar_one()
        if isinstance(moment, str):  # SQLite hands out the stored text
            s.execute(
                text("UPDATE log_entries SET time = :t WHERE idx = :i"), {"t": moment[:-1] + "1", "i": index}
            )
        else:
            set_column(index, "time", moment + timedelta(microseconds=1))(s)

    return tamper


def forge_invalid(index: int, key: str = "v", value: object = True) -> Callable[[Session], object]:
    """Rewrite the entry, the tree and the head consistently, with an event no appender writes
    (version true, details that are a list): only the check of the event itself can tell."""

    def tamper(s: Session) -> None:
        data = orjson.loads(
            s.execute(text("SELECT event FROM log_entries WHERE idx = :i"), {"i": index}).scalar_one()
        )
        data[key] = value
        forged = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
        set_column(index, "event", forged)(s)
        set_column(index, "leaf_hash", leaf_hash(forged))(s)
        leaves = [
            bytes(h) for h in s.execute(text("SELECT leaf_hash FROM log_entries ORDER BY idx")).scalars()
        ]
        for sql, params in retile(leaves):
            s.execute(text(sql.replace("%(", ":").replace(")s", "")), params)
        s.execute(text("UPDATE log_head SET root = :r"), {"r": root_from_leaf_hashes(leaves)})

    return tamper


TAMPERS: list[tuple[str, Callable[[Session], object], int, str]] = [
    ("event in a whole bundle", flip_event(100), 100, "event bytes do not match the stored leaf hash"),
    ("event after a checkpoint", flip_event(520), 520, "event bytes do not match the stored leaf hash"),
    (
        "leaf hash, last of a bundle",
        set_column(767, "leaf_hash", bytes(32)),
        767,
        "do not match the stored leaf hash",
    ),
    (
        "query column",
        set_column(200, "case_id", "case-2"),
        200,
        "query column 'case_id' does not match the event",
    ),
    ("time column", later(400), 400, "query column 'time' does not match the event"),
    ("last partial bundle", set_column(850, "subject", P_B), 850, "query column 'subject' does not match"),
    (
        "deleted entry",
        lambda s: s.execute(text("DELETE FROM log_entries WHERE idx = 260")),
        260,
        "entry is missing",
    ),
    (
        "inner nodes of a tile",
        lambda s: s.execute(
            text("UPDATE log_tiles SET nodes = :n WHERE level = 0 AND idx = 1"), {"n": bytes(254 * 32)}
        ),
        511,
        "the inner nodes stored with tile 0/1 do not match the entries",
    ),
    (
        "hash of a tile",
        lambda s: tamper_tile(s, 0, 2, 3, b"\x01" * 32),
        767,
        "stored tile 0/2 does not match the entries",
    ),
    (
        "checkpoint inside a bundle",
        lambda s: s.execute(text("UPDATE log_checkpoints SET root = :r WHERE size = 300"), {"r": bytes(32)}),
        300,
        "checkpoint at size 300 does not match the recomputed root",
    ),
    ("invalid event, tree rewritten", forge_invalid(700), 700, "event is not a valid event"),
    (
        "details no object, tree rewritten",
        forge_invalid(600, "details", []),
        600,
        "event is not a valid event",
    ),
]


def test_a_log_of_bundles_with_checkpoints_inside_verifies(db: Db) -> None:
    """An intact log passes both ways; every whole bundle passes as a bundle (none falls back to the
    one-by-one check), including the one with a checkpoint inside; the last, partial one cannot."""
    build(db)
    passed: list[tuple[int, bool]] = []
    check = BundleCheck.check

    def recording(self: BundleCheck, start: int, rows: Sequence[tuple[Any, ...]]) -> object:
        result = check(self, start, rows)
        passed.append((start, result is not None))
        return result

    with db.sessions.begin() as s:
        for columns in (True, False):
            passed.clear()
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(BundleCheck, "check", recording)
                result = outcome(db, s, columns)
            assert passed == [(0, True), (256, True), (512, True), (768, False)]
            assert result == ("ok", SIZE, db.log.root(s), 2)
            assert result == one_by_one(db, s, columns)


@pytest.mark.parametrize(
    ("tamper", "index", "message"), [t[1:] for t in TAMPERS], ids=[t[0] for t in TAMPERS]
)
def test_an_alteration_is_named_as_one_by_one(
    db: Db, tamper: Callable[[Session], object], index: int, message: str
) -> None:
    build(db)
    with db.sessions.begin() as s:
        tamper(s)
    assert_named_as_one_by_one(db, index, message)


def assert_named_as_one_by_one(db: Db, index: int, message: str) -> None:
    """Bundles and the entry-by-entry check agree, with and without the columns, on the bad entry."""
    with db.sessions.begin() as s:
        for columns in (True, False):
            assert outcome(db, s, columns) == one_by_one(db, s, columns)
        result = outcome(db, s, True)
    assert result[:2] == ("corrupted", index)
    assert message in str(result[2])


SQLITE_TYPES = [
    ("UPDATE log_entries SET event = CAST(event AS TEXT) WHERE idx = 300", 300, "event is stored as text"),
    ("UPDATE log_entries SET time = 12345 WHERE idx = 400", 400, "query column 'time' holds an integer"),
    (
        "UPDATE log_entries SET case_id = x'00' WHERE idx = 401",
        401,
        "'case_id' does not match the event (it is stored as bytes)",
    ),
    ("UPDATE log_entries SET leaf_hash = 'x' WHERE idx = 402", 402, "(the leaf hash is stored as text)"),
    (
        "UPDATE log_entries SET trace_id = x'01' WHERE idx = 403",
        403,
        "'trace_id' does not match the event (it is stored as bytes)",
    ),
]


@pytest.mark.parametrize(("sql", "index", "message"), SQLITE_TYPES)
def test_a_wrong_stored_type_in_a_bundle_is_named_as_one_by_one(
    sqlite_db: Db, sql: str, index: int, message: str
) -> None:
    build(sqlite_db)
    with sqlite_db.sessions.begin() as s:
        s.execute(text(sql))
    assert_named_as_one_by_one(sqlite_db, index, message)


COLUMNS_TO_ALTER = [
    "event",
    "leaf_hash",
    "case_id",
    "actor_party",
    "outcome",
    "articles",
    "covenant",
    "trace_id",
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(min_value=0, max_value=SIZE - 1), column=st.sampled_from(COLUMNS_TO_ALTER))
def test_any_altered_entry_is_named_as_one_by_one(db: Db, index: int, column: str) -> None:
    """A random entry's column altered (in a transaction rolled back after): same verdict both ways."""
    with db.sessions.begin() as s:
        empty = not s.execute(text("SELECT COUNT(*) FROM log_entries")).scalar_one()
    if empty:  # the first example builds the log; every example rolls its alteration back
        build(db)
    with db.sessions() as s:
        if column == "event":
            flip_event(index)(s)
        elif column == "leaf_hash":
            set_column(index, column, bytes(32))(s)
        else:
            set_column(index, column, "altered")(s)
        for columns in (True, False):
            assert outcome(db, s, columns) == one_by_one(db, s, columns)
        s.rollback()
