"""Fixtures shared by the suite: a fake Clerk server and clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from clerk_chat_client import ClerkChatClient

from tests.support.fake_clerk import FakeClerk

API_KEY = "ck_test_9f8e7d6c5b4a3f2e1d0c"  # a made-up key, scanned for in output by the secrecy tests


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server() -> Iterator[FakeClerk]:
    with FakeClerk() as fake:
        yield fake


@pytest.fixture
def make_client(server: FakeClerk) -> Iterator[Callable[..., ClerkChatClient]]:
    """Build ClerkChatClients against the fake server; closes their sync httpx2 clients after."""
    made: list[ClerkChatClient] = []

    def make(**options: Any) -> ClerkChatClient:
        options.setdefault("api_key", API_KEY)
        options.setdefault("base_url", server.url)
        client = ClerkChatClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.get_httpx_client().close()
