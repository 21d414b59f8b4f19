"""One client's rate-limit gate: the hold after a 429 and the budget the headers announce, shared
by every request (thread or task) of the client and of its `with_options` copies.

Before sending, a request asks the gate (`acquire`): it waits while a 429's hold lasts or while
the budget is spent (until the reset), and otherwise takes one request from the budget, so
requests in flight count against what the last response said was left. When little is left, the
rest is spread over the time to the reset. After a response, the gate learns what it said
(`observe`): within one window the remaining count only goes down (answers arrive out of order);
a later reset starts a new window; at the reset the budget refills to the limit, the next window
assumed as long as the last (the policy's `w`, else the longest reset seen), until a response
says otherwise.

With a shared store (`clerk_chat_client.redis`), the store's budget decides and this gate keeps
its own from the same responses, to decide alone whenever the store is unreachable. The Redis
scripts (`_redis_scripts.py`) are this algorithm in Lua.
"""

from __future__ import annotations

import math
import threading

from ._rate_headers import RateLimitReading
from ._rate_limits import GO, LOW_FRACTION, SAME_WINDOW, Grant, Observation, RateLimitSnapshot, SharedBudget


class RateLimitGate:
    """All times are the client's monotonic clock (`now` is passed in by the transport)."""

    def __init__(self, shared: SharedBudget | None = None) -> None:
        self._shared = shared
        self._lock = threading.Lock()
        self._open_at = 0.0  # a 429's hold ends here
        self._reset_at: float | None = None  # None: no budget known (no headers seen), the common case
        self._remaining: int | None = None  # None: refilled to an unknown limit
        self._limit: int | None = None
        self._window: float | None = None
        self._guessed = False  # reset_at was rolled forward by the window, not announced
        self._next_at = 0.0  # the earliest slot for the next request while spacing
        self._latest: RateLimitSnapshot | None = None

    # -- before sending --------------------------------------------------------------------------

    def idle(self, now: float) -> bool:
        """Nothing to decide: no shared store, no budget known, no hold (a plain attribute check,
        so responses without rate-limit headers cost the transport nothing more)."""
        return self._shared is None and self._reset_at is None and self._open_at <= now

    def acquire(self, now: float, max_spacing: float) -> Grant:
        """`max_spacing`: the longest a spacing wait may be (a longer one is skipped, never raised)."""
        if self._shared is not None:
            grant = self._shared.acquire(max_spacing)
            if grant is not None:
                return grant
        return self._acquire_here(now, max_spacing)

    async def acquire_async(self, now: float, max_spacing: float) -> Grant:
        if self._shared is not None:
            grant = await self._shared.acquire_async(max_spacing)
            if grant is not None:
                return grant
        return self._acquire_here(now, max_spacing)

    def _acquire_here(self, now: float, max_spacing: float) -> Grant:
        if self._reset_at is None and self._open_at <= now:
            return GO  # nothing known, nothing held: no lock, no work
        with self._lock:
            if self._open_at > now:
                return Grant(self._open_at - now, reserved=False)
            if self._reset_at is not None and now >= self._reset_at:
                self._refill(now)
            if self._reset_at is None or self._remaining is None:
                return GO
            if self._remaining <= 0:
                return Grant(self._reset_at - now, reserved=False)
            self._remaining -= 1
            slot = max(now, self._next_at)
            if slot - now > max_spacing:
                slot = now
            if self._remaining < max(1.0, (self._limit or 0) * LOW_FRACTION):
                self._next_at = slot + (self._reset_at - slot) / (self._remaining + 1)
            return Grant(slot - now, reserved=True)

    def _refill(self, now: float) -> None:
        """The reset has passed: a fresh window of `limit`, ending one window after the last."""
        assert self._reset_at is not None
        if self._window is None:
            self._reset_at = self._remaining = None
            return
        self._reset_at += (math.floor((now - self._reset_at) / self._window) + 1) * self._window
        self._remaining, self._guessed, self._next_at = self._limit, True, 0.0

    # -- after a response ------------------------------------------------------------------------

    def observe(self, now: float, observation: Observation) -> None:
        self._observe_here(now, observation)
        if self._shared is not None:
            self._shared.observe(observation)

    async def observe_async(self, now: float, observation: Observation) -> None:
        self._observe_here(now, observation)
        if self._shared is not None:
            await self._shared.observe_async(observation)

    def _observe_here(self, now: float, observation: Observation) -> None:
        with self._lock:
            reading = observation.reading
            if reading is not None:
                self._latest = RateLimitSnapshot(
                    reading.limit, reading.remaining, now + reading.reset_in, reading.reset_in
                )
            if observation.hold_for is not None:
                self._open_at = max(self._open_at, now + observation.hold_for)
            elif observation.budget is not None:
                self._learn(now, observation.budget)

    def _learn(self, now: float, reading: RateLimitReading) -> None:
        if reading.limit is not None:
            self._limit = reading.limit
        if reading.reset_in <= 0:
            return  # resets now: nothing to pace by
        self._window = reading.window or max(self._window or 0.0, reading.reset_in)
        reset_at = now + reading.reset_in
        if self._reset_at is None or reset_at > self._reset_at + SAME_WINDOW:  # first word, or a later window
            self._remaining, self._reset_at = reading.remaining, reset_at
        elif reset_at >= self._reset_at - SAME_WINDOW or (self._guessed and reset_at > now):  # the same window
            known = self._remaining if self._remaining is not None else reading.remaining
            self._remaining = min(known, reading.remaining)
            self._reset_at = reset_at if self._guessed else max(self._reset_at, reset_at)
        else:
            return  # a late answer from an earlier window
        self._guessed = False

    def snapshot(self, now: float) -> RateLimitSnapshot | None:
        latest = self._latest
        if latest is None:
            return None
        return RateLimitSnapshot(latest.limit, latest.remaining, latest.reset_at, max(0.0, latest.reset_at - now))
