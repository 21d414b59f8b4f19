"""Issue 4: retries, waits, budgets, the rate-limit gate, logging and connection hygiene.

Most tests run the real transport against the real fake server (tests/support/fake_clerk.py) but
with a fake clock (tests/support/fake_clock.py): every wait the retry loop asks for is recorded
and costs no time, so the whole status x method x Retry-After matrix runs in seconds and gives the
same answer every time. A few tests at the end use the real clock to prove the waits really
happen on the wire.

Every test that has a `mode` parameter runs once through the sync client and once through the
async client (the sync calls are made from inside an async test; the server runs in its own
thread, so blocking there is harmless).
"""

from __future__ import annotations

import itertools
import logging
import ssl
import threading
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
import pytest
from clerk_chat_client import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    ClerkChatClient,
    ClerkChatError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)
from clerk_chat_client._settings import API_KEY_NAME
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models import ConnectTwilioRequest, TwilioConnectorResponse

from tests.conftest import API_KEY
from tests.support.fake_clerk import (
    Behaviour,
    FakeClerk,
    RecordedRequest,
    Reply,
    ResetBeforeHeaders,
    Truncated,
    free_port,
)
from tests.support.fake_clock import FakeClock
from tests.support.pool import assert_pool_idle, connection_pool

MakeClient = Callable[..., ClerkChatClient]
BODY = ConnectTwilioRequest(inbox_external_id="inbox-123")
CONNECT_PATH = "/public/twilio-connector/connect"
IDEMPOTENCY_KEY = "idem-4f1c"
KEY_HEADER = API_KEY_NAME.lower()
LOGGER = "clerk_chat_client"
# The server is plain http, so TLS settings do not matter; one shared context spares every client
# the ~50 ms httpx2 spends loading the CA bundle, which would dominate this file's run time.
TLS = ssl.create_default_context()

MODES = pytest.mark.parametrize("mode", ["sync", "async"])
METHODS = ["GET", "POST", "PUT", "DELETE", "POST+Idempotency-Key"]
STATUSES = [429, 408, 502, 503, 504, 500, 400, 404]
# Retry-After forms and the wait each one asks for (None: no header, backoff applies).
FORMS: dict[str, float | None] = {"none": None, "delta": 2.0, "http-date": 3.0, "ms": 1.5}
ERROR_TYPES: dict[int, type[APIStatusError]] = {
    429: RateLimitError,
    408: APIStatusError,
    502: InternalServerError,
    503: InternalServerError,
    504: InternalServerError,
    500: InternalServerError,
    400: BadRequestError,
    404: NotFoundError,
}


# --- helpers -----------------------------------------------------------------------------------


def is_retried(status: int, method: str) -> bool:
    """DESIGN "Retry semantics": 429 always; 408/502/503/504 when repeating is safe; else never."""
    return status == 429 or (status in {408, 502, 503, 504} and method != "POST")


def verb(method: str) -> str:
    return method.partition("+")[0]


def path_of(method: str) -> str:
    return CONNECT_PATH if method == "POST" else "/x"


async def invoke(client: ClerkChatClient, method: str, mode: str, *, params: dict[str, str] | None = None) -> Any:
    """One call. Plain POST goes through the generated `connect` operation; the others through
    the client's httpx2 client directly (the retrying transport is under every request)."""
    if method == "POST" and params is None:
        if mode == "sync":
            return connect.sync(client=client, body=BODY)
        return await connect.asyncio(client=client, body=BODY)
    headers = {"Idempotency-Key": IDEMPOTENCY_KEY} if method.endswith("+Idempotency-Key") else {}
    kwargs: dict[str, Any] = {"headers": headers, "params": params}
    if verb(method) in ("POST", "PUT"):
        kwargs["json"] = BODY.to_dict()
    if mode == "sync":
        return client.get_httpx_client().request(verb(method), path_of(method), **kwargs)
    return await client.get_async_httpx_client().request(verb(method), path_of(method), **kwargs)


