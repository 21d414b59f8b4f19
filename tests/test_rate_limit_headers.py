"""Issue 15: reading rate-limit headers (pure functions, no server).

Tables: the IETF httpapi draft's own examples (draft-ietf-httpapi-ratelimit-headers-10), the
earlier `RateLimit-*` fields, GitHub-style `X-RateLimit-*` with epoch resets against `Date`, and
garbage, which must be ignored rather than half-read.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx2
import pytest
from clerk_chat_client._rate_headers import RateLimitReading, read_rate_limit
from clerk_chat_client._structured_fields import Item, parse_list

NOW = datetime(2030, 1, 1, tzinfo=UTC)  # the client's wall clock, used only without a Date header
Headers = list[tuple[str, str]]


def read(headers: Headers) -> RateLimitReading | None:
    return read_rate_limit(httpx2.Headers(headers), lambda: NOW)


def reading(remaining: int, reset_in: float, limit: int | None = None, window: float | None = None) -> RateLimitReading:
    return RateLimitReading(remaining, reset_in, limit, window)


DRAFT_EXAMPLES: dict[str, tuple[Headers, RateLimitReading | None]] = {
    "4.2 remaining 50, reset in 30 s": ([("RateLimit", '"default";r=50;t=30')], reading(50, 30)),
    "4.2 no reset: nothing to pace by": ([("RateLimit", '"default";r=999;pk=:dHJpYWwxMjEzMjM=:')], None),
    "4.2 partition key": ([("RateLimit", '"default";r=300000000;t=60;pk=:QXBwLTk5OQ==:')], reading(300000000, 60)),
    "B.1.1 quota exhausted": ([("RateLimit", '"default";r=0;t=50')], reading(0, 50)),
    "B.1.2 daily policy": ([("RateLimit", '"dayLimit";r=100;t=36000')], reading(100, 36000)),
    "B.1.3 policy and limit": (
        [("RateLimit-Policy", '"basic";q=100;w=60'), ("RateLimit", '"basic";r=60;t=58')],
        reading(60, 58, 100, 60),
    ),
    "B.2.1 window by parameter": (
        [("RateLimit", '"fixedwindow";r=99;t=50'), ("RateLimit-Policy", '"fixedwindow";q=100;w=60')],
        reading(99, 50, 100, 60),
    ),
    "B.3 with Retry-After (the transport lets Retry-After win)": (
        [("Retry-After", "20"), ("RateLimit-Policy", '"dynamic";q=100;w=60'), ("RateLimit", '"dynamic";r=15;t=40')],
        reading(15, 40, 100, 60),
    ),
    "B.3.1 missing remaining": ([("RateLimit-Policy", "quota;q=100;w=1"), ("RateLimit", "quota;t=1")], None),
    "B.3.2 multiple windows": (
        [("RateLimit-Policy", '"hour";q=1000;w=3600, "day";q=5000;w=86400'), ("RateLimit", '"day";r=100;t=36000')],
        reading(100, 36000, 5000, 86400),
    ),
    "FAQ: no space after the colon": ([("RateLimit", '"default";r=50;t=60')], reading(50, 60)),
    "FAQ: policies on two lines, extra parameters": (
        [
            ("RateLimit-Policy", '"sliding";q=100;w=60;burst=1000'),
            ("RateLimit-Policy", '"fixed";q=5000;w=3600;burst=0'),
            ("RateLimit", '"sliding";r=50;t=44'),
        ],
        reading(50, 44, 100, 60),
    ),
}

SEVERAL_POLICIES: dict[str, tuple[Headers, RateLimitReading | None]] = {
    "the fewest requests left wins": (
        [("RateLimit", '"burst";r=5;t=10, "daily";r=900;t=80000')],
        reading(5, 10),
    ),
    "on a tie, the later reset": ([("RateLimit", '"a";r=3;t=10, "b";r=3;t=60')], reading(3, 60)),
    "split over two fields": ([("RateLimit", '"a";r=9;t=10'), ("RateLimit", '"b";r=2;t=5')], reading(2, 5)),
    "each item gets its own policy": (
        [
            ("RateLimit-Policy", '"minute";q=60;w=60, "hour";q=1000;w=3600'),
            ("RateLimit", '"minute";r=40;t=20, "hour";r=12;t=1800'),
        ],
        reading(12, 1800, 1000, 3600),
    ),
    "quota in other units is not a request budget": (
        [
            ("RateLimit-Policy", '"bytes";q=65535;qu="content-bytes";w=10, "req";q=10;w=10'),
            ("RateLimit", '"bytes";r=2;t=10, "req";r=5;t=10'),
        ],
        reading(5, 10, 10, 10),
    ),
    "an item without a reset is skipped, not the field": (
        [("RateLimit", '"a";r=1, "b";r=7;t=9')],
        reading(7, 9),
    ),
    "token names work like strings": (
        [("RateLimit-Policy", "p;q=10;w=5"), ("RateLimit", "p;r=4;t=5")],
        reading(4, 5, 10, 5),
    ),
}

LEGACY: dict[str, tuple[Headers, RateLimitReading | None]] = {
    "RateLimit-* (drafts 00-06)": (
        [("RateLimit-Limit", "10"), ("RateLimit-Remaining", "1"), ("RateLimit-Reset", "7")],
        reading(1, 7, 10),
    ),
    "RateLimit-Limit with a quota policy (draft 03)": (
        [("RateLimit-Limit", "10, 10;w=1, 50;w=60"), ("RateLimit-Remaining", "9"), ("RateLimit-Reset", "1")],
        reading(9, 1, 10),
    ),
    "GitHub: epoch reset against the response's Date": (
        [
            ("Date", "Mon, 01 Jul 2013 17:27:06 GMT"),
            ("X-RateLimit-Limit", "5000"),
            ("X-RateLimit-Remaining", "4999"),
            ("X-RateLimit-Reset", "1372700873"),
        ],
        reading(4999, 1247, 5000),
    ),
    "epoch reset without a Date: against the client's clock": (
        [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(int(NOW.timestamp()) + 42))],
        reading(0, 42),
    ),
    "epoch reset with a garbage Date: against the client's clock": (
        [
            ("Date", "yesterday-ish"),
            ("X-RateLimit-Remaining", "3"),
            ("X-RateLimit-Reset", str(int(NOW.timestamp()) + 5)),
        ],
        reading(3, 5),
    ),
    "epoch reset already past: resets now": (
        [
            ("Date", "Mon, 01 Jul 2013 17:27:06 GMT"),
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", "1372699000"),
        ],
        reading(0, 0),
    ),
    "delay-seconds reset": ([("X-RateLimit-Remaining", "59"), ("X-RateLimit-Reset", "60")], reading(59, 60)),
    "fractional delay": ([("x-ratelimit-remaining", "2"), ("x-ratelimit-reset", "1.5")], reading(2, 1.5)),
    "10^9 itself is still a delay (31 years: garbage)": (
        [("X-RateLimit-Remaining", "2"), ("X-RateLimit-Reset", "1000000000")],
        None,
    ),
    "no limit sent": ([("RateLimit-Remaining", "4"), ("RateLimit-Reset", "30")], reading(4, 30)),
    "the IETF field wins over the others": (
        [("RateLimit", '"d";r=8;t=9'), ("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", "60")],
        reading(8, 9),
    ),
    "RateLimit-* wins over X-RateLimit-*": (
        [
            ("RateLimit-Remaining", "6"),
            ("RateLimit-Reset", "3"),
            ("X-RateLimit-Remaining", "1"),
            ("X-RateLimit-Reset", "60"),
        ],
        reading(6, 3),
    ),
    "a malformed IETF field gives way to a usable legacy one": (
        [("RateLimit", '"d";r=8;t='), ("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", "60")],
        reading(1, 60),
    ),
}

GARBAGE: dict[str, Headers] = {
    "negative remaining": [("RateLimit", '"d";r=-1;t=5')],
    "negative reset": [("RateLimit", '"d";r=1;t=-5')],
    "decimal remaining": [("RateLimit", '"d";r=5.5;t=5')],
    "boolean remaining": [("RateLimit", '"d";r=?1;t=5')],
    "string remaining": [("RateLimit", '"d";r="5";t=5')],
    "trailing semicolon": [("RateLimit", '"d";r=5;t=5;')],
    "trailing comma": [("RateLimit", '"d";r=5;t=5,')],
    "unterminated string": [("RateLimit", '"d;r=5;t=5')],
    "bad escape": [("RateLimit", r'"d\x";r=5;t=5')],
    "inner list": [("RateLimit", '("a" "b");r=5;t=5')],
    "draft-07 dictionary form": [("RateLimit", "limit=100, remaining=50, reset=5")],
    "upper-case parameter": [("RateLimit", '"d";R=5;T=5')],
    "integer of 16 digits": [("RateLimit", '"d";r=1234567890123456;t=5')],
    "a reset of 30,000 years": [("RateLimit", '"d";r=5;t=999999999999')],
    "bad byte sequence": [("RateLimit", '"d";r=5;t=5;pk=:not*base64:')],
    "numbers as policy names": [("RateLimit", "5;r=5;t=5")],
    "legacy remaining not a number": [("X-RateLimit-Remaining", "plenty"), ("X-RateLimit-Reset", "60")],
    "legacy remaining negative": [("X-RateLimit-Remaining", "-1"), ("X-RateLimit-Reset", "60")],
    "legacy remaining empty": [("X-RateLimit-Remaining", ""), ("X-RateLimit-Reset", "60")],
    "legacy reset nan": [("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", "nan")],
    "legacy reset inf": [("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", "inf")],
    "legacy reset negative": [("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", "-5")],
    "legacy reset a word": [("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", "soon")],
    "legacy reset far beyond any epoch": [("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", "1e20")],
    "legacy remaining without a reset": [("X-RateLimit-Remaining", "1"), ("X-RateLimit-Limit", "10")],
    "only a policy": [("RateLimit-Policy", '"d";q=100;w=60')],
    "unrelated fields": [("X-RateLimit-Used", "3"), ("X-Rate-Limit-Remaining", "5"), ("Content-Type", "text/plain")],
    "none at all": [],
}


@pytest.mark.parametrize(("headers", "expected"), DRAFT_EXAMPLES.values(), ids=DRAFT_EXAMPLES.keys())
def test_the_drafts_examples(headers: Headers, expected: RateLimitReading | None) -> None:
    assert read(headers) == expected


@pytest.mark.parametrize(("headers", "expected"), SEVERAL_POLICIES.values(), ids=SEVERAL_POLICIES.keys())
def test_several_policies_the_most_constraining_counts(headers: Headers, expected: RateLimitReading | None) -> None:
    assert read(headers) == expected


@pytest.mark.parametrize(("headers", "expected"), LEGACY.values(), ids=LEGACY.keys())
def test_legacy_and_github_style_fields(headers: Headers, expected: RateLimitReading | None) -> None:
    assert read(headers) == expected


@pytest.mark.parametrize("headers", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_is_ignored(headers: Headers) -> None:
    assert read(headers) is None


def test_field_names_are_case_insensitive() -> None:
    assert read([("RATELIMIT", '"d";r=1;t=2'), ("ratelimit-POLICY", '"d";q=3;w=4')]) == reading(1, 2, 3, 4)


def test_the_wall_clock_is_read_only_for_an_epoch_reset_without_a_date() -> None:
    def clock() -> datetime:
        raise AssertionError("the wall clock was read")

    headers = httpx2.Headers([("RateLimit", '"d";r=1;t=2'), ("X-RateLimit-Reset", "9")])
    assert read_rate_limit(headers, clock) == reading(1, 2)
    assert read_rate_limit(httpx2.Headers([("Content-Type", "application/json")]), clock) is None


# --- the Structured Fields subset --------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ('"a";r=1', [Item("a", {"r": 1})]),
        ("tok/en:1;x", [Item("tok/en:1", {"x": True})]),
        ("1.25;a=-3", [Item(1.25, {"a": -3})]),
        ("?0, ?1", [Item(False, {}), Item(True, {})]),
        (":aGk=:;k=:AA==:", [Item(b"hi", {"k": b"\x00"})]),
        ('"q\\"uote\\\\";x="y z"', [Item('q"uote\\', {"x": "y z"})]),
        ('  "a" ,\t"b";  p=1  ', [Item("a", {}), Item("b", {"p": 1})]),
        ("*star;k*-._=1", [Item("*star", {"k*-._": 1})]),
        ("", []),
    ],
)
def test_structured_field_lists(field: str, expected: list[Item]) -> None:
    assert parse_list(field) == expected


@pytest.mark.parametrize(
    "field",
    ['"a" "b"', "a,,b", "a;", "a;=1", "(a b)", "@1659578233", '%"display"', '"tab\there"', "?2", "a;k=", ":abc"],
)
def test_structured_field_lists_that_are_malformed(field: str) -> None:
    assert parse_list(field) is None
