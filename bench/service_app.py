"""The baseline for the service benchmark: the same index lookup and the same answers, with nothing
else around them (no signature, no decision, no log).

The signed service itself runs from exchange.api.asgi:create."""

from __future__ import annotations

import json
import os
from pathlib import Path

import orjson
from fastapi import FastAPI
from fastapi.responses import Response
from sqlalchemy import select

from exchange.storage.db import make_engine, reader_factory
from exchange.storage.models import CaseSubject, HitIndexEntry


def plain_app() -> FastAPI:
    """Answers hit/no-hit for each (provider, category) pair the signed service answered for the
    same case (``BENCH_PAIRS``: a JSON file of case id -> pairs), from the same index, encoded the
    same way. It reads in a read-only transaction, the cheapest way the database offers."""
    sessions = reader_factory(make_engine(os.environ["BENCH_DB"]))
    pairs_by_case: dict[str, list[tuple[str, str]]] = {
        case: [(p, c) for p, c in pairs]
        for case, pairs in json.loads(Path(os.environ["BENCH_PAIRS"]).read_text()).items()
    }
    app = FastAPI()

    @app.post("/hits/{case_id}")
    def hits(case_id: str) -> Response:
        pairs = pairs_by_case[case_id]
        providers = sorted({p for p, _ in pairs})
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
        body = [
            {"subject": x, "provider": p, "category": c, "hit": (p, c, x) in held}
            for x in subjects
            for p, c in pairs
        ]
        return Response(orjson.dumps(body), media_type="application/json")

    return app
