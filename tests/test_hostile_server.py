"""The client against a hostile server: every misbehaviour FakeClerk can act out, sync and async.

Whatever the server does, a call must end within its time budget in the right result or in a
typed error (a `ClerkChatError` subclass) -- never a hang, never a raw httpx2/json/ValueError --
and must leave no connection behind: the client's pool holds no connection mid-request, and once
the client is closed the server sees every connection closed.

Waits the server asks for are not slept: `FakeClock` records them and moves its time on.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any

import anyio
import httpx2
import pytest
from clerk_chat_client import (
    APIConnectionError,
    APITimeoutError,
    ClerkChatClient,
    ClerkChatError,
    InternalServerError,
    RateLimitError,
    ResponseValidationError,
    errors,
)
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models import ConnectTwilioRequest, TwilioConnectorResponse

from tests.support.fake_clerk import (
    FakeClerk,
    Hang,
    Redirect,
    Reply,
    ResetAfterHeaders,
    ResetBeforeHeaders,
    Truncated,
    free_port,
)
from tests.support.fake_clock import FakeClock
from tests.support.pool import assert_pool_idle, connection_pool

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30)]

MODES = ("sync", "async")
BODY = ConnectTwilioRequest(inbox_external_id="inbox-123")
OK = Reply.connect_ok("wss://example.test/stream")
JSON = {"Content-Type": "application/json"}
# Backoff without a usable Retry-After: 0.5 s doubling, jitter 0.5 -> x0.875 (FakeClock's).
BACKOFF = [0.5 * 0.875, 1.0 * 0.875]

MakeClient = Callable[..., ClerkChatClient]


# --- running one call --------------------------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    """How one call ended: a result or a typed error (anything else propagates and fails)."""

    result: Any = None
    error: ClerkChatError | None = None
    seconds: float = 0.0


async def attempt(mode: str, client: ClerkChatClient, *, detailed: bool = False) -> Outcome:
    started = time.monotonic()
    outcome = Outcome()
    try:
        if mode == "sync":
            function = connect.sync_detailed if detailed else connect.sync
            outcome.result = function(client=client, body=BODY)
        else:
            coroutine = connect.asyncio_detailed if detailed else connect.asyncio
            outcome.result = await coroutine(client=client, body=BODY)
    except ClerkChatError as exc:
        outcome.error = exc
    outcome.seconds = time.monotonic() - started
    return outcome


async def assert_no_leak(mode: str, client: ClerkChatClient, server: FakeClerk | None = None) -> None:
    """No connection mid-request in the pool; closing the client closes every connection."""
    assert_pool_idle(connection_pool(client, mode))
    if mode == "sync":
        client.get_httpx_client().close()
    else:
        await client.get_async_httpx_client().aclose()
    if server is not None:
        deadline = time.monotonic() + 5
        while server.open_connections:
            assert time.monotonic() < deadline, f"{server.open_connections} connection(s) still open"
            await anyio.sleep(0.01)


def statuses(server: FakeClerk) -> list[int | None]:
    """What the server answered to each request (None: nothing), once it has finished answering."""
    server.wait_idle()
    return [request.status for request in server.requests]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --- 429 storms --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("headers", "waits"),
    [
        pytest.param(lambda now: {"Retry-After": "7"}, [7.0, 7.0], id="delta-seconds"),
        pytest.param(lambda now: {"retry-after-ms": "1500"}, [1.5, 1.5], id="retry-after-ms"),
        pytest.param(lambda now: {"retry-after-ms": "250", "Retry-After": "9"}, [0.25, 0.25], id="ms wins"),
        # One date for both 429s: after waiting for it the first time, nothing is left to wait.
        pytest.param(
            lambda now: {"Retry-After": format_datetime(now + timedelta(seconds=30), usegmt=True)},
            [30.0, 0.0],
            id="http-date",
        ),
    ],
)
async def test_429_storm_is_waited_out_as_asked(
    server: FakeClerk,
    make_client: MakeClient,
    clock: FakeClock,
    mode: str,
    headers: Callable[[datetime], dict[str, str]],
    waits: list[float],
) -> None:
    asked = headers(clock.now())
    server.script(Reply(429, asked), Reply(429, asked), OK)
    client = make_client(clock=clock, max_retries=2)

    outcome = await attempt(mode, client)

    assert outcome.error is None and isinstance(outcome.result, TwilioConnectorResponse)
    assert statuses(server) == [429, 429, 200]
    assert clock.sleeps == waits
    assert outcome.seconds < 2
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
async def test_429_storm_that_never_ends_raises_rate_limit_error(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str
) -> None:
    server.default = Reply(429, {"Retry-After": "2"}, b'{"error": "slow down"}')
    client = make_client(clock=clock, max_retries=3)

    outcome = await attempt(mode, client)

    assert isinstance(outcome.error, RateLimitError)
    assert outcome.error.retry_after == 2.0 and outcome.error.status_code == 429
    assert statuses(server) == [429] * 4 and clock.sleeps == [2.0] * 3
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("retry_after", ["3600", "86400", "Fri, 31 Dec 9999 23:59:59 GMT"])
async def test_429_asking_for_more_than_max_retry_wait_raises_at_once(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str, retry_after: str
) -> None:
    server.default = Reply(429, {"Retry-After": retry_after})
    client = make_client(clock=clock, max_retry_wait=60)

    outcome = await attempt(mode, client)

    assert isinstance(outcome.error, RateLimitError)
    assert outcome.error.retry_after is not None and outcome.error.retry_after > 60
    assert statuses(server) == [429] and clock.sleeps == []
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
async def test_429_with_a_past_http_date_is_retried_at_once(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str
) -> None:
    past = {"Retry-After": "Mon, 01 Jan 1990 00:00:00 GMT"}
    server.script(Reply(429, past), Reply(429, past), OK)
    client = make_client(clock=clock)

    outcome = await attempt(mode, client)

    assert outcome.error is None and statuses(server) == [429, 429, 200] and clock.sleeps == [0.0, 0.0]
    await assert_no_leak(mode, client, server)


GARBAGE_RETRY_AFTER = [
    {"Retry-After": "soon"},
    {"Retry-After": ""},
    {"Retry-After": "nan"},
    {"Retry-After": "1e999"},
    {"Retry-After": "9" * 400},
    {"Retry-After": "Wed, 32 Foo 2024 25:61:61 GMT"},
    {"Retry-After": "-5"},
    {"Retry-After": "-28"},
    {"Retry-After": "3, 5"},
    {"Retry-After": "23:59"},
    {"retry-after-ms": "-100"},
    {"retry-after-ms": "lots"},
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("garbage", GARBAGE_RETRY_AFTER, ids=lambda h: "|".join(f"{k}={v[:12]}" for k, v in h.items()))
async def test_garbage_retry_after_falls_back_to_backoff(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str, garbage: dict[str, str]
) -> None:
    """A Retry-After that is neither delay-seconds nor an HTTP-date is as good as none: the
    client backs off exponentially, as it would without the header. It must not be read as some
    other date (dateutil reads "-28" as the 28th of this month, "23:59" as tonight), which makes
    the client retry at once or give up for days depending on the calendar."""
    server.script(Reply(429, garbage), Reply(429, garbage), OK)
    client = make_client(clock=clock)

    outcome = await attempt(mode, client)

    assert outcome.error is None, f"gave up: {outcome.error!r}"
    assert statuses(server) == [429, 429, 200]
    assert clock.sleeps == BACKOFF
    await assert_no_leak(mode, client, server)


# --- slow servers ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("misbehaviour", ["slow headers", "hang"])
async def test_no_answer_within_the_timeout_raises_api_timeout_error(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str, misbehaviour: str
) -> None:
    server.script(dataclasses.replace(OK, delay_headers=0.8) if misbehaviour == "slow headers" else Hang())
    client = make_client(clock=clock, timeout=0.2)

    outcome = await attempt(mode, client)

    assert isinstance(outcome.error, APITimeoutError)
    assert 0.15 < outcome.seconds < 1.0
    assert len(server.requests) == 1  # a POST whose answer timed out may have acted: not repeated
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
async def test_total_timeout_caps_an_attempt_with_a_longer_timeout(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str
) -> None:
    server.script(dataclasses.replace(OK, delay_headers=0.8))
    client = make_client(clock=clock, timeout=30, total_timeout=0.4)

    outcome = await attempt(mode, client)

    assert isinstance(outcome.error, APITimeoutError)
    assert outcome.seconds < 1.0
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
async def test_read_timeout_is_retried_with_an_idempotency_key(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str
) -> None:
    server.script(dataclasses.replace(OK, delay_headers=0.8), OK)
    client = make_client(clock=clock, timeout=0.2, headers={"Idempotency-Key": "call-1"})

    outcome = await attempt(mode, client)

    assert outcome.error is None and outcome.seconds < 1.5
    assert [r.headers["idempotency-key"] for r in server.requests] == ["call-1", "call-1"]
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
async def test_slow_body_beyond_the_timeout_raises_api_timeout_error(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str
) -> None:
    server.script(dataclasses.replace(OK, delay_body=0.8))
    client = make_client(clock=clock, timeout=0.2)

    outcome = await attempt(mode, client)

    assert isinstance(outcome.error, APITimeoutError) and outcome.seconds < 1.0
    assert statuses(server) == [200]  # the headers did arrive
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
async def test_slow_body_within_the_timeout_is_read(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str
) -> None:
    server.script(dataclasses.replace(OK, delay_headers=0.2, delay_body=0.2))
    client = make_client(clock=clock, timeout=1.0)

    outcome = await attempt(mode, client)

    assert outcome.error is None and outcome.result.data.connect_url == "wss://example.test/stream"
    await assert_no_leak(mode, client, server)


class TricklingServer:
    """Answers each request with a 200 whose JSON body arrives one byte every `interval`: every
    read succeeds well within a read timeout, yet the whole body takes `len(body) * interval`."""

    def __init__(self, body: bytes, interval: float) -> None:
        self.body, self.interval = body, interval
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TricklingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._trickle, args=(connection,), daemon=True).start()

    def _trickle(self, connection: socket.socket) -> None:
        try:
            with connection:
                head = b""
                while b"\r\n\r\n" not in head:
                    head += connection.recv(65536)
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n".encode()
                )
                for byte in self.body:
                    if self._stop.wait(self.interval):
                        return
                    connection.sendall(bytes([byte]))
        except OSError:
            pass  # the client hung up: what a client that gives up should do


@pytest.fixture
def trickling() -> Iterator[TricklingServer]:
    body = json.dumps({"data": {"connectUrl": "wss://example.test/stream"}}).encode().ljust(60)
    with TricklingServer(body, interval=0.05) as server:  # 3 s for the whole body
        yield server


@pytest.mark.parametrize("mode", MODES)
async def test_trickling_body_is_cut_off_by_total_timeout(trickling: TricklingServer, mode: str) -> None:
    """A body that never stalls long enough for a read timeout still may not outlast the call's
    total budget: `total_timeout` is "seconds one call may take, every attempt included"."""
    client = ClerkChatClient(api_key="ck_test_trickle", base_url=trickling.url, timeout=0.4, total_timeout=0.6)

    outcome = await attempt(mode, client)

    assert isinstance(outcome.error, APITimeoutError), (
        f"total_timeout=0.6 not enforced: {outcome.result or outcome.error!r} after {outcome.seconds:.1f} s"
    )
    assert outcome.seconds < 2.0
    await assert_no_leak(mode, client)


# --- broken connections ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "misbehaviour",
    [ResetBeforeHeaders(), ResetAfterHeaders(), Truncated()],
    ids=["reset before headers", "reset after headers", "truncated body"],
)
async def test_broken_connection_raises_api_connection_error(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str, misbehaviour: Any
) -> None:
    server.script(misbehaviour)
    client = make_client(clock=clock)

    outcome = await attempt(mode, client)

    assert type(outcome.error) is APIConnectionError
    assert outcome.error.method == "POST" and outcome.seconds < 1
    assert len(server.requests) == 1  # the server may have acted on the POST: not repeated
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "misbehaviour",
    [ResetBeforeHeaders(), ResetAfterHeaders(), Truncated()],
    ids=["reset before headers", "reset after headers", "truncated body"],
)
async def test_broken_connection_is_retried_with_an_idempotency_key(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str, misbehaviour: Any
) -> None:
    server.script(misbehaviour, misbehaviour, OK)
    client = make_client(clock=clock, headers={"Idempotency-Key": "call-2"})

    outcome = await attempt(mode, client)

    assert outcome.error is None and outcome.result.data.connect_url == "wss://example.test/stream"
    assert len(server.requests) == 3 and clock.sleeps == BACKOFF
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
async def test_connection_refused_is_retried_then_raises_api_connection_error(
    make_client: MakeClient, clock: FakeClock, mode: str
) -> None:
    client = make_client(clock=clock, base_url=f"http://127.0.0.1:{free_port()}")

    outcome = await attempt(mode, client)

    assert type(outcome.error) is APIConnectionError and outcome.seconds < 1
    assert clock.sleeps == BACKOFF  # never sent, so retried even for a POST
    await assert_no_leak(mode, client)


# --- bodies that are not what the spec promises ------------------------------------------------

NOT_THE_SPEC = {
    "valid length, invalid JSON": Reply(200, JSON, b'{"data": {"connectUrl": "wss://x"}'),
    "empty body": Reply(200, JSON, b""),
    "not UTF-8": Reply(200, JSON, b'\xff\xfe{"data": 1}'),
    "text/html page": Reply(200, {"Content-Type": "text/html"}, b"<html><body>Welcome!</body></html>"),
    "missing data": Reply.json({"connectUrl": "wss://x"}),
    "data is null": Reply.json({"data": None}),
    "data is a list": Reply.json({"data": []}),
    "data is a string": Reply.json({"data": "wss://x"}),
    "connectUrl missing": Reply.json({"data": {"url": "wss://x"}}),
    "connectUrl is a number": Reply.json({"data": {"connectUrl": 12345}}),
    "connectUrl is null": Reply.json({"data": {"connectUrl": None}}),
    "connectUrl is an object": Reply.json({"data": {"connectUrl": {"href": "wss://x"}}}),
    "body is a list": Reply.json([{"data": {"connectUrl": "wss://x"}}]),
    "body is a number": Reply.json(200),
    "deeply nested JSON": Reply(200, JSON, b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reply", list(NOT_THE_SPEC.values()), ids=list(NOT_THE_SPEC))
async def test_success_status_with_a_body_off_the_spec_raises_response_validation_error(
    server: FakeClerk, make_client: MakeClient, mode: str, reply: Reply
) -> None:
    server.script(reply)
    client = make_client()

    outcome = await attempt(mode, client)

    assert isinstance(outcome.error, ResponseValidationError), f"accepted: {outcome.result!r}"
    assert outcome.error.operation == connect._OPERATION and connect._OPERATION in str(outcome.error)
    assert outcome.error.status_code == 200 and outcome.error.body == reply.body
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
async def test_a_deeply_nested_error_body_still_gives_the_status_error(
    server: FakeClerk, make_client: MakeClient, mode: str
) -> None:
    server.script(Reply(500, JSON, b"[" * 100_000 + b"]" * 100_000))
    client = make_client()

    outcome = await attempt(mode, client)

    assert isinstance(outcome.error, InternalServerError) and outcome.error.json is None
    await assert_no_leak(mode, client, server)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", MODES)
async def test_a_huge_valid_body_is_parsed(server: FakeClerk, make_client: MakeClient, mode: str) -> None:
    padding = "p" * 20_000_000
    server.script(Reply.json({"data": {"connectUrl": "wss://example.test/big", "note": "extra"}, "padding": padding}))
    client = make_client()

    outcome = await attempt(mode, client)

    assert outcome.error is None
    result: TwilioConnectorResponse = outcome.result
    assert result.data.connect_url == "wss://example.test/big" and result.data["note"] == "extra"
    assert result["padding"] == padding
    await assert_no_leak(mode, client, server)


# --- statuses and redirects --------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [500, 520, 599])
async def test_any_5xx_raises_internal_server_error_without_retrying_a_post(
    server: FakeClerk, make_client: MakeClient, clock: FakeClock, mode: str, status: int
) -> None:
    server.default = Reply(status, {"Content-Type": "text/plain"}, b"origin is unreachable")
    client = make_client(clock=clock)

    outcome = await attempt(mode, client)

    assert isinstance(outcome.error, InternalServerError) and outcome.error.status_code == status
    assert "origin is unreachable" in str(outcome.error)
    assert statuses(server) == [status] and clock.sleeps == []
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [520, 599])
async def test_statuses_outside_the_iana_list_do_not_crash_detailed_calls(
    server: FakeClerk, make_client: MakeClient, mode: str, status: int
) -> None:
    """With raise_on_error=False the generated `*_detailed` would call HTTPStatus(520) and die
    with a bare ValueError; the client turns that into the status's typed error instead."""
    server.default = Reply(status, {}, b"")
    client = make_client(raise_on_error=False)

    outcome = await attempt(mode, client, detailed=True)

    if outcome.error is None:
        assert int(outcome.result.status_code) == status
    else:
        assert isinstance(outcome.error, InternalServerError) and outcome.error.status_code == status
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
async def test_an_undocumented_success_status_is_a_typed_error_even_when_asked_to_raise(
    server: FakeClerk, make_client: MakeClient, mode: str
) -> None:
    """`raise_on_unexpected_status=True` makes the generated code raise `errors.UnexpectedStatus`
    for an undocumented status (here 201): a failure of the call like any other, so it must be a
    ClerkChatError for `except ClerkChatError` to catch every failure, as the design promises."""
    server.default = Reply.json({"data": {"connectUrl": "wss://x"}}, status=201)
    client = make_client(raise_on_unexpected_status=True)

    try:
        outcome = await attempt(mode, client)
    except errors.UnexpectedStatus as exc:
        pytest.fail(f"untyped errors.UnexpectedStatus escaped: {exc!r}")

    assert outcome.error is not None
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
async def test_an_undocumented_success_status_is_a_response_validation_error(
    server: FakeClerk, make_client: MakeClient, mode: str
) -> None:
    server.default = Reply.json({"data": {"connectUrl": "wss://x"}}, status=201)
    client = make_client()

    outcome = await attempt(mode, client)

    assert isinstance(outcome.error, ResponseValidationError) and outcome.error.status_code == 201
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
async def test_a_redirect_within_the_api_is_followed(server: FakeClerk, make_client: MakeClient, mode: str) -> None:
    server.script(Redirect(f"{server.url}/public/twilio-connector/connect-v2", status=307), OK)
    client = make_client()

    outcome = await attempt(mode, client)

    assert outcome.error is None
    assert [(r.method, r.path) for r in server.requests] == [
        ("POST", "/public/twilio-connector/connect"),
        ("POST", "/public/twilio-connector/connect-v2"),
    ]
    await assert_no_leak(mode, client, server)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "location",
    [
        pytest.param("{url}/public/twilio-connector/connect", id="loop to itself"),
        pytest.param("http://[::1", id="invalid Location URL"),
        pytest.param("ftp://example.test/file", id="unsupported scheme"),
    ],
)
async def test_a_bad_redirect_raises_a_typed_error(
    server: FakeClerk, make_client: MakeClient, mode: str, location: str
) -> None:
    """httpx2 follows redirects above the transport: after 20 hops it raises
    `httpx2.TooManyRedirects`, and for a Location it cannot parse `httpx2.RemoteProtocolError`,
    both outside the transport's error mapping. The client must map them where it calls httpx2."""
    redirect = Redirect(location.format(url=server.url), status=307)
    server.handle_with(lambda request: redirect)
    client = make_client()

    try:
        outcome = await attempt(mode, client)
    except httpx2.HTTPError as exc:
        pytest.fail(f"untyped {type(exc).__module__}.{type(exc).__name__} escaped: {exc}")

    assert outcome.error is not None  # a typed error: attempt() lets nothing else through
    assert outcome.seconds < 2 and 1 <= len(server.requests) <= 21
    await assert_no_leak(mode, client, server)
