"""One worker process of tests/test_rate_limit_fleet.py: `python -m tests.support.fleet_worker CALLS IN_FLIGHT`.

Configured like any user's process, from the environment: CLERK_CHAT_API_KEY, CLERK_CHAT_BASE_URL
and, for the shared run, CLERK_CHAT_RATE_LIMIT_REDIS_URL. Prints "ready", waits for a line on
stdin (so that all workers start together), makes one call alone (its first answer teaches it
the budget), then CALLS calls with IN_FLIGHT at a time, and prints one JSON line:
{"succeeded": n, "failed": ["ErrorType: message", ...]}.
"""

from __future__ import annotations

import asyncio
import json
import sys

from clerk_chat_client import ClerkChatClient, ClerkChatError
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models import ConnectTwilioRequest

BODY = ConnectTwilioRequest(inbox_external_id="inbox-fleet")


async def work(calls: int, in_flight: int) -> dict[str, object]:
    # Retries enough for the run without a shared store to finish too: it is measured, not failed.
    client = ClerkChatClient(max_retries=50, total_timeout=None)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    succeeded = 0
    failed: list[str] = []
    slots = asyncio.Semaphore(in_flight)

    async def one() -> None:
        nonlocal succeeded
        async with slots:
            try:
                await connect.asyncio(client=client, body=BODY)
                succeeded += 1
            except ClerkChatError as exc:
                failed.append(f"{type(exc).__name__}: {exc}")

    await one()
    await asyncio.gather(*(one() for _ in range(calls)))
    await client.aclose()
    return {"succeeded": succeeded, "failed": failed}


if __name__ == "__main__":
    calls, in_flight = int(sys.argv[1]), int(sys.argv[2])
    print(json.dumps(asyncio.run(work(calls, in_flight))), flush=True)
