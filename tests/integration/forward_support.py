"""A service whose PIT covenant has a signal-phase flow from Helmond to Senzer: the shipped covenants
have none from a coordinator's party to a partner, so forwarding is refused with them everywhere."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import convenant_today

#: Helmond may pass a benefit-fraud signal to Senzer before any case is opened (test-only flow).
FLOW = """
  - id: signaal-naar-senzer
    from: helmond
    to: senzer
    categories: [bijstand-status]
    purpose: uitkeringsfraude
    phases: [signal]
    form: content
    ground: Participatiewet art. 53a
    article: "7"
    roles: [coordinator, employee]
"""


def forwarding_tree(tmp: Path) -> Path:
    """The shipped tree dated for today, with :data:`FLOW` added to PIT 2021."""
    tree = tmp / "convenant"
    shutil.copytree(convenant_today(), tree)
    flows = tree / "pit" / "2021" / "flows.yaml"
    flows.write_text(flows.read_text(encoding="utf-8").rstrip("\n") + "\n" + FLOW, encoding="utf-8")
    return tree
