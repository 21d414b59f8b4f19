"""Looking under a ClerkChatClient at httpcore's pool, to prove no connection is leaked."""

from __future__ import annotations

from typing import Any

from clerk_chat_client import ClerkChatClient


def connection_pool(client: ClerkChatClient, mode: str) -> Any:
    """The httpcore pool under the client's transport (mode: "sync" or "async")."""
    http = client.get_httpx_client() if mode == "sync" else client.get_async_httpx_client()
    return http._transport._inner._pool  # type: ignore[union-attr]


def assert_pool_idle(pool: Any) -> None:
    """No connection is mid-request and no request waits: every response was closed."""
    busy = [repr(c) for c in pool.connections if not (c.is_idle() or c.is_closed())]
    assert busy == [], f"connections left mid-request: {busy}"
    assert pool._requests == [], "requests still registered with the pool"
