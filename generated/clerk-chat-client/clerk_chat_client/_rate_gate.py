"""One client's shared "hold off until" moment after a 429, so its other requests wait too."""

from __future__ import annotations

import threading


class RateLimitGate:
    """Monotonic deadline shared by every request (thread or task) of a client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open_at = 0.0

    def hold_until(self, moment: float) -> None:
        with self._lock:
            self._open_at = max(self._open_at, moment)

    def wait_needed(self, now: float) -> float:
        return max(0.0, self._open_at - now)
