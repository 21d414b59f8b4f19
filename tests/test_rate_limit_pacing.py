"""Issue 15: the client paces itself from rate-limit headers (one process, the in-process gate).

Most tests run the real transport against FakeClerk with a rate-limiting handler
(tests/support/rate_limited.py) that lives on the same fake clock as the client: waits cost no
time and every number is exact. The last tests use the real clock against the same handler on
real time: sequential and concurrent calls see no 429 once the headers are known.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from clerk_chat_client import APITimeoutError, ClerkChatClient, RateLimitError
from clerk_chat_client._rate_limits import RateLimitSnapshot
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models import ConnectTwilioRequest, TwilioConnectorResponse

from tests.conftest import API_KEY
from tests.support.fake_clerk import FakeClerk, Reply
from tests.support.fake_clock import FakeClock
from tests.support.rate_limited import STYLES, FixedWindow

MakeClient = Callable[..., ClerkChatClient]
BODY = ConnectTwilioRequest(inbox_external_id="inbox-123")
MODES = pytest.mark.parametrize("mode", ["sync", "async"])
OTHER_KEY = "ck_test_other_0000000000"


async def call(client: ClerkChatClient, mode: str) -> TwilioConnectorResponse:
    result = (
        connect.sync(client=client, body=BODY) if mode == "sync" else await connect.asyncio(client=client, body=BODY)
    )
    assert isinstance(result, TwilioConnectorResponse)
    return result


async def calls(client: ClerkChatClient, mode: str, count: int) -> None:
    for _ in range(count):
        await call(client, mode)


async def close(*clients: ClerkChatClient) -> None:
    for client in clients:
        await client.aclose()


def on_fake_time(clock: FakeClock, **window: Any) -> FixedWindow:
    """The rate-limiting handler on the client's fake wall clock."""
    return FixedWindow(clock=lambda: clock.now().timestamp(), **window)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(make_client: MakeClient, clock: FakeClock) -> ClerkChatClient:
    return make_client(clock=clock)


# --- no headers: no change ---------------------------------------------------------------------


@pytest.mark.anyio
@MODES
async def test_without_rate_limit_headers_nothing_waits(client: ClerkChatClient, clock: FakeClock, mode: str) -> None:
    await calls(client, mode, 20)
    await close(client)
    assert clock.sleeps == []
    assert client.rate_limit is None


@pytest.mark.anyio
@MODES
async def test_malformed_rate_limit_headers_are_ignored(
    server: FakeClerk, client: ClerkChatClient, clock: FakeClock, mode: str
) -> None:
    server.default = Reply.json(
        {"data": {"connectUrl": "wss://x"}},
        headers={"RateLimit": '"d";r=0;t=', "X-RateLimit-Remaining": "-1", "X-RateLimit-Reset": "soon"},
    )
    await calls(client, mode, 5)
    await close(client)
    assert clock.sleeps == []
    assert client.rate_limit is None


# --- a spent budget ----------------------------------------------------------------------------


@pytest.mark.anyio
@MODES
@pytest.mark.parametrize("style", STYLES)
async def test_a_spent_budget_waits_for_the_reset_and_refills(
    server: FakeClerk, client: ClerkChatClient, clock: FakeClock, style: str, mode: str
) -> None:
    limiter = on_fake_time(clock, limit=3, window=10, style=style)
    server.handle_with(limiter)
    await calls(client, mode, 7)
    await close(client)
    assert limiter.statuses == {200: 7}  # not one 429
    assert clock.sleeps == [10.0, 10.0]  # three calls a window, each window waited out to its end
    assert client.rate_limit == RateLimitSnapshot(limit=3, remaining=2, reset_at=clock.monotonic() + 10, reset_in=10)