def assert_success(result: Any) -> None:
    if isinstance(result, httpx2.Response):
        assert result.status_code == 200
        assert result.json() == {"data": {"connectUrl": "wss://example.test/stream"}}
    else:
        assert isinstance(result, TwilioConnectorResponse)
        assert result.data.connect_url == "wss://example.test/stream"


def assert_attempts(records: list[RecordedRequest], count: int, method: str) -> None:
    """`count` attempts of the same request, each carrying the key (and the Idempotency-Key)."""
    assert len(records) == count, [(r.method, r.path, r.status) for r in records]
    first = records[0]
    for record in records:
        assert (record.method, record.path.partition("?")[0]) == (verb(method), path_of(method))
        assert record.body == first.body
        assert record.headers[KEY_HEADER] == API_KEY
        if method.endswith("+Idempotency-Key"):
            assert record.headers["idempotency-key"] == IDEMPOTENCY_KEY


def assert_backoff(sleeps: list[float]) -> None:
    """About 0.5 s doubling, capped at 8 s, each jittered into [0.75x, 1x]."""
    for number, slept in enumerate(sleeps):
        base = min(0.5 * 2**number, 8.0)
        assert 0.75 * base - 1e-9 <= slept <= base + 1e-9, (number, slept, sleeps)


def assert_waits(sleeps: list[float], form: str, count: int) -> None:
    assert len(sleeps) == count, sleeps
    hint = FORMS[form]
    if hint is None:
        assert_backoff(sleeps)
    else:
        assert sleeps == [pytest.approx(hint)] * count


def failing(status: int, form: str, clock: FakeClock) -> Callable[[], Behaviour]:
    """A factory of the error reply; HTTP-dates are computed when the server answers."""

    def make() -> Behaviour:
        headers: dict[str, str] = {}
        if form == "delta":
            headers["Retry-After"] = "2"
        elif form == "http-date":
            headers["Retry-After"] = format_datetime(clock.now() + timedelta(seconds=3), usegmt=True)
        elif form == "ms":
            headers["retry-after-ms"] = "1500"
        return Reply.json({"error": f"status {status}"}, status=status, headers=headers)

    return make


class Replies:
    """A `handle_with` function: serves its queue (behaviours or factories), then success."""

    def __init__(self, server: FakeClerk) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Behaviour | Callable[[], Behaviour]] = deque()
        server.handle_with(self)

    def set(self, *items: Behaviour | Callable[[], Behaviour]) -> None:
        with self._lock:
            self._queue = deque(items)

    def __call__(self, record: RecordedRequest) -> Behaviour:
        with self._lock:
            item = self._queue.popleft() if self._queue else None
        if item is None:
            return Reply.connect_ok()
        return item() if callable(item) else item


@asynccontextmanager
async def async_closing(*clients: ClerkChatClient) -> AsyncIterator[None]:
    """Close the async (and sync) httpx2 clients of `clients` at the end."""
    try:
        yield
    finally:
        for client in clients:  # only those httpx2 clients that were made
            if client._async_client is not None:
                await client._async_client.aclose()
            if client._client is not None:
                client._client.close()


async def assert_no_leaks(server: FakeClerk, client: ClerkChatClient, mode: str) -> None:
    """No connection is busy, nothing waits for one, and every connection the server still has
    open is one the client's pool holds idle (a discarded response left unclosed would keep its
    connection ACTIVE, outside the pool's reach)."""
    pool = connection_pool(client, mode)
    assert_pool_idle(pool)
    connections = pool.connections
    idle_open = sum(1 for c in connections if c.is_idle() and not c.is_closed())
    with anyio.move_on_after(3):
        while server.open_connections != idle_open:
            await anyio.sleep(0.01)
    assert server.open_connections == idle_open, pool


async def arrivals(server: FakeClerk, count: int) -> list[RecordedRequest]:
    """The server records a request a moment after the client wrote it: wait for `count`."""
    with anyio.move_on_after(3):
        while len(server.requests) < count:
            await anyio.sleep(0.01)
    return server.requests


@pytest.fixture
def new_client(make_client: MakeClient) -> MakeClient:
    """`make_client` (pointed at the fake server, closed after the test) with the shared TLS context."""

    def make(**options: Any) -> ClerkChatClient:
        options.setdefault("verify_ssl", TLS)
        return make_client(**options)

    return make


