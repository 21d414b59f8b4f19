"""What a response says about the API key's rate-limit budget, in whichever style the server uses.

Three styles, tried in this order:
- IETF httpapi draft: `RateLimit: "default";r=50;t=30` (remaining `r`, reset `t` in seconds) with
  `RateLimit-Policy: "default";q=100;w=60` (quota `q`, window `w`), Structured Field lists; of
  several policies the most constraining one counts: the fewest requests left, then the latest
  reset. Policies counting something other than requests (`qu`) are left out.
- `RateLimit-Limit` / `-Remaining` / `-Reset` (earlier drafts);
- `X-RateLimit-Limit` / `-Remaining` / `-Reset` (GitHub and many others).
A legacy reset is delay-seconds, or epoch seconds when above 10^9, measured against the
response's `Date` (the server's clock) when it has one. Malformed fields are ignored.

Most responses carry none of these: `read_rate_limit` then costs one pass over the header names.
That pass also picks out the fields there are, so the rest reads a small dict instead of looking
each name up in the headers again. What only some servers need (the Structured Field parser, the
legacy count pattern) is loaded or compiled on first use, not at import.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

import httpx2

from ._retry_policy import LONGEST_PARSED_WAIT, http_date

if TYPE_CHECKING:
    from ._structured_fields import BareItem, Item

EPOCH_THRESHOLD = 1e9  # a reset above this is a Unix time, not a delay (10^9 s is 31 years)
_FIELD_NAMES = frozenset(
    name.encode()
    for name in (
        "ratelimit",
        "ratelimit-policy",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    )
)
_DATE = b"date"  # the server's clock, for an epoch reset
# "100" or "100, 100;w=60"; compiled (and cached) by re on first use: most servers never need it
_LEADING_COUNT = r"\s*([0-9]{1,15})\s*(?:[,;]|$)"


# Small immutable records are NamedTuples: a frozen dataclass compiles its methods at import, about
# 0.7 ms each here, against 0.1 ms (see benchmarks: import time).
class RateLimitReading(NamedTuple):
    """One response's word on the budget: `remaining` requests until `reset_in` seconds from now."""

    remaining: int
    reset_in: float
    limit: int | None = None
    window: float | None = None  # the policy's window in seconds, when the server names it


def read_rate_limit(headers: httpx2.Headers, now: Callable[[], datetime]) -> RateLimitReading | None:
    """The reading of the first style present and usable; None when the response has none.

    `now` (the wall clock) is called only for an epoch reset on a response without a `Date`."""
    fields = _fields(headers)
    if fields is None:
        return None
    return _structured(fields) or _legacy(fields, "ratelimit-", now) or _legacy(fields, "x-ratelimit-", now)


Fields = dict[str, str]  # lower-case name -> value


def _fields(headers: httpx2.Headers) -> Fields | None:
    """The rate-limit fields of the response, and its Date, each as `headers.get` gives it
    (repeated lines joined with ", "); None when it carries no rate-limit field."""
    found: dict[bytes, list[bytes]] = {}
    for name, value in headers.raw:
        key = name.lower()
        if key in _FIELD_NAMES or key == _DATE:
            found.setdefault(key, []).append(value)
    if _FIELD_NAMES.isdisjoint(found):
        return None
    encoding = headers.encoding
    return {key.decode(encoding): ", ".join(line.decode(encoding) for line in lines) for key, lines in found.items()}


def _structured(fields: Fields) -> RateLimitReading | None:
    field = fields.get("ratelimit")
    if field is None:
        return None
    from ._structured_fields import parse_list  # only servers sending the IETF fields need the parser

    items = parse_list(field)
    if not items:
        return None
    policy_field = fields.get("ratelimit-policy")
    declared = parse_list(policy_field) if policy_field is not None else None
    policies = {item.value: item.params for item in declared or []}
    readings = [reading for item in items if (reading := _service_limit(item, policies)) is not None]
    return min(readings, key=lambda r: (r.remaining, -r.reset_in), default=None)


def _service_limit(item: Item, policies: dict[BareItem, dict[str, BareItem]]) -> RateLimitReading | None:
    remaining, reset = _count(item.params.get("r")), _count(item.params.get("t"))
    if not isinstance(item.value, str) or remaining is None or reset is None or reset > LONGEST_PARSED_WAIT:
        return None
    policy = policies.get(item.value, {})
    if policy.get("qu", "requests") != "requests":
        return None
    window = _count(policy.get("w"))
    return RateLimitReading(remaining, float(reset), _count(policy.get("q")), float(window) if window else None)


def _count(value: object) -> int | None:
    """A non-negative Structured Field integer (booleans are ints in Python, not here)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _legacy(fields: Fields, prefix: str, now: Callable[[], datetime]) -> RateLimitReading | None:
    remaining = _leading_count(fields.get(prefix + "remaining"))
    reset = _reset_in(fields.get(prefix + "reset"), fields.get("date"), now)
    if remaining is None or reset is None:
        return None
    return RateLimitReading(remaining, reset, _leading_count(fields.get(prefix + "limit")))


def _leading_count(value: str | None) -> int | None:
    found = re.match(_LEADING_COUNT, value) if value is not None else None
    return int(found[1]) if found else None


def _reset_in(value: str | None, date: str | None, now: Callable[[], datetime]) -> float | None:
    """Seconds until the reset: delay-seconds as sent, an epoch time against the server's Date."""
    try:
        number = float(value) if value is not None else math.nan
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    if number <= EPOCH_THRESHOLD:
        return number if number <= LONGEST_PARSED_WAIT else None
    server_now = http_date(date) if date is not None else None
    delay = number - (server_now or now()).timestamp()
    return max(0.0, delay) if delay <= LONGEST_PARSED_WAIT else None
