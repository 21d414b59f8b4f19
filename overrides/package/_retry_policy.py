"""Which failures are retried, and how long to wait: pure decisions, no I/O.

A 429 and a request that never left (connect error, pool timeout) are safe to repeat for any
method. Statuses and failures after which the server may have acted on the request (408, 502,
503, 504, read timeouts, broken connections) are repeated only for idempotent methods or when
the caller sent an `Idempotency-Key`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx2

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
ALWAYS_RETRIED_STATUSES = frozenset({429})
IDEMPOTENT_RETRIED_STATUSES = frozenset({408, 502, 503, 504})
NEVER_SENT_ERRORS = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)
MAYBE_SENT_ERRORS = (
    httpx2.ReadTimeout,
    httpx2.ReadError,
    httpx2.WriteError,
    httpx2.WriteTimeout,
    httpx2.RemoteProtocolError,
)
LONGEST_PARSED_WAIT = 10 * 365 * 24 * 3600.0  # beyond this a header is garbage, not a plan
# compiled (and cached) by re on first use: only dates that are not RFC 9110 HTTP-dates need it
_NAMED_DATE = r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)[a-z]*\b"


@dataclass(frozen=True)
class RetrySettings:
    max_retries: int = 2
    max_retry_wait: float = 60.0  # a server-requested wait above this is not slept
    total_timeout: float | None = 120.0  # budget for one call, every attempt and wait included
    initial_backoff: float = 0.5
    max_backoff: float = 8.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.max_retry_wait < 0 or (self.total_timeout is not None and self.total_timeout <= 0):
            raise ValueError("max_retry_wait must be >= 0 and total_timeout > 0 (or None)")


def _may_repeat(request: httpx2.Request) -> bool:
    return request.method in IDEMPOTENT_METHODS or "idempotency-key" in request.headers


def status_retry_reason(request: httpx2.Request, status: int) -> str | None:
    """Why this status may be retried, or None."""
    if status in ALWAYS_RETRIED_STATUSES or (status in IDEMPOTENT_RETRIED_STATUSES and _may_repeat(request)):
        return f"status {status}"
    return None


def error_retry_reason(request: httpx2.Request, error: httpx2.TransportError) -> str | None:
    """Why this transport failure may be retried, or None."""
    if isinstance(error, NEVER_SENT_ERRORS) or (isinstance(error, MAYBE_SENT_ERRORS) and _may_repeat(request)):
        return type(error).__name__
    return None


def requested_wait(headers: httpx2.Headers, now: datetime) -> float | None:
    """The wait the server asked for, in seconds; None when absent or unusable."""
    milliseconds = wait_seconds(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    if _looks_numeric(value):  # delay-seconds, usable or not ("-1", "1e400"), is never a date
        return wait_seconds(value)
    moment = http_date(value)
    if moment is None:
        return None
    return max(0.0, (moment - now).total_seconds())


def _looks_numeric(value: str) -> bool:
    try:
        float(value.strip())
    except ValueError:
        return False
    return True


def wait_seconds(value: str | None) -> float | None:
    """A header's delay in seconds when it is a usable one (finite, >= 0, not absurdly long)."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and 0 <= number <= LONGEST_PARSED_WAIT else None


def http_date(value: str) -> datetime | None:
    """An HTTP-date (RFC 9110), or the looser dates real servers send."""
    moment: datetime | None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        moment = _lenient_date(value)
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _lenient_date(value: str) -> datetime | None:
    """Dates with a month or weekday name only: dateutil would read "12:00" as today."""
    if not re.search(_NAMED_DATE, value):
        return None
    from dateutil import parser  # imported on first need: most responses never get here

    try:
        moment = parser.parse(value, fuzzy=False)
        moment.utcoffset()  # dateutil accepts offsets datetime cannot use ("+9999"): raises here
    except (ValueError, OverflowError):
        return None
    return moment


def backoff(retry_number: int, random_fraction: float, settings: RetrySettings) -> float:
    """Exponential backoff with jitter: about 0.5 s, 1 s, 2 s, ... capped at 8 s."""
    delay = min(settings.initial_backoff * 2.0**retry_number, settings.max_backoff)
    return delay * (1.0 - 0.25 * random_fraction)
