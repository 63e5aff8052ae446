"""Migration 0011 removes the plaintext free text stored before texts were sealed."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from exchange.storage.db import make_engine
from exchange.storage.schema import upgrade


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_plaintext_reasons_and_notes_are_cleared(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Reasons and notes written in plaintext before 0011 are gone afterwards; the rows, and the
    rows that refer to a case, stay."""
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(f"m{uuid.uuid4().hex[:12]}")
    engine = make_engine(url)
    upgrade(engine, "0010")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO cases (id, covenant, purpose, phase, coordinator, created, selection_reason) "
                "VALUES ('case-1', 'pit/2021', 'p', 'preparation', 'helmond', '2026-01-01', 'Dorpsstraat 5701')"
            )
        )
        c.execute(text("INSERT INTO case_parties (case_id, party) VALUES ('case-1', 'helmond')"))
        c.execute(
            text(
                "INSERT INTO selection_reviews (case_id, reviewer_party, reviewer, verdict, note, reviewed) "
                "VALUES ('case-1', 'helmond', 'jur-1', 'approved', 'BSN 123456782', '2026-01-02')"
            )
        )
        c.execute(
            text(
                "INSERT INTO action_points (id, case_id, kind, owner, deadline, status, reason, updated) "
                "VALUES ('act-1', 'case-1', 'fine', 'helmond', '2026-02-01', 'done', 'Dorpsstraat', '2026-02-02')"
            )
        )
    upgrade(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT id, selection_text FROM cases")).all() == [("case-1", None)]
        assert c.execute(text("SELECT verdict, note_text FROM selection_reviews")).all() == [
            ("approved", None)
        ]
        assert c.execute(text("SELECT status, reason_text FROM action_points")).all() == [("done", None)]
        assert c.execute(text("SELECT party FROM case_parties")).all() == [("helmond",)]
    engine.dispose()