# --- the matrix --------------------------------------------------------------------------------


@pytest.mark.anyio
@MODES
@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("status", STATUSES)
async def test_status_method_retry_after_matrix(
    new_client: MakeClient, server: FakeClerk, status: int, method: str, form: str, mode: str
) -> None:
    clock = FakeClock()
    client = new_client(clock=clock)
    replies = Replies(server)
    fail = failing(status, form, clock)
    async with async_closing(client):
        # One failure, then success.
        replies.set(fail)
        if is_retried(status, method):
            assert_success(await invoke(client, method, mode))
            assert_attempts(server.requests, 2, method)
            assert [r.status for r in server.requests] == [status, 200]
            assert_waits(clock.sleeps, form, 1)

            # Failing every time: 1 + max_retries (2 by default) attempts, then the typed error.
            clock.sleeps.clear()
            replies.set(fail, fail, fail)
            with pytest.raises(ClerkChatError) as caught:
                await invoke(client, method, mode)
            assert_attempts(server.requests[2:], 3, method)
            assert_waits(clock.sleeps, form, 2)
        else:
            with pytest.raises(ClerkChatError) as caught:
                await invoke(client, method, mode)
            assert_attempts(server.requests, 1, method)
            assert clock.sleeps == []
        await assert_no_leaks(server, client, mode)

    error = caught.value
    assert type(error) is ERROR_TYPES[status]
    assert isinstance(error, APIStatusError)
    assert (error.status_code, error.method) == (status, verb(method))
    assert error.json == {"error": f"status {status}"}
    if isinstance(error, RateLimitError):
        expected_retry_after = FORMS[form]
        if expected_retry_after is None:
            assert error.retry_after is None
        else:
            assert error.retry_after == pytest.approx(expected_retry_after)
    assert API_KEY not in str(error) and API_KEY not in repr(error.headers)


# --- transport failures ------------------------------------------------------------------------


@pytest.mark.anyio
@MODES
@pytest.mark.parametrize("method", METHODS)
async def test_connect_errors_are_retried_for_every_method(new_client: MakeClient, method: str, mode: str) -> None:
    clock = FakeClock(randoms=(0.0, 0.99))
    client = new_client(base_url=f"http://127.0.0.1:{free_port()}", clock=clock)
    async with async_closing(client):
        with pytest.raises(APIConnectionError) as caught:
            await invoke(client, method, mode)

    assert not isinstance(caught.value, APITimeoutError)
    assert isinstance(caught.value.__cause__, httpx2.ConnectError)
    assert len(clock.sleeps) == 2  # 1 + max_retries attempts
    assert_backoff(clock.sleeps)
    assert API_KEY not in str(caught.value)


@pytest.mark.anyio
@MODES
@pytest.mark.parametrize("method", METHODS)
async def test_read_timeouts_are_retried_only_when_repeating_is_safe(
    new_client: MakeClient, server: FakeClerk, method: str, mode: str
) -> None:
    server.default = Reply(200, body=b"late", delay_headers=2.0)
    clock = FakeClock()
    client = new_client(clock=clock, timeout=0.1)
    async with async_closing(client):
        with pytest.raises(APITimeoutError) as caught:
            await invoke(client, method, mode)

    expected = 1 if method == "POST" else 3
    assert_attempts(await arrivals(server, expected), expected, method)
    assert isinstance(caught.value.__cause__, httpx2.ReadTimeout)
    assert len(clock.sleeps) == expected - 1
    assert_backoff(clock.sleeps)


@pytest.mark.anyio
@MODES
async def test_broken_responses_of_an_idempotent_call_are_retried_and_every_connection_is_released(
    new_client: MakeClient, server: FakeClerk, mode: str
) -> None:
    clock = FakeClock()
    client = new_client(clock=clock, max_retries=4)
    Replies(server).set(
        Reply.json({"error": "busy"}, status=503),
        Truncated(),
        ResetBeforeHeaders(),
        Reply(429, {"Retry-After": "0"}),
    )
    async with async_closing(client):
        assert_success(await invoke(client, "GET", mode))
        assert_attempts(server.requests, 5, "GET")
        assert [r.status for r in server.requests] == [503, 200, None, 429, 200]
        await assert_no_leaks(server, client, mode)


