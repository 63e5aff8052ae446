"""The index sync as a scheduled job inside ``exchange node serve``: a pass every
``EXCHANGE_NODE_SYNC_INTERVAL_MINUTES`` (off when 0) on a thread of its own. A pass that fails is
logged by its kind and message (a category, counts and a file name, never a subject) and tried again
at the next interval; an unfinished run is resumed then (:mod:`exchange.node.index_runs`)."""

from __future__ import annotations

import logging
import threading

from exchange.errors import ExchangeError
from exchange.node.folder_sync import sync_pass
from exchange.node.runtime import NodeRuntime
from exchange.node.sync_hub import LiveIndexHub

log = logging.getLogger("exchange.node.sync")


class SyncSchedule:
    """Start with :meth:`start`; :meth:`stop` ends it after the pass under way."""

    def __init__(self, rt: NodeRuntime, interval_seconds: float) -> None:
        self.rt, self.interval = rt, interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="index-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def run_once(self) -> None:
        try:
            for o in sync_pass(self.rt, LiveIndexHub(self.rt)):
                log.info(
                    "index sync %s: %s (+%d -%d =%d)",
                    o.category,
                    o.state,
                    o.additions,
                    o.removals,
                    o.unchanged,
                )
        except ExchangeError as exc:
            log.warning("index sync did not finish: %s", exc)

    def _loop(self) -> None:
        # A pass at start too: it fetches a pseudonym key version distributed while the node was
        # down, before staff open a case with the older one.
        self.run_once()
        while not self._stop.wait(self.interval):
            self.run_once()
