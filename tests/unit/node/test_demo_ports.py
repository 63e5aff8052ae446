"""``exchange demo --nodes --port-base N`` moves the three workspaces to N+1..N+3; 8701-8703 stay
the default (what README.md lists)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from exchange.cli import demo_nodes
from exchange.cli.main import app as cli


def _called(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, dict[str, Any]]:
    seen: dict[str, Any] = {}

    def fake(workdir: Path, say: Any, port: int = 8000, port_base: int = 8700) -> None:
        seen.update(workdir=workdir, port=port, nodes=demo_nodes.node_ports(port_base))

    monkeypatch.setattr(demo_nodes, "run_nodes", fake)
    result = CliRunner().invoke(cli, ["demo", "--nodes", *args])
    return result.exit_code, seen


def test_the_default_ports_are_8701_to_8703(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the option the workspaces keep the ports README.md names."""
    assert demo_nodes.NODE_PORTS == (8701, 8702, 8703)
    code, seen = _called(monkeypatch)
    assert code == 0 and seen["nodes"] == (8701, 8702, 8703) and seen["port"] == 8000


def test_port_base_moves_the_workspaces(monkeypatch: pytest.MonkeyPatch) -> None:
    """--port-base 9100 serves them on 9101-9103; the hub keeps its own --port."""
    code, seen = _called(monkeypatch, "--port-base", "9100", "--port", "9000")
    assert code == 0 and seen["nodes"] == (9101, 9102, 9103) and seen["port"] == 9000


def test_a_port_base_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The highest workspace port must still be a port."""
    code, seen = _called(monkeypatch, "--port-base", "65533")
    assert code == 2 and seen == {}
