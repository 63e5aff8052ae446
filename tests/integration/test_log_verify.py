"""Verifying the disclosure log against tampering: changed storage types, truncation, reporting."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from exchange.api import problems
from exchange.audit.witness import WitnessState, witness
from exchange.crypto import sodium
from exchange.errors import VerificationError
from exchange.storage.audit_store import LogCorrupted, Witnessed
from exchange.storage.models import LogEntry
from tests.integration.conftest import Db
from tests.integration.test_audit_store import T0, ev, fill, retile

WITNESS = "helmond.test/witness"


def test_a_corrupted_log_is_a_verification_error_and_a_problem_document() -> None:
    """LogCorrupted is a VerificationError; the API answers it with a problem document naming the
    entry (503: nothing can be recorded safely), not an internal error, and not as 'not authenticated'."""
    assert issubclass(LogCorrupted, VerificationError)
    app = FastAPI()
    problems.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise LogCorrupted(4, "event bytes do not match the stored leaf hash")

    response = TestClient(app).get("/boom")
    assert response.status_code == 503
    assert response.headers["content-type"] == problems.MEDIA_TYPE
    body = response.json()
    assert body["title"] == "Disclosure log failed verification"
    assert body["detail"] == "log entry 4: event bytes do not match the stored leaf hash"
    assert body["type"].endswith("/log-integrity")


@pytest.mark.parametrize(
    ("sql", "index", "message"),
    [
        ("UPDATE log_entries SET event = CAST(event AS TEXT) WHERE idx = 5", 5, "event is stored as text"),
        ("UPDATE log_entries SET event = 42 WHERE idx = 5", 5, "event is stored as an integer"),
        ("UPDATE log_entries SET time = 12345 WHERE idx = 5", 5, "query column 'time' holds an integer"),
        ("UPDATE log_entries SET time = 'soon' WHERE idx = 5", 5, "query column 'time' holds text"),
        ("UPDATE log_entries SET case_id = x'00' WHERE idx = 5", 5, r"'case_id' .* stored as bytes\)"),
        ("UPDATE log_entries SET leaf_hash = 'x' WHERE idx = 5", 5, r"leaf hash is stored as text\)"),
        ("UPDATE log_tiles SET hashes = 'x' WHERE level = 0 AND idx = 0", 10, r"hashes are stored as text\)"),
        ("UPDATE log_checkpoints SET note = CAST(note AS BLOB)", 8, "its note is stored as bytes, not text"),
        ("UPDATE log_checkpoints SET size = 'eight'", 10, "checkpoint's size is stored as text"),
        ("UPDATE log_head SET size = 'ten'", 10, "head's size is stored as text, not an integer"),
        ("UPDATE log_head SET size = x'0a'", 10, "head's size is stored as bytes, not an integer"),
    ],
)
def test_a_changed_storage_type_is_reported_not_a_crash(
    sqlite_db: Db, sql: str, index: int, message: str
) -> None:
    """On SQLite a column holds whatever is written into it; verification names the entry and what
    is wrong with it instead of failing with a TypeError or ValueError."""
    fill(sqlite_db, 8)
    with sqlite_db.sessions.begin() as s:
        sqlite_db.log.sign_checkpoint(s, sqlite_db.signer, T0)
    fill(sqlite_db, 2, 8)
    with sqlite_db.sessions.begin() as s:
        s.execute(text(sql))
    with sqlite_db.sessions.begin() as s, pytest.raises(LogCorrupted, match=message) as info:
        sqlite_db.log.verify(s, sqlite_db.signer.verifier)
    assert info.value.index == index


def _witness_at(db: Db, name: str = WITNESS, previous: WitnessState | None = None) -> WitnessState:
    """Sign a checkpoint at the current size and have a party witness it; the cosignature is stored."""
    public, secret = sodium.sign_keypair_from_seed(b"\x09" * 32)
    with db.sessions.begin() as s:
        cp = db.log.sign_checkpoint(s, db.signer, T0)
        proof = db.log.prove_consistency(s, previous.size, cp.size) if previous and previous.size else []
        state, line = witness(
            cp.note, proof, previous, db.signer.verifier, name, public, secret, 1_700_000_000
        )
        db.log.register_witness(s, name, "helmond", public)
        db.log.add_cosignature(s, cp.size, line.render())
    return state


def _as_operator(db: Db, statements: list[tuple[str, dict[str, object]]]) -> None:
    """Run statements as an operator with direct database access would, foreign keys not enforced
    (the sqlite3 shell's default; on PostgreSQL a superuser's replica role skips them)."""
    if db.engine.dialect.name == "sqlite":
        with sqlite3.connect(db.engine.url.database or "") as conn:
            for sql, params in statements:
                conn.execute(sql.replace("%(", ":").replace(")s", ""), params)
        return
    with db.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for sql, params in statements:
            conn.exec_driver_sql(sql, params)


def _truncate(db: Db, size: int) -> None:
    """Cut the log back to ``size`` entries consistently, and delete the checkpoints beyond it,
    leaving only the witnesses' stored cosignatures: a plain rebuild of the tree passes."""
    with db.sessions.begin() as s:
        root = db.log.root(s, size)
        leaves = [
            bytes(h) for h in s.execute(text("SELECT leaf_hash FROM log_entries ORDER BY idx")).scalars()
        ]
    _as_operator(
        db,
        [
            ("DELETE FROM log_entries WHERE idx >= %(n)s", {"n": size}),
            *retile(leaves[:size]),
            ("DELETE FROM log_checkpoints WHERE size > %(n)s", {"n": size}),
            ("UPDATE log_head SET size = %(n)s, root = %(r)s", {"n": size, "r": root}),
        ],
    )


