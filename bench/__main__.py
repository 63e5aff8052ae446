"""`make bench`: every figure as a ratio against the raw primitive measured in the same run."""

from __future__ import annotations

import platform
import sys

from bench import crypto, decisions, log, node_pages, node_sync, service


def main() -> None:
    print(f"exchange benchmarks on Python {platform.python_version()}, {platform.machine()}")
    sections = {
        "decisions": decisions.run,
        "crypto": crypto.run,
        "log": log.run,
        "service": service.run,
        "case-page": node_pages.run,
        "node": node_sync.run,
    }
    chosen = sys.argv[1:] or list(sections)
    for name in chosen:
        print()
        sections[name]()


if __name__ == "__main__":
    main()