# --- Retry-After edge cases --------------------------------------------------------------------


@pytest.mark.anyio
@MODES
@pytest.mark.parametrize("status", [429, 503])
async def test_a_retry_after_date_in_the_past_means_no_wait(
    new_client: MakeClient, server: FakeClerk, status: int, mode: str
) -> None:
    clock = FakeClock()
    client = new_client(clock=clock)
    past = format_datetime(clock.now() - timedelta(minutes=5), usegmt=True)
    Replies(server).set(Reply(status, {"Retry-After": past}))
    async with async_closing(client):
        assert_success(await invoke(client, "GET", mode))
    assert len(server.requests) == 2
    assert clock.sleeps in ([], [0.0])


GARBAGE = [
    "-1",  # not delay-seconds; must not be read as "the 1st of this month"
    "-30",
    "soon",
    "1e400",  # float("1e400") is inf
    "nan",
    "99999999999",  # ~3170 years
    "",
    "Mon, 01 Jan 2030 00:00:00 +9999",  # a date with an impossible UTC offset
]


@pytest.mark.anyio
@MODES
@pytest.mark.parametrize("value", GARBAGE)
async def test_garbage_retry_after_means_backoff_or_an_immediate_rate_limit_error(
    new_client: MakeClient, server: FakeClerk, value: str, mode: str
) -> None:
    clock = FakeClock()
    client = new_client(clock=clock)
    Replies(server).set(*[Reply(429, {"Retry-After": value})] * 3)
    async with async_closing(client):
        with anyio.fail_after(10):
            with pytest.raises(RateLimitError) as caught:
                await invoke(client, "GET", mode)

    if len(server.requests) == 1:  # treated as a wait too long to sleep: raised at once
        assert clock.sleeps == []
        assert caught.value.retry_after is not None and caught.value.retry_after > 60
    else:  # treated as no usable hint: ordinary backoff
        assert len(server.requests) == 3
        assert len(clock.sleeps) == 2
        assert_backoff(clock.sleeps)
        assert caught.value.retry_after is None


@pytest.mark.anyio
@MODES
@pytest.mark.parametrize(
    ("header", "value"),
    [("Retry-After", "61"), ("Retry-After", "3600"), ("retry-after-ms", "61000"), ("Retry-After", "http-date+120")],
)
async def test_a_requested_wait_above_max_retry_wait_raises_at_once_without_sleeping(
    new_client: MakeClient, server: FakeClerk, header: str, value: str, mode: str
) -> None:
    clock = FakeClock()
    client = new_client(clock=clock)  # max_retry_wait defaults to 60 s
    if value == "http-date+120":
        value = format_datetime(clock.now() + timedelta(seconds=120), usegmt=True)
    Replies(server).set(Reply(429, {header: value}))
    async with async_closing(client):
        with pytest.raises(RateLimitError) as caught:
            await invoke(client, "POST", mode)

    assert clock.sleeps == []
    assert len(server.requests) == 1
    expected = 120.0 if value.endswith("GMT") else float(value) / (1000 if header == "retry-after-ms" else 1)
    assert caught.value.retry_after == pytest.approx(expected)


@pytest.mark.anyio
@MODES
async def test_max_retry_wait_is_configurable_and_a_wait_equal_to_it_is_slept(
    new_client: MakeClient, server: FakeClerk, mode: str
) -> None:
    clock = FakeClock()
    client = new_client(clock=clock, max_retry_wait=5)
    replies = Replies(server)
    async with async_closing(client):
        replies.set(Reply(429, {"Retry-After": "5"}))
        assert_success(await invoke(client, "GET", mode))
        assert clock.sleeps == [5.0]

        replies.set(Reply(429, {"Retry-After": "6"}))
        with pytest.raises(RateLimitError) as caught:
            await invoke(client, "GET", mode)
        assert caught.value.retry_after == 6.0
        assert clock.sleeps == [5.0]
        assert len(server.requests) == 3


