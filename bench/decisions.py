"""Decision latency: the fast table vs plain casbin.Enforcer on the same files vs a dict lookup."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import casbin
from casbin.model import Model
from casbin.persist.adapters.string_adapter import StringAdapter

from bench.timing import latencies, p50, pct, us
from exchange.policies.compiler import CompiledPolicy, compile_covenant
from exchange.policies.decision import DecisionRequest
from exchange.policies.engine import DecisionEngine
from exchange.policies.files import load_version
from exchange.policies.model import Covenant
from exchange.policies.synthetic import synthetic_covenant
from exchange.vocabulary import Phase

ROOT = Path(__file__).resolve().parent.parent


def _requests(c: Covenant, n: int, seed: int) -> list[DecisionRequest]:
    """A mix of allowed and denied requests: half taken from flows, half random."""
    rnd = random.Random(seed)
    moment = datetime(c.effective_from.year + 1, 3, 1, 10, tzinfo=UTC)
    parties = sorted(c.parties)
    out = []
    for i in range(n):
        if i % 2 == 0:
            f = rnd.choice(c.flows)
            recipient = rnd.choice(c.members(rnd.choice(f.recipients)))
            provider = rnd.choice(c.members(rnd.choice(f.providers)))
            out.append(
                DecisionRequest(
                    recipient,
                    f.roles[0] if f.roles else "employee",
                    provider,
                    f.categories[0],
                    f.purpose,
                    str(f.phases[0]),
                    c.ref.id,
                    moment,
                )
            )
        else:
            out.append(
                DecisionRequest(
                    rnd.choice(parties),
                    "employee",
                    rnd.choice(parties),
                    rnd.choice(sorted(c.categories)),
                    rnd.choice(sorted(c.purposes)),
                    str(rnd.choice(list(Phase))),
                    c.ref.id,
                    moment,
                )
            )
    return out


def _enforcer(p: CompiledPolicy) -> casbin.Enforcer:
    model = Model()
    model.load_model_from_text(p.model_text)
    return casbin.Enforcer(model, StringAdapter(p.policy_text))


def _measure(label: str, compiled: CompiledPolicy, casbin_samples: int) -> None:
    c = compiled.covenant
    engine = DecisionEngine([compiled])
    reqs = _requests(c, 2000, seed=7)
    allowed = sum(engine.decide(r).allowed for r in reqs)
    it = iter(reqs * 100)
    fast = latencies(lambda: engine.decide(next(it)), 20000)

    # The primitive: one dict lookup on a tuple key, the least a decision can cost.
    table = {(r.requester, r.provider, r.category, r.purpose, r.phase): True for r in reqs[::2]}
    it2 = iter(reqs * 100)

    def dict_lookup() -> bool:
        r = next(it2)
        return (r.requester, r.provider, r.category, r.purpose, r.phase) in table

    base = latencies(dict_lookup, 20000)

    enforcer = _enforcer(compiled)
    it3 = iter(reqs * 10)

    def plain_casbin() -> bool:
        r = next(it3)
        return bool(enforcer.enforce(r.requester, r.role, r.provider, r.category, r.purpose, r.phase, "hit"))

    ref = latencies(plain_casbin, casbin_samples, warmup=5)
    print(f"  {label}: {compiled.row_count} policy rows, {allowed / len(reqs):.0%} of requests allowed")
    print(f"    fast path          p50 {us(p50(fast))}  p99 {us(pct(fast, 99))}")
    print(
        f"    plain Enforcer     p50 {us(p50(ref))}  p99 {us(pct(ref, 99))}   "
        f"(fast path is {p50(ref) / p50(fast):,.0f}x faster)"
    )
    print(
        f"    dict lookup        p50 {us(p50(base))}                "
        f"(fast path costs {p50(fast) / p50(base):.1f}x a dict lookup)"
    )


def run() -> None:
    print("Decisions (issue: covenant engine; target p50 <= 20 µs at 10,000 rows)")
    pit = compile_covenant(load_version(ROOT / "convenant" / "pit" / "2021").covenant)
    _measure("PIT 2021", pit, casbin_samples=2000)
    synthetic = compile_covenant(synthetic_covenant(seed=1, parties=60, flows=1000))
    _measure("synthetic", synthetic, casbin_samples=60)