@pytest.mark.anyio
@MODES
async def test_a_budget_spent_past_max_retry_wait_raises_at_once_without_sending(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str
) -> None:
    server.handle_with(on_fake_time(clock, limit=2, window=3600, style="ietf"))
    client = make_client(clock=clock)
    await calls(client, mode, 2)
    with pytest.raises(RateLimitError) as caught:
        await call(client, mode)

    assert caught.value.retry_after == 3600.0
    assert caught.value.status_code == 429
    assert "not sent" in str(caught.value) and "max_retry_wait (60 s)" in str(caught.value)
    assert API_KEY not in str(caught.value)
    assert len(server.requests) == 2
    assert clock.sleeps == []

    lenient = client.with_options(raise_on_error=False)  # a copy shares the gate
    response = (
        connect.sync_detailed(client=lenient, body=BODY)
        if mode == "sync"
        else await connect.asyncio_detailed(client=lenient, body=BODY)
    )
    assert response.status_code == 429 and response.headers["Retry-After"] == "3600"
    assert len(server.requests) == 2
    await close(client, lenient)


@pytest.mark.anyio
async def test_requests_in_flight_count_against_the_budget(
    server: FakeClerk, client: ClerkChatClient, clock: FakeClock
) -> None:
    """Three left, six started at once: three go, three wait for the reset, none gets a 429
    (counting only the answers, all six would have gone). A wait lets the fake clock move only
    once the three in flight are answered, as real time would: a reset is seconds away, an
    answer milliseconds."""
    limiter = on_fake_time(clock, limit=4, window=10, style="ietf")
    server.handle_with(limiter)
    await call(client, "async")

    async def answered(seconds: float) -> None:
        with anyio.fail_after(5):
            while sum(r.status is not None for r in server.requests) < 4:
                await anyio.sleep(0.005)

    clock.on_sleep = answered
    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(call, client, "async")
    await close(client)
    assert limiter.statuses == {200: 7}
    assert clock.sleeps == [10.0] * 3


@pytest.mark.anyio
@MODES
async def test_a_with_options_copy_shares_the_budget_but_not_with_another_key(
    server: FakeClerk, client: ClerkChatClient, clock: FakeClock, mode: str
) -> None:
    server.handle_with(on_fake_time(clock, limit=2, window=3600, style="github"))
    copy, other = client.with_options(max_retries=0), client.with_options(api_key=OTHER_KEY)
    await calls(client, mode, 2)
    with pytest.raises(RateLimitError):
        await call(copy, mode)
    await calls(other, mode, 2)  # its own budget on the server, and its own gate here
    await close(client, copy, other)
    assert len(server.requests) == 4


# --- a low budget ------------------------------------------------------------------------------


@pytest.mark.anyio
@MODES
async def test_a_low_budget_is_spread_over_the_time_to_the_reset(
    server: FakeClerk, client: ClerkChatClient, clock: FakeClock, mode: str
) -> None:
    """40 a window of 100 s: 36 go at once; below a tenth of the limit the last four are spread
    evenly (one each 25 s), so that the reset comes as the budget runs out; then a new window."""
    limiter = on_fake_time(clock, limit=40, window=100, style="draft")
    server.handle_with(limiter)
    await calls(client, mode, 41)
    await close(client)
    assert limiter.statuses == {200: 41}
    assert clock.sleeps == [25.0, 25.0, 25.0, 25.0]


@pytest.mark.anyio
@MODES
async def test_spacing_never_makes_a_call_raise(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str
) -> None:
    """With total_timeout=30, a 25 s spacing slot would take more than half of a call's budget:
    those calls go at once instead. Only the spent budget refuses a call (100 s to the reset,
    beyond max_retry_wait)."""
    limiter = on_fake_time(clock, limit=40, window=100, style="draft")
    server.handle_with(limiter)
    client = make_client(clock=clock, total_timeout=30)
    await calls(client, mode, 40)
    assert clock.sleeps == []
    with pytest.raises(RateLimitError) as caught:
        await call(client, mode)
    await close(client)
    assert caught.value.retry_after == 100.0
    assert limiter.statuses == {200: 40}


