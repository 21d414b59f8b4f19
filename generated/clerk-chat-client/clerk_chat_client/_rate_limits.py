"""The rate-limit vocabulary: what the transport tells a gate, what a gate answers, and the store
interface that lets processes share one API key's gate and budget (`clerk_chat_client.redis`).

Times handed to a store are relative (seconds from now): each store puts them on its own clock,
the client's monotonic clock in process, Redis `TIME` across machines.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from ._rate_headers import RateLimitReading
from ._redaction import Secret

REDIS_URL_ENV = "CLERK_CHAT_RATE_LIMIT_REDIS_URL"
SAME_WINDOW = 1.0  # resets are whole seconds: two readings of one window put it less than this apart
LOW_FRACTION = 0.1  # below this share of the limit left, the rest is spread over the time to the reset


@dataclass(frozen=True)
class RateLimitSnapshot:
    """The budget the latest response announced (`client.rate_limit`)."""

    limit: int | None
    remaining: int
    reset_at: float  # on the client's monotonic clock (time.monotonic())
    reset_in: float  # seconds from when this snapshot was taken, never negative


# Small immutable records are NamedTuples: a frozen dataclass compiles its methods at import, about
# 0.7 ms each here, against 0.1 ms (see benchmarks: import time).
class Observation(NamedTuple):
    """What one response told the gate."""

    reading: RateLimitReading | None  # the headers as sent, for `client.rate_limit`
    budget: RateLimitReading | None  # what paces: the reading, unless a Retry-After wins
    hold_for: float | None  # a 429's wait: no request with this key goes out before it ends


class Grant(NamedTuple):
    """A gate's answer before sending: wait `wait` seconds, then send (`reserved`: this request's
    share of the budget is taken) or ask again (a 429's hold, or a budget spent until its reset)."""

    wait: float
    reserved: bool


GO = Grant(0.0, True)


class SharedBudget(Protocol):
    """One API key's gate and budget in a store shared across processes. A method returning
    None (or nothing, for `observe`) when the store is unreachable leaves the local gate in charge."""

    def acquire(self, max_spacing: float) -> Grant | None: ...
    async def acquire_async(self, max_spacing: float) -> Grant | None: ...
    def observe(self, observation: Observation) -> None: ...
    async def observe_async(self, observation: Observation) -> None: ...


class RateLimitStore(Protocol):
    """Where processes share budgets, one per API key (the store never needs the key itself)."""

    def budget(self, api_key: Secret) -> SharedBudget: ...


def store_from_environment() -> RateLimitStore | None:
    """The Redis store named by CLERK_CHAT_RATE_LIMIT_REDIS_URL, if set (redis-py imported only then)."""
    url = os.environ.get(REDIS_URL_ENV)
    if not url:
        return None
    from .redis import shared_store

    return shared_store(url)
