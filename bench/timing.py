"""Small timing helpers: per-call latencies and percentiles, measured with perf_counter_ns."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def latencies(func: Callable[[], Any], n: int, warmup: int = 50) -> list[float]:
    """Seconds per call for ``n`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        func()
    out = []
    clock = time.perf_counter_ns
    for _ in range(n):
        t0 = clock()
        func()
        out.append((clock() - t0) / 1e9)
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def p50(values: list[float]) -> float:
    return statistics.median(values)


def us(seconds: float) -> str:
    return f"{seconds * 1e6:9.2f} µs"


def throughput(func: Callable[[], Any], seconds: float = 0.5) -> float:
    """Calls per second over roughly ``seconds``."""
    func()
    n = 0
    start = time.perf_counter()
    while True:
        func()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def interleaved(a: Callable[[], Any], b: Callable[[], Any], n: int) -> tuple[float, float]:
    """Median seconds per call of ``a`` and ``b``, sampled alternately so that both see the same
    machine conditions (frequency scaling, other load)."""
    clock = time.perf_counter_ns
    ta: list[float] = []
    tb: list[float] = []
    for _ in range(3):
        a()
        b()
    for _ in range(n):
        t0 = clock()
        a()
        t1 = clock()
        b()
        t2 = clock()
        ta.append((t1 - t0) / 1e9)
        tb.append((t2 - t1) / 1e9)
    return statistics.median(ta), statistics.median(tb)
