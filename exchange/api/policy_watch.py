"""Every worker decides with the covenant versions its signatories approved, without a restart.

Approved versions live in the database (:mod:`exchange.storage.revisions`). Each process checks for
new ones at most once per ``EXCHANGE_POLICY_REFRESH_SECONDS`` (on the next signed request after the
interval) and installs them into its :class:`~exchange.policies.engine.DecisionEngine`, which swaps
its whole snapshot at once: a request decides under the old set or the new one, never a mixture.
The worker that records the last approval installs the version right after its commit. A version is
installed from the compiled texts stored with it, and only if they still hash to the approved digest.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from exchange.errors import ConfigurationError
from exchange.policies.compiler import CompiledPolicy, load_compiled
from exchange.policies.engine import DecisionEngine
from exchange.storage.revisions import RevisionRepository

log = logging.getLogger(__name__)


class PolicyWatcher:
    """Keeps a process's decision engine in step with the approved versions in the database."""

    def __init__(
        self,
        decisions: DecisionEngine,
        readers: sessionmaker[Session],
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.decisions = decisions
        self.readers = readers
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self._installed: frozenset[str] = frozenset()

    def start(self) -> None:
        """Install every approved version at start-up. A stored version that no longer hashes to its
        digest, or that clashes with a file version of the same label, stops the start."""
        problems = self._refresh()
        if problems:
            raise ConfigurationError("; ".join(problems))

    def refresh(self, force: bool = False) -> None:
        """Look for newly approved versions if the interval has passed (or ``force``). Never raises:
        a failure is logged and the versions in force stay in force."""
        now = self.clock()
        if not force and now - self._checked < self.interval:
            return
        if not self._lock.acquire(blocking=force):
            return  # another request of this process is looking already
        try:
            self._checked = now
            for problem in self._refresh():
                log.error("covenant version not installed: %s", problem)
        except Exception:
            log.exception("could not read the approved covenant versions; the versions in force stay")
        finally:
            self._lock.release()

    def _refresh(self) -> list[str]:
        with self.readers.begin() as session:
            repo = RevisionRepository(session)
            if repo.approved_digests() <= self._installed:
                return []
            rows = [r for r in repo.approved() if r.digest not in self._installed]
        problems: list[str] = []
        ready: list[CompiledPolicy] = []
        by_ref = {str(p.covenant.ref): p.digest for p in self.decisions.policies}
        for row in rows:
            compiled = load_compiled(row.model_text, row.policy_text, row.covenant_json)
            ref = str(compiled.covenant.ref)
            if compiled.digest != row.digest:
                problems.append(f"{ref}: its stored texts hash to {compiled.digest}, not {row.digest}")
            elif ref in by_ref and by_ref[ref] != compiled.digest:
                problems.append(
                    f"{ref}: the covenant files hold another version with this label "
                    f"({by_ref[ref]}); remove it from the files or relabel it"
                )
            else:
                ready.append(compiled)
        if ready:
            self.decisions.install(*ready)
            self._installed = self._installed | {str(p.digest) for p in ready}
            log.info("covenant versions installed: %s", ", ".join(str(p.covenant.ref) for p in ready))
        return problems
