"""Timing assertions that hold on a shared, loaded machine.

A figure like "under 5 ms" is measured on an idle 2-core machine; CI shares its
machine with other jobs, and a load of 6 on 2 cores triples every figure. So each
timed run is interleaved with a fixed reference workload of pure Python, and the
target is scaled by how much slower that reference ran than on an idle machine.
The fastest run of each is kept (a busy moment hits both alike).
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: The reference workload's fastest time on an idle 2-core CI machine (measured
#: 2026-12-03 with ``python -m tests.helpers.timing``).
REFERENCE_IDLE_MS = 1.0


def _reference() -> int:
    return sum(i * i for i in range(20_000))


def fastest_ms(work: Callable[[], object], runs: int = 20) -> tuple[float, float]:
    """The fastest of ``runs`` timings of ``work`` in ms, and the machine's slowdown (>= 1)."""
    work_runs: list[float] = []
    reference_runs: list[float] = []
    for _ in range(runs):
        for timings, job in ((work_runs, work), (reference_runs, _reference)):
            start = time.perf_counter()
            job()
            timings.append((time.perf_counter() - start) * 1000)
    slowdown = max(1.0, min(reference_runs) / REFERENCE_IDLE_MS)
    return min(work_runs), slowdown


if __name__ == "__main__":
    print(f"reference: {fastest_ms(_reference, runs=200)[0]:.3f} ms")
