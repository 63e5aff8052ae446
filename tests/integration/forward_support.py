"""A service whose PIT covenant also lets Helmond forward a bijstand-status signal to Senzer (besides the
shipped signaal flows), in the roles coordinator and employee, as the forwarding tests expect."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import convenant_today

#: Helmond may pass a benefit-fraud signal to Senzer before any case is opened (test-only flow).
FLOW = """
  - id: signaal-bijstand-naar-senzer
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
