"""``exchange demo --nodes`` (``make run``): the hub and three workspaces come up on SQLite, with a
demo user per node that can sign in, and a second start reuses what the first made."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from exchange.cli.demo_nodes import USERS, running
from tests.conftest import ROOT
from tests.service_process import free_port


def _sign_in(base: str, name: str, password: str) -> httpx.Response:
    """The sign-in form as a browser posts it (the pre-session cookie sent by hand: plain HTTP)."""
    form = httpx.get(base + "aanmelden")
    token = form.cookies["exchange_node_signin"]
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    return httpx.post(
        base + "aanmelden",
        data={"name": name, "password": password, "csrf": csrf.group(1)},
        headers={"Cookie": f"exchange_node_signin={token}"},
    )


def test_the_hub_and_three_nodes_start_and_each_demo_user_signs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """First start makes everything; each node names its party and lets its demo user in."""
    monkeypatch.chdir(ROOT)
    said: list[str] = []
    ports = (free_port(), free_port(), free_port())
    with running(tmp_path / "demo", said.append, port=free_port(), node_ports=ports, fast=True) as live:
        assert httpx.get(live.hub + "/ready").status_code == 200
        for user in USERS:
            base = live.nodes[user.party].replace("localhost", "127.0.0.1")
            page = httpx.get(base + "aanmelden")
            assert page.status_code == 200
            r = _sign_in(base, user.name, user.password)
            assert r.status_code == 303 and r.headers["location"] == "/start", user.party
    assert any("PIT's pseudonym key" in line for line in said)
    for party in ("helmond", "senzer", "politie-oost-brabant"):
        assert (tmp_path / "demo" / party / "passphrase").stat().st_mode & 0o777 == 0o600

    said.clear()
    with running(tmp_path / "demo", said.append, port=free_port(), node_ports=ports, fast=True) as live:
        user = USERS[0]
        r = _sign_in(live.nodes[user.party].replace("localhost", "127.0.0.1"), user.name, user.password)
        assert r.status_code == 303
    assert said == []  # nothing made again