@pytest.mark.anyio
@MODES
async def test_retry_after_ms_wins_over_retry_after(new_client: MakeClient, server: FakeClerk, mode: str) -> None:
    clock = FakeClock()
    client = new_client(clock=clock)
    Replies(server).set(Reply(429, {"Retry-After": "7", "retry-after-ms": "250"}))
    async with async_closing(client):
        assert_success(await invoke(client, "GET", mode))
    assert clock.sleeps == [0.25]


# --- how many retries, and the budget ----------------------------------------------------------


@pytest.mark.anyio
@MODES
@pytest.mark.parametrize("max_retries", [None, 0, 1, 5])
async def test_max_retries_defaults_to_two_and_is_configurable(
    new_client: MakeClient, server: FakeClerk, max_retries: int | None, mode: str
) -> None:
    clock = FakeClock()
    client = new_client(clock=clock) if max_retries is None else new_client(clock=clock, max_retries=max_retries)
    expected = 2 if max_retries is None else max_retries
    assert client.max_retries == expected
    server.default = Reply.json({"error": "busy"}, status=503)
    async with async_closing(client):
        with pytest.raises(InternalServerError):
            await invoke(client, "GET", mode)
    assert len(server.requests) == expected + 1
    assert len(clock.sleeps) == expected
    assert_backoff(clock.sleeps)


@pytest.mark.anyio
@MODES
async def test_with_options_max_retries_changes_the_copy_only(
    new_client: MakeClient, server: FakeClerk, mode: str
) -> None:
    clock = FakeClock()
    original = new_client(clock=clock)
    copy = original.with_options(max_retries=4)
    assert copy is not original
    assert (original.max_retries, copy.max_retries) == (2, 4)
    server.default = Reply.json({"error": "busy"}, status=503)
    async with async_closing(original, copy):
        with pytest.raises(InternalServerError):
            await invoke(copy, "GET", mode)
        assert len(server.requests) == 5
        with pytest.raises(InternalServerError):
            await invoke(original, "GET", mode)
        assert len(server.requests) == 8
    assert original.max_retries == 2


def test_a_negative_max_retries_is_refused() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        ClerkChatClient(api_key=API_KEY, base_url="http://127.0.0.1:1", max_retries=-1, verify_ssl=TLS)


@pytest.mark.anyio
@MODES
@pytest.mark.parametrize("jitter", [0.0, 0.5, 0.999])
async def test_backoff_doubles_from_half_a_second_and_is_capped_at_eight(
    new_client: MakeClient, server: FakeClerk, jitter: float, mode: str
) -> None:
    clock = FakeClock(randoms=(jitter,))
    client = new_client(clock=clock, max_retries=7, total_timeout=None)
    server.default = Reply(502)
    async with async_closing(client):
        with pytest.raises(InternalServerError):
            await invoke(client, "PUT", mode)
    assert len(server.requests) == 8
    assert_backoff(clock.sleeps)
    # With the same jitter every time, each wait is twice the one before until the 8 s cap.
    ratios = [later / earlier for earlier, later in itertools.pairwise(clock.sleeps)]
    assert ratios == pytest.approx([2, 2, 2, 2, 1, 1])


@pytest.mark.anyio
@MODES
async def test_total_timeout_stops_retrying_when_the_next_backoff_would_cross_it(
    new_client: MakeClient, server: FakeClerk, mode: str
) -> None:
    clock = FakeClock(randoms=(0.0,))  # backoff exactly 0.5, 1, 2, ...
    client = new_client(clock=clock, max_retries=10, total_timeout=1.2)
    server.default = Reply.json({"error": "busy"}, status=503)
    async with async_closing(client):
        with pytest.raises(InternalServerError):
            await invoke(client, "GET", mode)
    assert clock.sleeps == [0.5]  # 0.5 + 1.0 would end past 1.2 s
    assert len(server.requests) == 2


