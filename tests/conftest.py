"""Shared fixtures: the shipped covenant tree and a decision engine over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.policies.compiler import compile_covenant
from exchange.policies.engine import DecisionEngine
from exchange.policies.files import LoadedVersion, load_tree

ROOT = Path(__file__).resolve().parent.parent
CONVENANT = ROOT / "convenant"


@pytest.fixture(scope="session")
def shipped() -> list[LoadedVersion]:
    return load_tree(CONVENANT)


@pytest.fixture(scope="session")
def engine(shipped: list[LoadedVersion]) -> DecisionEngine:
    return DecisionEngine(compile_covenant(v.covenant) for v in shipped)
