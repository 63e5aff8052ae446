"""Migration 0016 records a publication for every index that held entries, so existing indexes keep
answering hit or no-hit, never no-index; and it can be undone."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from exchange.storage.db import make_engine
from exchange.storage.schema import MIGRATIONS, upgrade


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_indexes_with_entries_count_as_published(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Each (party, category) with entries gets one publication; nothing else does."""
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(f"m{uuid.uuid4().hex[:12]}")
    engine = make_engine(url)
    upgrade(engine, "0011")
    with engine.begin() as c:
        for party, category, subject in (
            ("senzer", "bijstand-status", "v1:a"),
            ("senzer", "bijstand-status", "v1:b"),
            ("politie-oost-brabant", "politie-incidenten", "v1:a"),
        ):
            c.execute(
                text("INSERT INTO hit_index (party, category, subject) VALUES (:p, :c, :s)"),
                {"p": party, "c": category, "s": subject},
            )
    upgrade(engine)
    with engine.connect() as c:
        assert sorted(c.execute(text("SELECT party, category FROM hit_index_published")).all()) == [
            ("politie-oost-brabant", "politie-incidenten"),
            ("senzer", "bijstand-status"),
        ]
    assert {"forwards", "forward_wraps"} <= set(inspect(engine).get_table_names())
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011")
    assert not {"hit_index_published", "forwards", "forward_wraps"} & set(inspect(engine).get_table_names())
    engine.dispose()
