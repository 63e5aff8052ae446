"""Units of work: an action and its log event commit together, or neither does.

``run_unit`` is one transaction per unit. ``GroupCommitter`` runs units submitted by many threads in
shared transactions: each unit in its own SAVEPOINT (a failing unit rolls back alone), then one
COMMIT, one fsync, for the whole batch. A unit's result is released only after that commit, so a
caller never hears "done" for something that is not durable. If the commit fails, every unit of the
batch fails with :class:`StorageError`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from exchange.errors import ExchangeError, StorageError

log = logging.getLogger(__name__)
T = TypeVar("T")
Unit = Callable[[Session], Any]


def run_unit(sessions: sessionmaker[Session], unit: Callable[[Session], T]) -> T:
    """Run one unit in its own transaction and commit it."""
    try:
        with sessions.begin() as session:
            return unit(session)
    except ExchangeError:
        raise
    except SQLAlchemyError as exc:
        log.error("transaction failed: %s", type(exc).__name__)
        raise StorageError("the database could not complete the request; nothing was done") from None


class GroupCommitter:
    """Batches concurrent units of work into shared transactions (one writer thread)."""

    def __init__(self, sessions: sessionmaker[Session], max_batch: int = 256) -> None:
        self._sessions = sessions
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[Unit, Future[Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="group-commit", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, unit: Callable[[Session], T]) -> Future[T]:
        if self._closed:
            raise StorageError("the writer is shut down")
        future: Future[T] = Future()
        self._queue.put((unit, future))
        return future

    def run(self, unit: Callable[[Session], T], timeout: float | None = 60.0) -> T:
        """Submit and wait for the committed result. If the database does not answer in time, the
        caller hears :class:`StorageError` (503), never a result: should the unit still commit
        later, it is logged but was not acknowledged, and nothing was released."""
        try:
            return self.submit(unit).result(timeout=timeout)
        except FutureTimeout:
            log.error("unit of work timed out")
            raise StorageError("the database did not answer in time; nothing was released") from None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[tuple[Unit, Future[Any]]]) -> None:
        """Optimistic: run the whole batch in one transaction without savepoints. Only if a unit
        fails, roll the batch back and run it again with a savepoint per unit, so the failing unit
        rolls back alone. Units must act only through their session, so running one twice is safe."""
        try:
            with self._sessions.begin() as session:
                results = [(future, unit(session)) for unit, future in batch]
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(_translate(exc))
                return
            self._commit_isolated(batch)
            return
        for future, result in results:
            future.set_result(result)

    def _commit_isolated(self, batch: list[tuple[Unit, Future[Any]]]) -> None:
        done: list[tuple[Future[Any], Any]] = []
        try:
            with self._sessions.begin() as session:
                for unit, future in batch:
                    try:
                        with session.begin_nested():
                            done.append((future, unit(session)))
                    except Exception as exc:  # the unit's own failure: its savepoint is rolled back
                        future.set_exception(_translate(exc))
        except Exception as exc:
            log.error("group commit failed: %s", type(exc).__name__)
            error = StorageError("the database could not commit; nothing was done")
            for future, _ in done:
                future.set_exception(error)
            return
        for future, result in done:
            future.set_result(result)


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, ExchangeError):
        return exc
    if isinstance(exc, SQLAlchemyError):
        log.error("unit of work failed: %s", type(exc).__name__)
        return StorageError("the database could not complete the request; nothing was done")
    return exc