@pytest.mark.anyio
@MODES
async def test_total_timeout_stops_retrying_when_the_next_requested_wait_would_cross_it(
    new_client: MakeClient, server: FakeClerk, mode: str
) -> None:
    clock = FakeClock()
    client = new_client(clock=clock, max_retries=10, total_timeout=5)
    server.default = Reply(429, {"Retry-After": "2"})
    async with async_closing(client):
        with pytest.raises(RateLimitError) as caught:
            await invoke(client, "POST", mode)
    assert clock.sleeps == [2.0, 2.0]  # a third wait would end at 6 s
    assert len(server.requests) == 3
    assert caught.value.retry_after == 2.0


# --- the rate-limit gate -----------------------------------------------------------------------


@pytest.mark.anyio
@MODES
@pytest.mark.parametrize("other", ["same client", "with_options copy"])
async def test_a_429_holds_off_the_clients_other_requests(
    new_client: MakeClient, server: FakeClerk, other: str, mode: str
) -> None:
    """While request A waits out its 429, request B of the same client (or of a copy made with
    with_options, which shares the gate) waits for the rest of A's announced wait."""
    clock = FakeClock()
    client = new_client(clock=clock)
    second = client if other == "same client" else client.with_options()
    Replies(server).set(Reply(429, {"Retry-After": "5"}))
    results: list[Any] = []

    def start_b(seconds: float) -> Any:
        """Runs inside A's first sleep: issue B there (awaited by the fake clock when async)."""
        clock.on_sleep = None
        if mode == "sync":
            results.append(second.get_httpx_client().get("/x", params={"call": "b"}))
            return None

        async def call_b() -> None:
            results.append(await invoke(second, "GET", mode, params={"call": "b"}))

        return call_b()

    clock.on_sleep = start_b
    async with async_closing(client, second):
        assert_success(await invoke(client, "GET", mode, params={"call": "a"}))

    assert_success(results[0])
    assert [r.path for r in server.requests] == ["/x?call=a", "/x?call=b", "/x?call=a"]
    assert clock.sleeps == [5.0, 5.0]  # A's wait, then B held off for the same 5 s


@pytest.mark.anyio
@MODES
@pytest.mark.parametrize("max_retries", [0, 1])
async def test_a_429_that_ends_the_call_still_holds_off_the_clients_next_request(
    new_client: MakeClient, server: FakeClerk, max_retries: int, mode: str
) -> None:
    """DESIGN: "When one request of a client gets a 429 with a wait, that client's other requests
    hold off until then too." That holds when the 429 is the call's last attempt as well: the
    server's request does not depend on whether this call had retries left."""
    clock = FakeClock()
    client = new_client(clock=clock, max_retries=max_retries)
    Replies(server).set(*[Reply(429, {"Retry-After": "2"})] * (max_retries + 1))
    async with async_closing(client):
        with pytest.raises(RateLimitError) as caught:
            await invoke(client, "GET", mode)
        assert caught.value.retry_after == 2.0
        assert clock.sleeps == [2.0] * max_retries

        assert_success(await invoke(client, "GET", mode))  # right away: the server said 2 s
    assert clock.sleeps == [2.0] * (max_retries + 1), "the next request did not hold off"


# --- logging -----------------------------------------------------------------------------------


