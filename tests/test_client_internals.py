"""The one private httpx2 hook the client relies on, pinned so an httpx2 upgrade cannot silently break it."""

from __future__ import annotations

import httpx2
import pytest
from clerk_chat_client import ClerkChatClient

from tests.conftest import API_KEY
from tests.support.fake_clerk import FakeClerk


@pytest.mark.parametrize("path", ["/public/twilio-connector/connect", "/a/b?c=1", "relative", "/x y/%20"])
def test_cached_url_merge_equals_httpx_merge(path: str) -> None:
    client = ClerkChatClient(api_key=API_KEY, base_url="https://api.example.test/v1/").get_httpx_client()
    reference = httpx2.Client(base_url="https://api.example.test/v1/")

    assert client._merge_url(path) == reference._merge_url(path)
    assert client._merge_url(path) == reference._merge_url(path)  # the cached answer too
    assert client.build_request("GET", path).url == reference.build_request("GET", path).url


def test_a_new_base_url_is_not_served_from_the_cache() -> None:
    client = ClerkChatClient(api_key=API_KEY, base_url="https://one.example.test").get_httpx_client()
    client._merge_url("/path")

    client.base_url = httpx2.URL("https://two.example.test")

    assert client._merge_url("/path") == httpx2.URL("https://two.example.test/path")


@pytest.mark.anyio
async def test_async_client_uses_the_same_merge() -> None:
    async with ClerkChatClient(api_key=API_KEY, base_url="https://api.example.test") as client:
        merged = client.get_async_httpx_client()._merge_url("/p?q=1")

    assert merged == httpx2.URL("https://api.example.test/p?q=1")


def test_responses_read_by_the_transport_still_report_elapsed(server: FakeClerk) -> None:
    """httpx2 sets `elapsed` when it closes a response; the transport reads (and so closes) it first."""
    with ClerkChatClient(api_key=API_KEY, base_url=server.url) as client:
        response = client.get_httpx_client().get("/anything")

    assert response.elapsed.total_seconds() >= 0


@pytest.mark.anyio
async def test_async_responses_report_elapsed(server: FakeClerk) -> None:
    async with ClerkChatClient(api_key=API_KEY, base_url=server.url) as client:
        response = await client.get_async_httpx_client().get("/anything")

    assert response.elapsed.total_seconds() >= 0
