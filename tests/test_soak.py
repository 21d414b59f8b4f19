"""Soak: a few thousand real calls at once against a server that rate-limits a third of them.

Bounded (2,700 calls, well under a minute) and local (FakeClerk on 127.0.0.1). Each call carries
its own inbox id, so the server can rate-limit per call and every request can be traced to its
call: every call must succeed with its own answer, the server must see each call exactly once
plus once per 429 it sent for it (nothing lost, nothing repeated that was not asked for), and no
connection may be left open at the end.
"""

from __future__ import annotations

import collections
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest
from clerk_chat_client import ClerkChatClient
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models import ConnectTwilioRequest

from tests.conftest import API_KEY
from tests.support.fake_clerk import Behaviour, FakeClerk, RecordedRequest, Reply
from tests.support.pool import assert_pool_idle, connection_pool

pytestmark = [pytest.mark.soak, pytest.mark.timeout(120)]

ASYNC_CALLS, ASYNC_CONCURRENCY = 1500, 50
THREADS, CALLS_PER_THREAD = 8, 150


def limited_attempts(number: int) -> int:
    """How many 429s call `number` gets before its success: every 3rd one, every 9th twice."""
    return (number % 3 == 0) + (number % 9 == 0)


class RateLimiter:
    """A FakeClerk handler (called on the server's thread): answers each call's first
    `limited_attempts` requests with a 429 asking for no wait or a few milliseconds, then 200."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: collections.Counter[str] = collections.Counter()
        self.sent_429 = 0

    def __call__(self, request: RecordedRequest) -> Behaviour:
        inbox = json.loads(request.body)["inboxExternalId"]
        number = int(inbox.rsplit("-", 1)[1])
        with self._lock:
            self._seen[inbox] += 1
            limited = self._seen[inbox] <= limited_attempts(number)
            self.sent_429 += limited
        if limited:
            wait = {"Retry-After": "0"} if number % 2 else {"retry-after-ms": "5"}
            return Reply.json({"error": "rate limited"}, status=429, headers=wait)
        return Reply.connect_ok(f"wss://example.test/{inbox}")


def inbox(number: int) -> str:
    return f"soak-{number}"


def assert_every_call_accounted_for(
    server: FakeClerk, limiter: RateLimiter, answers: dict[int, str], calls: int
) -> None:
    assert sorted(answers) == list(range(calls)), "some calls did not finish"
    wrong = {n: url for n, url in answers.items() if url != f"wss://example.test/{inbox(n)}"}
    assert wrong == {}, "calls got another call's answer"
    server.wait_idle()
    requests = server.requests
    expected_429 = sum(limited_attempts(n) for n in range(calls))
    assert limiter.sent_429 == expected_429
    assert len(requests) == calls + expected_429
    per_call = collections.Counter(json.loads(r.body)["inboxExternalId"] for r in requests)
    assert per_call == {inbox(n): 1 + limited_attempts(n) for n in range(calls)}
    assert collections.Counter(r.status for r in requests) == {200: calls, 429: expected_429}


def wait_all_closed(server: FakeClerk) -> None:
    deadline = time.monotonic() + 10
    while server.open_connections:
        assert time.monotonic() < deadline, f"{server.open_connections} connection(s) left open"
        time.sleep(0.01)


@pytest.mark.anyio
async def test_concurrent_async_calls_all_succeed_through_429s(server: FakeClerk) -> None:
    limiter = RateLimiter()
    server.handle_with(limiter)
    client = ClerkChatClient(api_key=API_KEY, base_url=server.url)
    answers: dict[int, str] = {}
    slots = anyio.Semaphore(ASYNC_CONCURRENCY)

    async def call(number: int) -> None:
        async with slots:
            result = await connect.asyncio(client=client, body=ConnectTwilioRequest(inbox_external_id=inbox(number)))
        answers[number] = result.data.connect_url

    started = time.monotonic()
    async with client:
        async with anyio.create_task_group() as group:
            for number in range(ASYNC_CALLS):
                group.start_soon(call, number)
        assert_pool_idle(connection_pool(client, "async"))
    elapsed = time.monotonic() - started

    assert_every_call_accounted_for(server, limiter, answers, ASYNC_CALLS)
    wait_all_closed(server)
    assert elapsed < 60


def test_threaded_sync_calls_all_succeed_through_429s(server: FakeClerk) -> None:
    limiter = RateLimiter()
    server.handle_with(limiter)
    client = ClerkChatClient(api_key=API_KEY, base_url=server.url)
    answers: dict[int, str] = {}
    lock = threading.Lock()

    def worker(thread: int) -> None:
        for number in range(thread * CALLS_PER_THREAD, (thread + 1) * CALLS_PER_THREAD):
            result = connect.sync(client=client, body=ConnectTwilioRequest(inbox_external_id=inbox(number)))
            with lock:
                answers[number] = result.data.connect_url

    started = time.monotonic()
    with client, ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(worker, thread) for thread in range(THREADS)]:
            future.result()  # re-raises whatever a worker raised
        assert_pool_idle(connection_pool(client, "sync"))
    elapsed = time.monotonic() - started

    assert_every_call_accounted_for(server, limiter, answers, THREADS * CALLS_PER_THREAD)
    wait_all_closed(server)
    assert elapsed < 60
