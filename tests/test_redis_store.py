"""Issue 15: `clerk_chat_client.redis.RedisRateLimitStore` against a real Redis on 127.0.0.1.

Clients (in one process here; across processes in tests/test_rate_limit_fleet.py) share one API
key's gate and budget: what one learns, the others obey. Redis failing, killed or slow never
fails a call; the API key never reaches Redis. The gate's algorithm exists twice, in Python for
the in-process gate and in Lua for Redis: one table of scenarios runs against both.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from clerk_chat_client import ClerkChatClient, RateLimitError
from clerk_chat_client._rate_gate import RateLimitGate
from clerk_chat_client._rate_headers import RateLimitReading
from clerk_chat_client._rate_limits import REDIS_URL_ENV, Grant, Observation
from clerk_chat_client._redaction import Secret
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models import ConnectTwilioRequest
from clerk_chat_client.redis import DEFAULT_KEY_PREFIX, RedisRateLimitStore, shared_store

from tests.conftest import API_KEY
from tests.support.fake_clerk import FakeClerk, Reply, free_port
from tests.support.rate_limited import FixedWindow
from tests.support.redis_server import RedisServer

BODY = ConnectTwilioRequest(inbox_external_id="inbox-123")
MODES = pytest.mark.parametrize("mode", ["sync", "async"])
OTHER_KEY = "ck_test_other_0000000000"
LOGGER = "clerk_chat_client"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path) as running:
        yield running


@pytest.fixture
def store(redis_server: RedisServer) -> Iterator[RedisRateLimitStore]:
    made = RedisRateLimitStore.from_url(redis_server.url, timeout=0.5, retry_interval=0.3)
    yield made
    made.close()


@pytest.fixture
def clients(server: FakeClerk) -> Iterator[Callable[..., ClerkChatClient]]:
    made: list[ClerkChatClient] = []

    def make(**options: Any) -> ClerkChatClient:
        options.setdefault("api_key", API_KEY)
        client = ClerkChatClient(base_url=server.url, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


async def call(client: ClerkChatClient, mode: str) -> None:
    if mode == "sync":
        connect.sync(client=client, body=BODY)
    else:
        await connect.asyncio(client=client, body=BODY)


async def finish(mode: str, store: RedisRateLimitStore, *clients: ClerkChatClient) -> None:
    """Close what the async path opened on this event loop."""
    if mode == "async":
        for client in clients:
            await client.aclose()
        await store.aclose()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]


# --- sharing -----------------------------------------------------------------------------------


@pytest.mark.anyio
@MODES
async def test_clients_with_one_key_share_its_budget(
    server: FakeClerk, clients: Callable[..., ClerkChatClient], store: RedisRateLimitStore, mode: str
) -> None:
    """Three a window of an hour: A sends two, B one; then neither may send (the reset is beyond
    max_retry_wait), while a client with another key through the same store is not held."""
    server.handle_with(FixedWindow(limit=3, window=3600, style="ietf"))
    first, second = clients(rate_limit_store=store), clients(rate_limit_store=store)
    other = clients(rate_limit_store=store, api_key=OTHER_KEY)
    await call(first, mode)
    await call(first, mode)
    await call(second, mode)
    for client in (second, first):
        with pytest.raises(RateLimitError) as caught:
            await call(client, mode)
        assert caught.value.retry_after is not None and 3500 < caught.value.retry_after <= 3600
    await call(other, mode)
    await finish(mode, store, first, second, other)
    assert len(server.requests) == 4  # the refused calls were never sent


@pytest.mark.anyio
@MODES
async def test_a_429s_hold_is_shared(
    server: FakeClerk, clients: Callable[..., ClerkChatClient], store: RedisRateLimitStore, mode: str
) -> None:
    server.script(Reply(429, {"Retry-After": "30"}))
    told, other = clients(rate_limit_store=store, max_retries=0), clients(rate_limit_store=store, max_retry_wait=5)
    with pytest.raises(RateLimitError) as first:
        await call(told, mode)
    with pytest.raises(RateLimitError) as second:
        await call(other, mode)
    await finish(mode, store, told, other)
    assert first.value.retry_after == 30.0
    assert second.value.retry_after is not None and 25 < second.value.retry_after <= 30
    assert len(server.requests) == 1


def test_the_environment_variable_turns_the_store_on(
    server: FakeClerk,
    clients: Callable[..., ClerkChatClient],
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.handle_with(FixedWindow(limit=1, window=3600, style="github"))
    monkeypatch.setenv(REDIS_URL_ENV, redis_server.url)
    try:
        first, second = clients(), clients()
        connect.sync(client=first, body=BODY)
        with pytest.raises(RateLimitError):
            connect.sync(client=second, body=BODY)
        assert len(server.requests) == 1
        assert len(redis_server.client().keys("*")) == 1
    finally:
        shared_store(redis_server.url).close()
        shared_store.cache_clear()


# --- the key stays out of Redis ----------------------------------------------------------------


class Monitor:
    """Every command Redis receives, through MONITOR on a raw socket."""

    def __init__(self, port: int) -> None:
        self._socket = socket.create_connection(("127.0.0.1", port))
        self._socket.sendall(b"MONITOR\r\n")
        self._seen = bytearray()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while chunk := self._socket.recv(65536):
            self._seen += chunk

    def stop(self) -> bytes:
        time.sleep(0.1)  # the last commands' echoes
        self._socket.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)
        self._socket.close()
        return bytes(self._seen)


@pytest.mark.anyio
async def test_the_api_key_never_reaches_redis(
    server: FakeClerk, clients: Callable[..., ClerkChatClient], store: RedisRateLimitStore, redis_server: RedisServer
) -> None:
    server.handle_with(FixedWindow(limit=50, window=60, style="ietf"))
    monitor = Monitor(redis_server.port)
    client = clients(rate_limit_store=store)
    for mode in ("sync", "async", "sync", "async"):
        await call(client, mode)
    server.script(Reply(429, {"Retry-After": "1"}))
    await call(client, "sync")
    await finish("async", store, client)
    commands = monitor.stop()

    assert b"EVALSHA" in commands or b"EVAL" in commands  # the monitor saw the scripts run
    assert API_KEY.encode() not in commands
    [key] = redis_server.client().keys("*")
    assert isinstance(key, bytes) and re.fullmatch(re.escape(DEFAULT_KEY_PREFIX).encode() + rb"[0-9a-f]{32}", key)
    held = redis_server.client().hgetall(key)
    assert set(held) <= {b"open_at", b"reset_at", b"remaining", b"limit", b"window", b"guessed", b"next_at"}
    assert all(isinstance(v, bytes) and re.fullmatch(rb"-?[0-9.]+", v) for v in held.values()), held
    assert 0 < redis_server.client().ttl(key) <= 60 + 3600
    assert API_KEY not in repr(store) and API_KEY not in repr(client._policy.gate)


def test_the_password_stays_out_of_reprs_and_logs(
    tmp_path: Path, server: FakeClerk, clients: Callable[..., ClerkChatClient], caplog: pytest.LogCaptureFixture
) -> None:
    password = "redis-pw-7c1d9e"
    with RedisServer(tmp_path, password=password) as running:
        store = RedisRateLimitStore.from_url(running.url, timeout=0.5, retry_interval=60)
        client = clients(rate_limit_store=store)
        connect.sync(client=client, body=BODY)
        assert len(running.client().keys("*")) == 0  # no headers yet: nothing to keep
        running.kill()
        connect.sync(client=client, body=BODY)
    assert repr(store) == f"RedisRateLimitStore('redis://127.0.0.1:{running.port}/0')"
    [warning] = warnings_of(caplog)
    assert f"127.0.0.1:{running.port}" in warning.getMessage()
    for secret in (password, API_KEY):
        assert secret not in caplog.text and secret not in repr(store)
    store.close()


# --- Redis failing -----------------------------------------------------------------------------


@pytest.mark.anyio
@MODES
async def test_redis_killed_mid_run_the_calls_go_on_and_redis_is_used_again_when_back(
    server: FakeClerk,
    clients: Callable[..., ClerkChatClient],
    store: RedisRateLimitStore,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    server.handle_with(FixedWindow(limit=1000, window=3600, style="ietf"))
    client = clients(rate_limit_store=store)
    for _ in range(3):
        await call(client, mode)
    assert int(redis_server.client().hget(redis_server.client().keys("*")[0], "remaining") or 0) == 997

    redis_server.kill()
    for _ in range(5):
        await call(client, mode)  # each succeeds
    [warning] = warnings_of(caplog)
    assert "Redis rate-limit store" in warning.getMessage() and "ConnectionError" in warning.getMessage()

    redis_server.start()  # empty, on the same port
    time.sleep(0.4)  # past retry_interval
    await call(client, mode)
    await call(client, mode)
    await finish(mode, store, client)
    assert len(warnings_of(caplog)) == 1
    assert any("answers again" in r.getMessage() for r in caplog.records if r.name == LOGGER)
    [key] = redis_server.client().keys("*")
    assert int(redis_server.client().hget(key, "remaining") or 0) == 990
    assert [r.status for r in server.requests] == [200] * 10


@pytest.mark.anyio
@MODES
async def test_with_redis_unreachable_the_local_gate_paces(
    server: FakeClerk, clients: Callable[..., ClerkChatClient], caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    store = RedisRateLimitStore.from_url(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5, retry_interval=0.05)
    server.handle_with(FixedWindow(limit=2, window=3600, style="draft"))
    client = clients(rate_limit_store=store)
    await call(client, mode)
    await call(client, mode)
    with pytest.raises(RateLimitError):
        await call(client, mode)  # refused by this process's gate, not sent
    time.sleep(0.1)
    with pytest.raises(RateLimitError):
        await call(client, mode)  # Redis tried again (and failed again): no second warning
    await finish(mode, store, client)
    assert len(server.requests) == 2
    assert len(warnings_of(caplog)) == 1


class BlackHole:
    """Accepts TCP connections on 127.0.0.1 and never answers: a Redis that hangs."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._held.append(connection)

    def close(self) -> None:
        self._listener.close()
        for connection in self._held:
            connection.close()


