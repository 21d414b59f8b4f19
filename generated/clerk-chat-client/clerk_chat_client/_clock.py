"""Time and chance as one injectable object, so retry tests run instantly and deterministically."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def now(self) -> datetime: ...  # wall clock, aware, for HTTP-date Retry-After values
    def sleep(self, seconds: float) -> None: ...
    async def async_sleep(self, seconds: float) -> None: ...
    def random(self) -> float: ...  # in [0, 1), for backoff jitter


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def async_sleep(self, seconds: float) -> None:
        import asyncio  # here, not at import time: sync users never pay for it

        await asyncio.sleep(seconds)

    def random(self) -> float:
        return random.random()
