"""Many writers on one log: two services' appenders in one process, group commits whose units fail
after appending, savepoints rolled back and whole transactions abandoned, all at once. Afterwards the
log must verify, hold exactly the acknowledged events at the indexes they were given, and nothing of
what was rolled back.

The work is a fixed number of units per thread (not a time span), so what is checked does not depend
on how busy the machine is; only the interleaving does.
"""

from __future__ import annotations

import itertools
import random
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.audit.merkle import leaf_hash
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import session_factory
from exchange.storage.unit_of_work import GroupCommitter
from tests.integration.conftest import ORIGIN, Db

T0 = datetime(2026, 3, 1, tzinfo=UTC)
UNITS = 40  # per group-commit client
DIRECT = 30  # transactions per direct writer


class Refused(Exception):
    """A unit's own failure after it appended: its appends must vanish with it."""


def test_writers_of_two_services_keep_one_consistent_tree(db: Db) -> None:
    counter = itertools.count()
    lock = threading.Lock()

    def event() -> Event:
        with lock:
            i = next(counter)
        return Event(
            time=T0 + timedelta(milliseconds=i),
            trace_id=f"tr-{i}",
            action=Action.DECISION,
            actor=Actor("helmond", "u-1", "coordinator"),
            outcome=Outcome.ALLOWED,
            case="case-1",
        )

    logs = [db.log, AuditLog(ORIGIN)]  # the test's appender and a second service's
    factories = [db.sessions, session_factory(db.engine)]
    committers = [GroupCommitter(f) for f in factories]
    acknowledged: list[tuple[int, bytes]] = []
    rolled_back: list[bytes] = []
    errors: list[BaseException] = []

    def client(k: int) -> None:
        rnd = random.Random(k)
        log, committer = logs[k % 2], committers[k % 2]
        for _ in range(UNITS):
            events = [event() for _ in range(rnd.choice((1, 1, 2, 3, 70 if rnd.random() < 0.1 else 4)))]
            fail = rnd.random() < 0.15

            def unit(s: Session, events: list[Event] = events, fail: bool = fail) -> list[tuple[int, bytes]]:
                if len(events) == 1:
                    r = log.append(s, events[0])
                    done = [(r.index, r.leaf_hash)]
                else:
                    done = log.append_leaves(s, events)
                if fail:
                    raise Refused
                return done

            try:
                done = committer.run(unit)
            except Refused:
                rolled_back.extend(leaf_hash(e.canonical()) for e in events)
                continue
            except BaseException as exc:
                errors.append(exc)
                return
            with lock:
                acknowledged.extend(done)

    def direct(k: int) -> None:
        rnd = random.Random(100 + k)
        log, sessions = logs[k % 2], factories[k % 2]
        try:
            for _ in range(DIRECT):
                first = event()
                kept: list[tuple[int, bytes]] = []
                with sessions() as s, s.begin():
                    r = log.append(s, first)
                    kept.append((r.index, r.leaf_hash))
                    inner = [event() for _ in range(rnd.randint(1, 5))]
                    try:
                        with s.begin_nested():
                            kept_inner = log.append_leaves(s, inner)
                            if rnd.random() < 0.5:
                                raise Refused
                        kept.extend(kept_inner)
                    except Refused:
                        rolled_back.extend(leaf_hash(e.canonical()) for e in inner)
                    if rnd.random() < 0.3:
                        assert log.root(s) is not None  # a read of the tree in the same transaction
                    if rnd.random() < 0.2:
                        s.rollback()
                        rolled_back.extend(h for _, h in kept)
                        continue
                with lock:
                    acknowledged.extend(kept)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(6)]
    threads += [threading.Thread(target=direct, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in committers:
        c.close()
    assert errors == []

    with db.sessions.begin() as s:
        db.log.sign_checkpoint(s, db.signer, datetime.now(UTC))
        report = db.log.verify(s, db.signer.verifier)
        stored = {int(i): bytes(h) for i, h in s.execute(text("SELECT idx, leaf_hash FROM log_entries"))}
    assert report.size == len(acknowledged) == len(stored)
    assert sorted(i for i, _ in acknowledged) == list(range(report.size))
    assert all(stored[i] == h for i, h in acknowledged)
    assert not set(rolled_back) & set(stored.values())
    # The two services' appenders go on from the same tree.
    for log in logs:
        with db.sessions.begin() as s:
            log.append(s, event())
    with db.sessions.begin() as s:
        assert db.log.verify(s, db.signer.verifier).size == report.size + 2
