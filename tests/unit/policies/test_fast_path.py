"""The fast decision table answers exactly as plain Casbin does, also while policies are swapped."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.policies.casbin_adapter import CasbinMatcher, CasbinReference
from exchange.policies.compiler import compile_covenant
from exchange.policies.decision import DecisionRequest
from exchange.policies.engine import DecisionEngine
from exchange.policies.files import LoadedVersion, load_tree
from exchange.policies.synthetic import synthetic_covenant
from tests.conftest import CONVENANT
from tests.strategies import moment_in_force, requests_for

SHIPPED = [v.covenant for v in load_tree(CONVENANT)]
SYNTHETIC = [synthetic_covenant(seed=s, parties=30, flows=150, categories=12, purposes=4) for s in (1, 2)]
ALL = SHIPPED + SYNTHETIC
ENGINE = DecisionEngine(compile_covenant(c) for c in ALL)
CASBIN = CasbinMatcher()


def assert_same(r: DecisionRequest) -> None:
    fast = ENGINE.decide(r)
    reference = ENGINE.decide(r, CASBIN)
    assert fast.allowed == reference.allowed, (r, fast.reason)
    assert fast.form == reference.form
    assert fast.policy_digest == reference.policy_digest
    if reference.allowed:
        # Casbin names one matching row; it must be among the table's grants.
        assert reference.grants[0] in fast.grants


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(ALL).flatmap(requests_for))
def test_fast_path_equals_casbin(r: DecisionRequest) -> None:
    """On generated requests over shipped and synthetic covenants, table and Casbin agree."""
    assert_same(r)


def test_fast_path_equals_casbin_on_every_allowed_key() -> None:
    """Every request the table allows for the shipped covenants is allowed by Casbin, and the
    near misses (same key, other role) agree too."""
    checked = 0
    for c in SHIPPED:
        policy = compile_covenant(c)
        table_keys = ENGINE._snapshot.current[c.ref.id]
        inst = next(i for i in table_keys if i.policy.digest == policy.digest)
        for recipient, provider, cat, purpose, phase in list(inst.table._table)[:400]:
            for role in c.roles:
                r = DecisionRequest(
                    recipient, role, provider, cat, purpose, phase, str(c.ref), moment_in_force(c)
                )
                assert_same(r)
                checked += 1
    assert checked > 500


def test_reference_rejects_broken_model() -> None:
    """A model Casbin cannot load is a configuration error, not a silent allow."""
    from exchange.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="Casbin could not load"):
        CasbinReference("[request_definition]\nr = sub\n[matchers]\nm = r.sub ==\n", "p, a\n")


def test_concurrent_swaps_never_mix_versions(shipped: list[LoadedVersion]) -> None:
    """Readers deciding while another thread swaps two versions always get a whole version's answer."""
    import dataclasses
    from datetime import UTC, datetime

    pit = next(v.covenant for v in shipped if str(v.covenant.ref) == "pit/2021")
    a = compile_covenant(pit)
    b = compile_covenant(
        dataclasses.replace(pit, flows=tuple(f for f in pit.flows if f.id != "bijstand-naar-gemeenten"))
    )
    engine = DecisionEngine([a])
    moment = datetime(2022, 3, 1, 10, tzinfo=UTC)
    differs = DecisionRequest(
        "someren", "employee", "senzer", "bijstand-status", "uitkeringsfraude", "action", "pit", moment
    )
    stable = DecisionRequest(
        "deurne", "employee", "uwv", "uitkering-status", "uitkeringsfraude", "preparation", "pit", moment
    )
    expected = {a.digest: True, b.digest: False}
    stop = threading.Event()
    errors: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            d = engine.decide(differs)
            if d.policy_digest not in expected or d.allowed != expected[d.policy_digest]:
                errors.append(f"mixed answer: {d.policy_digest} {d.allowed} {d.reason}")
            s = engine.decide(stable)
            if not s.allowed:
                errors.append(f"stable request denied: {s.reason}")

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(300):
        engine.install(b if i % 2 == 0 else a)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []


def test_concurrent_casbin_reference_is_safe() -> None:
    """Many threads asking the Casbin reference at once get correct answers (it holds a lock)."""
    pit = SHIPPED[-1]
    from datetime import UTC, datetime

    r = DecisionRequest(
        "someren",
        "employee",
        "senzer",
        "bijstand-status",
        "uitkeringsfraude",
        "action",
        "pit/2021",
        datetime(2022, 3, 1, tzinfo=UTC),
    )
    assert str(pit.ref) == "pit/2021"
    results: list[bool] = []

    def worker() -> None:
        for _ in range(50):
            results.append(ENGINE.decide(r, CASBIN).allowed)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 200
