"""Issue 15: four processes, one API key, a window smaller than what they have in flight.

The same fleet runs twice against one rate-limiting server (tests/support/rate_limited.py: ten
requests a second per key, 429 beyond): once with each process pacing itself alone from the
headers, once sharing the key's budget through a real Redis (CLERK_CHAT_RATE_LIMIT_REDIS_URL, as
a deployment would set it). Alone, each process believes the whole window is its own; shared,
they take from one budget. Every call must succeed in the shared run, with a small fraction of
the 429s of the other.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from clerk_chat_client._rate_limits import REDIS_URL_ENV

from tests.conftest import API_KEY
from tests.support.fake_clerk import FakeClerk
from tests.support.rate_limited import FixedWindow
from tests.support.redis_server import RedisServer

REPO = Path(__file__).resolve().parents[1]
WORKERS, CALLS, IN_FLIGHT = 4, 12, 5  # 20 in flight against a window of 10
LIMIT, WINDOW = 10, 1


def run_fleet(server: FakeClerk, redis_url: str | None) -> tuple[FixedWindow, list[dict[str, object]], float]:
    limiter = FixedWindow(limit=LIMIT, window=WINDOW, style="ietf")
    server.handle_with(limiter)
    env = {k: v for k, v in os.environ.items() if k != REDIS_URL_ENV}
    env |= {"CLERK_CHAT_API_KEY": API_KEY, "CLERK_CHAT_BASE_URL": server.url}
    if redis_url is not None:
        env[REDIS_URL_ENV] = redis_url
    command = [sys.executable, "-m", "tests.support.fleet_worker", str(CALLS), str(IN_FLIGHT)]
    workers = [
        subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(WORKERS)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        started = time.monotonic()
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        reports = [json.loads(worker.communicate(timeout=120)[0]) for worker in workers]
        elapsed = time.monotonic() - started
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert all(worker.returncode == 0 for worker in workers)
    return limiter, reports, elapsed


def test_four_processes_sharing_one_key_through_redis_get_a_fraction_of_the_429s(
    server: FakeClerk, tmp_path: Path
) -> None:
    alone, alone_reports, alone_seconds = run_fleet(server, None)
    with RedisServer(tmp_path) as redis_server:
        shared, shared_reports, shared_seconds = run_fleet(server, redis_server.url)

    calls = WORKERS * (CALLS + 1)
    print(
        f"\n{WORKERS} processes x {CALLS + 1} calls, {IN_FLIGHT} in flight each, window {LIMIT}/{WINDOW} s:"
        f"\n  each process alone:      {alone.statuses[429]:4d} x 429 ({alone_seconds:.1f} s)"
        f"\n  sharing through Redis:   {shared.statuses[429]:4d} x 429 ({shared_seconds:.1f} s)"
    )
    assert [r["failed"] for r in shared_reports] == [[]] * WORKERS
    assert sum(int(str(r["succeeded"])) for r in shared_reports) == calls
    assert shared.statuses[200] == calls
    assert sum(int(str(r["succeeded"])) for r in alone_reports) == calls  # many retries, but done
    assert alone.statuses[429] >= 10, "the fleet did not overrun the window: the test proves nothing"
    assert shared.statuses[429] * 5 <= alone.statuses[429]