@pytest.mark.anyio
@MODES
async def test_a_spent_budget_past_the_total_timeout_is_a_timeout(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str
) -> None:
    server.handle_with(on_fake_time(clock, limit=1, window=50, style="ietf"))
    client = make_client(clock=clock, total_timeout=20)
    await call(client, mode)
    with pytest.raises(APITimeoutError, match="total_timeout"):
        await call(client, mode)
    await close(client)
    assert len(server.requests) == 1


# --- 429s and Retry-After ----------------------------------------------------------------------


@pytest.mark.anyio
@MODES
async def test_retry_after_wins_over_the_rate_limit_headers(
    server: FakeClerk, client: ClerkChatClient, clock: FakeClock, mode: str
) -> None:
    server.script(Reply(429, {"Retry-After": "2", "RateLimit": '"d";r=0;t=50'}))
    await calls(client, mode, 3)
    await close(client)
    assert clock.sleeps == [2.0]  # not 50: the headers' reset is ignored on that response
    assert len(server.requests) == 4
    snapshot = client.rate_limit
    assert snapshot is not None and (snapshot.remaining, snapshot.reset_in) == (0, 48.0)


@pytest.mark.anyio
@MODES
async def test_a_429_without_retry_after_waits_for_the_reset_it_announces(
    server: FakeClerk, client: ClerkChatClient, clock: FakeClock, mode: str
) -> None:
    server.script(Reply(429, {"RateLimit": '"d";r=0;t=3'}))
    await call(client, mode)
    await close(client)
    assert clock.sleeps == [3.0]  # the reset, not a 0.5 s backoff into another 429
    assert [r.status for r in server.requests] == [429, 200]


# --- client.rate_limit -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_client_rate_limit_is_the_latest_snapshot(
    server: FakeClerk, client: ClerkChatClient, clock: FakeClock
) -> None:
    server.handle_with(on_fake_time(clock, limit=10, window=30, style="ietf"))
    assert client.rate_limit is None
    await call(client, "sync")
    started = clock.monotonic()
    assert client.rate_limit == RateLimitSnapshot(limit=10, remaining=9, reset_at=started + 30, reset_in=30.0)
    clock.advance(12)
    assert client.rate_limit == RateLimitSnapshot(limit=10, remaining=9, reset_at=started + 30, reset_in=18.0)
    assert client.with_options(max_retries=5).rate_limit == client.rate_limit
    assert client.with_options(api_key=OTHER_KEY).rate_limit is None
    clock.advance(100)
    snapshot = client.rate_limit
    assert snapshot is not None and snapshot.reset_in == 0.0
    await call(client, "async")
    assert client.rate_limit == RateLimitSnapshot(
        limit=10, remaining=9, reset_at=clock.monotonic() + 8, reset_in=8.0
    )  # 112 s in: the window that ends at 120 s
    await close(client)


# --- the real clock: one process learns the budget and gets no 429 -----------------------------


@pytest.mark.parametrize("style", STYLES)
def test_real_clock_sequential_calls_get_no_429(make_client: MakeClient, server: FakeClerk, style: str) -> None:
    limiter = FixedWindow(limit=4, window=1, style=style)
    server.handle_with(limiter)
    client = make_client()
    for _ in range(10):
        connect.sync(client=client, body=BODY)
    client.close()
    print(f"{style}: {dict(limiter.statuses)}")
    assert limiter.statuses == {200: 10}


@pytest.mark.anyio
@pytest.mark.parametrize("style", STYLES)
async def test_real_clock_concurrent_calls_get_no_429_once_the_headers_are_known(
    make_client: MakeClient, server: FakeClerk, style: str
) -> None:
    """One call learns the budget; then eight at once against a window of four."""
    limiter = FixedWindow(limit=4, window=1, style=style)
    server.handle_with(limiter)
    client = make_client()
    await connect.asyncio(client=client, body=BODY)
    started = time.monotonic()
    async with anyio.create_task_group() as group:
        for _ in range(8):
            group.start_soon(call, client, "async")
    await client.aclose()
    print(f"{style}: {dict(limiter.statuses)} in {time.monotonic() - started:.1f} s")
    assert limiter.statuses == {200: 9}
