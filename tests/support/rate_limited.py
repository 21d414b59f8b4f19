"""A rate-limiting API for tests: a FakeClerk handler with a fixed window of `limit` requests per
`window` seconds per API key, 429 beyond it, announcing its budget in one of three header styles.

    limiter = FixedWindow(limit=5, window=1, style="ietf")
    server.handle_with(limiter)            # server: a tests.support.fake_clerk.FakeClerk
    ...
    limiter.statuses                       # Counter({200: 12, 429: 1})

Windows follow one another from the whole second the handler was made in, on the wall clock
(`clock`: time.time by default; a FakeClock's `now().timestamp` makes it follow fake time), so the
first request sees a whole window ahead and an epoch reset is a whole second.
Styles:
- "ietf": `RateLimit-Policy: "fixed";q=5;w=1` and `RateLimit: "fixed";r=4;t=1`;
- "draft": `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` (delay-seconds);
- "github": `X-RateLimit-Limit` / `X-RateLimit-Remaining` / `X-RateLimit-Reset` (epoch seconds)
  with the server's `Date`.
Resets are whole seconds rounded up, as servers send them. A 429 carries `Retry-After` too.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from email.utils import formatdate

from clerk_chat_client._settings import API_KEY_NAME

from tests.support.fake_clerk import Behaviour, RecordedRequest, Reply

STYLES = ("ietf", "draft", "github")


class FixedWindow:
    def __init__(self, *, limit: int, window: int, style: str, clock: Callable[[], float] = time.time) -> None:
        if style not in STYLES:
            raise ValueError(f"style must be one of {STYLES}")
        self.limit, self.window, self.style = limit, window, style
        self._clock = clock
        self._origin = math.floor(clock())
        self._lock = threading.Lock()
        self._used: Counter[tuple[str, int]] = Counter()
        self.statuses: Counter[int] = Counter()

    def __call__(self, request: RecordedRequest) -> Behaviour:
        key = request.headers.get(API_KEY_NAME.lower(), "")
        now = self._clock()
        index = math.floor((now - self._origin) / self.window)
        with self._lock:
            self._used[key, index] += 1
            used = self._used[key, index]
            status = 200 if used <= self.limit else 429
            self.statuses[status] += 1
        end = self._origin + (index + 1) * self.window
        headers = self.headers(max(0, self.limit - used), end, now)
        if status == 429:
            headers["Retry-After"] = str(math.ceil(end - now))
            return Reply.json({"error": "rate limited"}, status=429, headers=headers)
        return Reply.json({"data": {"connectUrl": "wss://example.test/stream"}}, headers=headers)

    def headers(self, remaining: int, end: float, now: float) -> dict[str, str]:
        reset = max(1, math.ceil(end - now))
        if self.style == "ietf":
            return {
                "RateLimit-Policy": f'"fixed";q={self.limit};w={self.window}',
                "RateLimit": f'"fixed";r={remaining};t={reset}',
            }
        if self.style == "draft":
            return {
                "RateLimit-Limit": str(self.limit),
                "RateLimit-Remaining": str(remaining),
                "RateLimit-Reset": str(reset),
            }
        return {
            "Date": formatdate(now, usegmt=True),
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(math.ceil(end)),
        }
