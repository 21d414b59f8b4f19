"""A fake `clerk_chat_client` Clock: time stands still unless a sleep moves it.

Every `sleep`/`async_sleep` is recorded in `sleeps` and advances the fake monotonic and wall
clocks at once by that amount, so retry tests run instantly and give the same result every time:
backoff waits, `total_timeout` budgets, HTTP-date `Retry-After` values and the rate-limit gate all
see exactly the time the retry loop asked to wait, never the real time the requests took.

`randoms` feeds `random()` (cycled), so jitter is chosen by the test. `on_sleep`, if set, is
called (with the seconds, before time moves) on every sleep; it may return an awaitable on the
async path. Tests use it to start another request while one is waiting.

The wall clock starts on a whole second (2030-01-01T00:00:00Z by default), so HTTP-dates, which
have a resolution of one second, can be exact.
"""

from __future__ import annotations

import inspect
import itertools
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio

START = datetime(2030, 1, 1, tzinfo=UTC)


class FakeClock:
    """Satisfies `clerk_chat_client._clock.Clock`."""

    def __init__(self, *, start: datetime = START, randoms: Iterable[float] = (0.5,)) -> None:
        self._lock = threading.Lock()
        self._start = start
        self._elapsed = 0.0
        self._randoms = itertools.cycle(list(randoms))
        self.sleeps: list[float] = []
        self.randoms_given: list[float] = []
        self.on_sleep: Callable[[float], Any] | None = None

    # -- the Clock protocol --

    def monotonic(self) -> float:
        return 1000.0 + self._elapsed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def sleep(self, seconds: float) -> None:
        hook = self._record(seconds)
        if hook is not None:
            hook(seconds)
        self._advance(seconds)

    async def async_sleep(self, seconds: float) -> None:
        hook = self._record(seconds)
        if hook is not None:
            result = hook(seconds)
            if inspect.isawaitable(result):
                await result
        self._advance(seconds)
        await anyio.lowlevel.checkpoint()  # a real sleep is a checkpoint too

    def random(self) -> float:
        with self._lock:
            value = next(self._randoms)
            self.randoms_given.append(value)
            return value

    # -- for tests --

    def advance(self, seconds: float) -> None:
        """Let time pass without anyone sleeping (not recorded in `sleeps`)."""
        self._advance(seconds)

    @property
    def elapsed(self) -> float:
        return self._elapsed

    def _record(self, seconds: float) -> Callable[[float], Any] | None:
        with self._lock:
            self.sleeps.append(seconds)
            return self.on_sleep

    def _advance(self, seconds: float) -> None:
        with self._lock:
            self._elapsed += max(seconds, 0.0)
