"""The baseline for the service benchmark: the same index lookup with nothing else around it.

The signed service itself runs from exchange.api.asgi:create."""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy import select

from exchange.storage.db import make_engine, session_factory
from exchange.storage.models import CaseSubject, HitIndexEntry


def plain_app() -> FastAPI:
    """The same index lookup with no signature, no decision and no log: the baseline."""
    sessions = session_factory(make_engine(os.environ["BENCH_DB"]))
    providers = os.environ["BENCH_PROVIDERS"].split(",")
    app = FastAPI()

    @app.post("/hits/{case_id}")
    def hits(case_id: str) -> list[dict[str, object]]:
        with sessions.begin() as s:
            subjects = list(
                s.execute(select(CaseSubject.subject).where(CaseSubject.case_id == case_id)).scalars()
            )
            held = set(
                s.execute(
                    select(HitIndexEntry.party, HitIndexEntry.category, HitIndexEntry.subject).where(
                        HitIndexEntry.subject.in_(subjects), HitIndexEntry.party.in_(providers)
                    )
                ).all()
            )
        return [{"subject": x, "party": p, "category": c, "hit": True} for p, c, x in held]

    return app
