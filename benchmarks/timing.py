"""Interleaved measurement: every round runs a batch of each case, in a rotating order.

Machine noise on a shared 2-core box comes in bursts of seconds. Running all of case A and then
all of case B would charge a burst to whichever case was running; many short round-robin batches
spread every burst over all cases, and rotating the start keeps any case from always following
another. `gc.collect()` before each batch keeps one case's garbage from being collected on
another's time.

Besides wall time, each batch records the client process's CPU time per call
(`time.process_time`): it leaves out the server (another process) and the time other processes
take the core, so it is the steadiest measure of what the client code itself costs. Each round
also keeps one number per case, so ratios can be computed round by round, paired in time.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from .clients import AsyncCase, SyncCase
from .server import CONNECT_URL
from .stats import percentile

T = TypeVar("T")


@dataclass
class Samples:
    """Per-call seconds, and per round: the batch's median (or req/s) and CPU seconds per call."""

    per_call: list[float] = field(default_factory=list)
    per_round: list[float] = field(default_factory=list)
    cpu_per_round: list[float] = field(default_factory=list)


def rotated(items: Sequence[T], round_number: int) -> list[T]:
    """`items` starting at a different one each round."""
    shift = round_number % len(items)
    return list(items[shift:]) + list(items[:shift])


def _check(name: str, value: str) -> None:
    if value != CONNECT_URL:
        raise RuntimeError(f"{name} returned {value!r}, not {CONNECT_URL!r}: the benchmark would measure a failure")


def _record(samples: Samples, times: list[float], cpu: float) -> None:
    samples.per_call.extend(times)
    samples.per_round.append(percentile(sorted(times), 0.5))
    samples.cpu_per_round.append(cpu / len(times))


def sync_latency(cases: Sequence[SyncCase], rounds: int, batch: int, warmup: int) -> dict[str, Samples]:
    """Per-call wall time of sequential sync calls."""
    for case in cases:
        for _ in range(warmup):
            _check(case.name, case.call())
    results = {case.name: Samples() for case in cases}
    clock, cpu_clock = time.perf_counter, time.process_time
    for round_number in range(rounds):
        for case in rotated(cases, round_number):
            call, times = case.call, [0.0] * batch
            gc.collect()
            cpu_start = cpu_clock()
            for i in range(batch):
                start = clock()
                call()
                times[i] = clock() - start
            _record(results[case.name], times, cpu_clock() - cpu_start)
    return results


async def async_latency(cases: Sequence[AsyncCase], rounds: int, batch: int, warmup: int) -> dict[str, Samples]:
    """Per-call wall time of sequential awaits (one request in flight)."""
    for case in cases:
        for _ in range(warmup):
            _check(case.name, await case.call())
    results = {case.name: Samples() for case in cases}
    clock, cpu_clock = time.perf_counter, time.process_time
    for round_number in range(rounds):
        for case in rotated(cases, round_number):
            call, times = case.call, [0.0] * batch
            gc.collect()
            cpu_start = cpu_clock()
            for i in range(batch):
                start = clock()
                await call()
                times[i] = clock() - start
            _record(results[case.name], times, cpu_clock() - cpu_start)
    return results


async def steady_rate(
    call: Callable[[], Awaitable[str]], concurrency: int, ramp: float, window: float
) -> tuple[float, float]:
    """Requests per second completed by `concurrency` looping workers, and CPU seconds per request,
    counted over `window` seconds once `ramp` seconds have let every worker get going: steady state
    only, so the start-up storm and the stragglers at the end do not enter the numbers."""
    completed = 0
    stopping = False

    async def worker() -> None:
        nonlocal completed
        while not stopping:
            await call()
            completed += 1

    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        await asyncio.sleep(ramp)
        first, start, cpu_start = completed, time.perf_counter(), time.process_time()
        await asyncio.sleep(window)
        count, elapsed, cpu = completed - first, time.perf_counter() - start, time.process_time() - cpu_start
    finally:
        stopping = True
        await asyncio.gather(*tasks)  # each finishes its request in flight; errors surface here
    if count == 0:
        raise RuntimeError(f"no request completed in a {window} s window: the machine is too loaded to measure")
    return count / elapsed, cpu / count


@dataclass(frozen=True)
class ThroughputPlan:
    """Rounds of one steady-state window per case, until `budget_seconds` is spent (at least
    `min_rounds`, at most `max_rounds`). Fixed windows rather than fixed request counts keep the
    run's length the same on a fast and on a loaded machine."""

    concurrency: int = 100
    ramp_seconds: float = 0.25
    window_seconds: float = 1.0
    budget_seconds: float = 45.0
    min_rounds: int = 5
    max_rounds: int = 15


async def async_throughput(cases: Sequence[AsyncCase], plan: ThroughputPlan) -> dict[str, Samples]:
    """Requests per second with `plan.concurrency` in flight, and CPU per request; one sample per round."""
    for case in cases:  # opens every pool's connections, so the rounds do not pay for connecting
        _check(case.name, await case.call())
        await steady_rate(case.call, plan.concurrency, plan.ramp_seconds, plan.window_seconds)
    results = {case.name: Samples() for case in cases}
    start = time.perf_counter()
    for round_number in range(plan.max_rounds):
        if round_number >= plan.min_rounds and time.perf_counter() - start > plan.budget_seconds:
            break
        for case in rotated(cases, round_number):
            gc.collect()
            rate, cpu = await steady_rate(case.call, plan.concurrency, plan.ramp_seconds, plan.window_seconds)
            results[case.name].per_round.append(rate)
            results[case.name].cpu_per_round.append(cpu)
    return results