@pytest.mark.anyio
@MODES
async def test_a_redis_slower_than_the_timeout_is_left_behind(
    server: FakeClerk, clients: Callable[..., ClerkChatClient], caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    hole = BlackHole()
    store = RedisRateLimitStore.from_url(f"redis://127.0.0.1:{hole.port}/0", timeout=0.2, retry_interval=60)
    client = clients(rate_limit_store=store)
    try:
        for _ in range(3):
            await call(client, mode)
        await finish(mode, store, client)
    finally:
        hole.close()
    [warning] = warnings_of(caplog)
    assert "Timeout" in warning.getMessage()
    assert [r.status for r in server.requests] == [200] * 3


# --- one algorithm, twice: Python and Lua ------------------------------------------------------


def seen(
    remaining: int, reset_in: float, limit: int | None = None, window: float | None = None
) -> tuple[str, Observation]:
    reading = RateLimitReading(remaining, reset_in, limit, window)
    return ("observe", Observation(reading, reading, None))


def held(seconds: float) -> tuple[str, Observation]:
    return ("observe", Observation(None, None, seconds))


def ask(max_spacing: float = 1000.0) -> tuple[str, float]:
    return ("acquire", max_spacing)


def wait(seconds: float) -> tuple[str, float]:
    return ("sleep", seconds)


GO = (0.0, True)
Step = tuple[str, Any]
SCENARIOS: dict[str, tuple[list[Step], list[tuple[float, bool]]]] = {
    "nothing known: go": ([ask()], [GO]),
    "the remaining, then a wait for the reset": (
        [seen(3, 100, 10), ask(), ask(), ask(), ask()],
        [GO, GO, GO, (100, False)],
    ),
    "one window keeps the lowest count": ([seen(5, 100), seen(8, 100)] + [ask()] * 6, [GO] * 5 + [(100, False)]),
    "a later window starts over": ([seen(0, 50), seen(7, 100)] + [ask()] * 8, [GO] * 7 + [(100, False)]),
    "a late answer from an earlier window is ignored": (
        [seen(7, 100), seen(0, 50)] + [ask()] * 8,
        [GO] * 7 + [(100, False)],
    ),
    "a 429's hold": ([held(30), ask()], [(30, False)]),
    "a hold leaves the budget alone": ([seen(1, 100), held(5), ask()], [(5, False)]),
    "resets now: nothing to pace by": ([seen(0, 0), ask()], [GO]),
    "a low budget is spread to the reset": (
        [seen(4, 100, 100)] + [ask()] * 5,
        [GO, (25, True), (50, True), (75, True), (100, False)],
    ),
    "spacing past max_spacing is skipped": (
        [seen(4, 100, 100)] + [ask(30)] * 5,
        [GO, (25, True), GO, GO, (100, False)],
    ),
    "after the reset, a full window of the policy's length": (
        [seen(0, 0.3, 3, 0.3), wait(0.35)] + [ask()] * 4,
        [GO, GO, GO, (0.25, False)],
    ),
    "after the reset, the window is the longest reset seen": (
        [seen(1, 0.3, 2), seen(0, 0.3, 2), wait(0.35)] + [ask()] * 3,
        [GO, GO, (0.25, False)],
    ),
    "after the reset, an unknown limit is not paced until told": ([seen(0, 0.3), wait(0.35)] + [ask()] * 4, [GO] * 4),
    "a later reset after the old one passed starts over": (
        [seen(0, 0.3, 2, 0.3), wait(0.35), ask(), seen(1, 3), ask(), ask()],
        [GO, GO, (3, False)],
    ),
    "a guessed reset gives way to an earlier announced one": (
        [seen(0, 0.3, 2, 5), wait(0.35), ask(), seen(1, 2), ask(), ask()],
        [GO, GO, (2, False)],
    ),
}


Gate = tuple[Callable[[Observation], None], Callable[[float], Grant]]


def run_steps(steps: list[Step], gates: list[Gate]) -> list[list[tuple[float, bool]]]:
    """Each step on every gate at once (a wait is one wait for all), so their times agree."""
    answers: list[list[tuple[float, bool]]] = [[] for _ in gates]
    for kind, value in steps:
        if kind == "sleep":
            time.sleep(value)
        for (observe, acquire), mine in zip(gates, answers, strict=True):
            if kind == "observe":
                observe(value)
            elif kind == "acquire":
                grant = acquire(value)
                mine.append((grant.wait, grant.reserved))
    return answers


@pytest.mark.parametrize(("steps", "expected"), SCENARIOS.values(), ids=SCENARIOS.keys())
def test_the_python_and_lua_gates_agree(
    store: RedisRateLimitStore, steps: list[Step], expected: list[tuple[float, bool]]
) -> None:
    local = RateLimitGate()
    shared = store.budget(Secret(f"ck_test_parity_{time.monotonic_ns()}"))

    def shared_acquire(max_spacing: float) -> Grant:
        grant = shared.acquire(max_spacing)
        assert grant is not None, "Redis did not answer"
        return grant

    in_python, in_lua = run_steps(
        steps,
        [
            (lambda o: local.observe(time.monotonic(), o), lambda s: local.acquire(time.monotonic(), s)),
            (shared.observe, shared_acquire),
        ],
    )
    for answers in (in_python, in_lua):
        assert [reserved for _, reserved in answers] == [reserved for _, reserved in expected]
        assert [wait for wait, _ in answers] == pytest.approx([wait for wait, _ in expected], abs=0.05)


# --- redis-py only when asked for --------------------------------------------------------------


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != REDIS_URL_ENV} | env
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_client_imports_redis_only_when_the_store_is_used(redis_server: RedisServer) -> None:
    code = (
        "import sys, clerk_chat_client\n"
        "client = clerk_chat_client.ClerkChatClient(api_key='k', base_url='http://127.0.0.1:9')\n"
        "print('redis' in sys.modules, client._policy.gate._shared is not None)\n"
    )
    assert run_python(code).stdout.split() == ["False", "False"]
    assert run_python(code, **{REDIS_URL_ENV: redis_server.url}).stdout.split() == ["True", "True"]


def test_without_redis_py_the_error_names_the_extra() -> None:
    result = run_python("import sys\nsys.modules['redis'] = None\nimport clerk_chat_client.redis\n")
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr and "pip install 'clerk-chat-client[redis]'" in result.stderr


def test_a_bad_url_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="scheme"):
        RedisRateLimitStore.from_url("http://127.0.0.1:6379")
    with pytest.raises(ValueError, match="timeout"):
        RedisRateLimitStore.from_url("redis://127.0.0.1:6379", timeout=0)