@pytest.mark.anyio
@MODES
async def test_every_retry_is_logged_at_info_without_the_key(
    new_client: MakeClient, server: FakeClerk, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    client = new_client(clock=clock)
    Replies(server).set(Reply(503), Reply(429, {"Retry-After": "2"}))
    async with async_closing(client):
        assert_success(await invoke(client, "GET", mode))
        ours = [r for r in caplog.records if r.name == LOGGER]
        assert len(ours) == 2
        for number, (record, wait, reason) in enumerate(zip(ours, clock.sleeps, ["503", "429"], strict=True), 1):
            message = record.getMessage()
            assert record.levelno == logging.INFO
            assert "GET" in message and "/x" in message
            assert f"retry {number} of 2" in message
            assert f"{wait:.2f}" in message
            assert reason in message

        caplog.clear()
        assert_success(await invoke(client, "GET", mode))  # no retry, no retry log
        assert [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.INFO] == []

    assert API_KEY not in caplog.text
    assert all(API_KEY not in repr(r.args) and API_KEY not in r.getMessage() for r in caplog.records)


@pytest.mark.anyio
@MODES
async def test_connection_failure_retries_are_logged_with_their_reason(
    new_client: MakeClient, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock = FakeClock()
    client = new_client(base_url=f"http://127.0.0.1:{free_port()}", clock=clock)
    async with async_closing(client):
        with pytest.raises(APIConnectionError):
            await invoke(client, "POST", mode)
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert len(messages) == 2
    assert all("POST" in m and CONNECT_PATH in m and "connect" in m.lower().replace(CONNECT_PATH, "") for m in messages)
    assert "retry 1 of 2" in messages[0] and "retry 2 of 2" in messages[1]
    assert API_KEY not in caplog.text


# --- connection hygiene ------------------------------------------------------------------------


@pytest.mark.anyio
@MODES
async def test_retried_calls_reuse_one_connection_and_leak_none(
    new_client: MakeClient, server: FakeClerk, mode: str
) -> None:
    """Each discarded response is closed, so its connection goes back to the pool and the retry
    reuses it: ten calls of three attempts each need a single connection."""
    clock = FakeClock()
    client = new_client(clock=clock)
    replies = Replies(server)
    async with async_closing(client):
        for _ in range(10):
            replies.set(Reply.json({"error": "busy"}, status=503), Reply(429, {"Retry-After": "0"}, b"slow down"))
            assert_success(await invoke(client, "DELETE", mode))
            await assert_no_leaks(server, client, mode)
        for _ in range(3):  # and when the retries run out
            replies.set(*[Reply(429, {"Retry-After": "1"}, b"slow down")] * 3)
            with pytest.raises(RateLimitError):
                await invoke(client, "POST", mode)
            await assert_no_leaks(server, client, mode)
        assert len(server.requests) == 39
        assert server.total_connections == 1
        assert len(connection_pool(client, mode).connections) == 1


# --- the real clock ----------------------------------------------------------------------------


@pytest.mark.anyio
@MODES
async def test_real_clock_retry_after_seconds_is_waited(new_client: MakeClient, server: FakeClerk, mode: str) -> None:
    client = new_client()
    server.script(Reply(429, {"Retry-After": "1"}))
    async with async_closing(client):
        started = time.monotonic()
        assert_success(await invoke(client, "POST", mode))
        elapsed = time.monotonic() - started
    first, retry = server.requests
    assert (first.status, retry.status) == (429, 200)
    assert first.headers_sent_at is not None
    assert retry.arrived_at - first.headers_sent_at >= 0.99  # the server's view of the wait
    assert 1.0 <= elapsed < 2.5


@pytest.mark.anyio
@MODES
async def test_real_clock_retry_after_http_date_is_waited(new_client: MakeClient, server: FakeClerk, mode: str) -> None:
    announced: list[datetime] = []
    arrived_wall: list[float] = []

    def handler(record: RecordedRequest) -> Behaviour:
        arrived_wall.append(time.time())
        if announced:
            return Reply.connect_ok()
        # ~2 s ahead; an HTTP-date drops the fraction, so the real wait is in (1, 2] s.
        announced.append((datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0))
        return Reply(429, {"Retry-After": format_datetime(announced[0], usegmt=True)})

    server.handle_with(handler)
    client = new_client()
    async with async_closing(client):
        started = time.monotonic()
        assert_success(await invoke(client, "GET", mode))
        elapsed = time.monotonic() - started
    assert len(server.requests) == 2
    assert arrived_wall[1] >= announced[0].timestamp() - 0.01  # wall clocks: allow a tick
    assert 0.99 <= elapsed < 3.0


@pytest.mark.anyio
@MODES
async def test_real_clock_three_429s_with_max_retries_two_raise(
    new_client: MakeClient, server: FakeClerk, mode: str
) -> None:
    server.default = Reply.json({"error": "slow down"}, status=429, headers={"Retry-After": "0"})
    client = new_client(max_retries=2)
    async with async_closing(client):
        with pytest.raises(RateLimitError) as caught:
            await invoke(client, "POST", mode)
    assert len(server.requests) == 3
    assert caught.value.retry_after == 0.0


@pytest.mark.anyio
@MODES
async def test_real_clock_an_hour_long_retry_after_raises_at_once(
    new_client: MakeClient, server: FakeClerk, mode: str
) -> None:
    server.default = Reply(429, {"Retry-After": "3600"})
    client = new_client()
    async with async_closing(client):
        started = time.monotonic()
        with pytest.raises(RateLimitError) as caught:
            await invoke(client, "POST", mode)
        elapsed = time.monotonic() - started
    assert caught.value.retry_after == 3600.0
    assert len(server.requests) == 1
    assert elapsed < 0.5


@pytest.mark.anyio
@MODES
async def test_real_clock_503_is_not_retried_for_post_but_is_for_get(
    new_client: MakeClient, server: FakeClerk, mode: str
) -> None:
    client = new_client()
    async with async_closing(client):
        server.script(Reply(503))
        with pytest.raises(InternalServerError):
            await invoke(client, "POST", mode)
        assert len(server.requests) == 1

        server.script(Reply(503))
        started = time.monotonic()
        assert_success(await invoke(client, "GET", mode))
        elapsed = time.monotonic() - started
    assert [r.status for r in server.requests] == [503, 503, 200]
    assert server.requests[2].arrived_at - server.requests[1].headers_sent_at >= 0.375  # type: ignore[operator]
    assert elapsed >= 0.375


# --- concurrency -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_200_concurrent_calls_with_a_third_rate_limited(server: FakeClerk) -> None:
    """Every third first attempt gets `429, Retry-After: 1`. Every call completes; no retry
    reaches the server inside any 429's announced wait (the gate holds off every request of the
    client, not only the one that was told); no connection is left busy or open behind the pool."""
    calls = 200
    lock = threading.Lock()
    seen: Counter[str] = Counter()
    first_attempts = 0

    def handler(record: RecordedRequest) -> Behaviour:
        nonlocal first_attempts
        call = parse_qs(urlsplit(record.path).query)["call"][0]
        with lock:
            seen[call] += 1
            if seen[call] > 1:
                return Reply.connect_ok()
            first_attempts += 1
            limited = first_attempts % 3 == 0
        return Reply(429, {"Retry-After": "1"}, b"slow down") if limited else Reply.connect_ok()

    server.handle_with(handler)
    # httpx2's default pool (100 connections, 20 kept alive) queues the rest: that is fine here,
    # and a bigger pool only makes httpcore's bookkeeping (quadratic in connections) slower.
    client = ClerkChatClient(api_key=API_KEY, base_url=server.url, verify_ssl=TLS)
    results: dict[int, httpx2.Response] = {}

    async def one(number: int) -> None:
        results[number] = await invoke(client, "POST", "async", params={"call": str(number)})

    started = time.monotonic()
    async with async_closing(client):
        async with anyio.create_task_group() as group:
            for number in range(calls):
                group.start_soon(one, number)
        elapsed = time.monotonic() - started

        assert sorted(results) == list(range(calls))
        for response in results.values():
            assert_success(response)
        await assert_no_leaks(server, client, "async")

    records = server.requests
    limited = [r for r in records if r.status == 429]
    assert len(limited) == calls // 3
    assert len(records) == calls + len(limited)
    assert all(count in (1, 2) for count in seen.values())

    attempt_number: Counter[str] = Counter()
    retries: list[RecordedRequest] = []
    for record in records:
        call = parse_qs(urlsplit(record.path).query)["call"][0]
        attempt_number[call] += 1
        if attempt_number[call] > 1:
            retries.append(record)
    assert len(retries) == len(limited)
    for told in limited:
        assert told.headers_sent_at is not None
        inside = [r for r in retries if told.headers_sent_at <= r.arrived_at < told.headers_sent_at + 1.0]
        assert inside == [], f"{len(inside)} retries arrived inside a 429's announced wait"
    assert elapsed < 10
    with anyio.move_on_after(3):
        while server.open_connections:
            await anyio.sleep(0.01)
    assert server.open_connections == 0