def test_stored_cosignatures_catch_a_truncated_log_with_its_checkpoints_deleted(db: Db) -> None:
    """The log cut back to 6 entries with its checkpoints deleted rebuilds consistently, but a
    witness's stored cosignature at size 10 no longer fits: plain verification fails at entry 6."""
    fill(db, 4)
    early = _witness_at(db)
    fill(db, 6, 4)
    _witness_at(db, previous=early)
    fill(db, 3, 10)
    with db.sessions.begin() as s:
        report = db.log.verify(s, db.signer.verifier)
    assert report.size == 13
    assert report.witnessed == (Witnessed(WITNESS, 10),)
    _truncate(db, 6)
    with db.sessions.begin() as s, pytest.raises(LogCorrupted) as info:
        db.log.verify(s, db.signer.verifier)
    assert info.value.index == 6
    assert f"witness '{WITNESS}' cosigned a checkpoint of size 10 but the log has 6 entries" in str(
        info.value
    )
    assert "entries 6 to 9 are missing" in str(info.value)


def test_stored_cosignatures_catch_a_consistently_rewritten_log(db: Db) -> None:
    """Entry 2 rewritten and the whole tree, head and checkpoints rebuilt to match: the log's own
    checks pass, but the witness cosigned another root at size 8."""
    from exchange.audit.merkle import leaf_hash

    fill(db, 8)
    _witness_at(db)
    forged = ev(2, case="case-forged").canonical()
    with db.sessions.begin() as s:
        s.execute(
            text("UPDATE log_entries SET event = :e, leaf_hash = :h, case_id = 'case-forged' WHERE idx = 2"),
            {"e": forged, "h": leaf_hash(forged)},
        )
        s.execute(text("DELETE FROM log_tiles"))
        rows = s.query(LogEntry).order_by(LogEntry.idx).all()
        events = [r.event for r in rows]
        s.execute(text("DELETE FROM log_entries"))
        s.execute(text("UPDATE log_head SET size = 0, root = :r"), {"r": db.log.root(s, 0)})
    from exchange.audit.events import event_from_bytes

    with db.sessions.begin() as s:
        db.log.append_many(s, [event_from_bytes(e) for e in events])
    _as_operator(db, [("DELETE FROM log_checkpoints", {})])
    with (
        db.sessions.begin() as s,
        pytest.raises(LogCorrupted, match="cosigned another root at size 8") as info,
    ):
        db.log.verify(s, db.signer.verifier)
    assert info.value.index == 8


def test_a_replaced_witness_key_or_a_dangling_cosignature_is_reported(db: Db) -> None:
    """A witness key swapped in the database, or a cosignature whose witness row is gone, fails."""
    fill(db, 3)
    _witness_at(db)
    _as_operator(db, [("UPDATE log_witnesses SET public = %(p)s", {"p": b"\x07" * 32})])
    with db.sessions.begin() as s, pytest.raises(LogCorrupted, match="stored key was replaced"):
        db.log.verify(s, db.signer.verifier)
    _as_operator(db, [("DELETE FROM log_witnesses", {})])
    with db.sessions.begin() as s, pytest.raises(LogCorrupted, match="no registered key"):
        db.log.verify(s, db.signer.verifier)


def test_without_stored_cosignatures_the_report_says_none_were_checked(db: Db) -> None:
    """With no witness cosignature stored, verification passes and reports that none was checked."""
    fill(db, 3)
    with db.sessions.begin() as s:
        assert db.log.verify(s, db.signer.verifier).witnessed == ()
