"""The three ways of making the same call that the benchmark compares.

Each case is one `connect` call that ends with the websocket URL as a `str`, so every case does
the same useful work: raw httpx parses the JSON by hand, the other two go through the generated
operation and its attrs models. All clients get the same pool limits (ClerkChatClient passes
`limits` to the inner transport it builds), so only the client code differs.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import clerk_chat_client
import httpx
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models.connect_twilio_request import ConnectTwilioRequest

from .server import CONNECT_PATH, CONNECT_URL

API_KEY = "bench-key-not-a-secret"
INBOX = "inbox-1"
# What ConnectTwilioRequest(inbox_external_id=INBOX).to_dict() sends, so raw httpx posts the same bytes.
RAW_PAYLOAD = {"inboxExternalId": INBOX, "direction": "inbound"}

RAW = "raw httpx"
GENERATED = "generated client"
CLERK = "ClerkChatClient"
CASE_NAMES = (RAW, GENERATED, CLERK)


def pool_limits() -> httpx.Limits:
    """Room for 100 concurrent requests, every connection kept alive (no reconnect churn).

    keepalive_expiry is raised from httpx's 5 s: while the other cases run their batches, a case's
    idle connections would otherwise expire and its next batch would time reconnecting. It stays
    below the server's keep-alive timeout (60 s), so no client reuses a connection the server closed.
    """
    return httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30.0)


@dataclass(frozen=True)
class SyncCase:
    name: str
    call: Callable[[], str]
    close: Callable[[], None]


@dataclass(frozen=True)
class AsyncCase:
    name: str
    call: Callable[[], Awaitable[str]]
    close: Callable[[], Awaitable[None]]


_MOCK_BODY = json.dumps({"data": {"connectUrl": CONNECT_URL}}).encode()


def mock_transport() -> httpx.MockTransport:
    """The server's answer without a network: what is left to time is the client's own CPU."""
    return httpx.MockTransport(
        lambda request: httpx.Response(200, content=_MOCK_BODY, headers={"content-type": "application/json"})
    )


def _httpx_args(transport: httpx.BaseTransport | None) -> dict[str, Any]:
    return {"limits": pool_limits()} if transport is None else {"transport": transport}


def _generated(base_url: str, transport: httpx.BaseTransport | None = None) -> clerk_chat_client.AuthenticatedClient:
    return clerk_chat_client.AuthenticatedClient(
        base_url=base_url,
        token=API_KEY,
        prefix="",
        auth_header_name="apiKey",
        httpx_args=_httpx_args(transport),
    )


def _clerk(base_url: str, transport: httpx.BaseTransport | None = None) -> clerk_chat_client.ClerkChatClient:
    # A `transport` in httpx_args becomes ClerkChatClient's inner transport, wrapped like the real one.
    return clerk_chat_client.ClerkChatClient(api_key=API_KEY, base_url=base_url, httpx_args=_httpx_args(transport))


def sync_cases(base_url: str, transport: httpx.BaseTransport | None = None) -> list[SyncCase]:
    """Raw httpx, the plain generated client and ClerkChatClient, sync (over `transport` if given)."""
    url = base_url + CONNECT_PATH
    headers = {"apiKey": API_KEY}
    raw = httpx.Client(limits=pool_limits()) if transport is None else httpx.Client(transport=transport)

    def raw_call() -> str:
        url_value: str = raw.post(url, json=RAW_PAYLOAD, headers=headers).json()["data"]["connectUrl"]
        return url_value

    generated = _generated(base_url, transport)

    def generated_call() -> str:
        return connect.sync(client=generated, body=ConnectTwilioRequest(inbox_external_id=INBOX)).data.connect_url

    clerk = _clerk(base_url, transport)

    def clerk_call() -> str:
        return connect.sync(client=clerk, body=ConnectTwilioRequest(inbox_external_id=INBOX)).data.connect_url

    return [
        SyncCase(RAW, raw_call, raw.close),
        SyncCase(GENERATED, generated_call, generated.get_httpx_client().close),
        SyncCase(CLERK, clerk_call, clerk.get_httpx_client().close),
    ]


def async_cases(base_url: str) -> list[AsyncCase]:
    """The same three, async (create inside the event loop that will use them)."""
    url = base_url + CONNECT_PATH
    headers = {"apiKey": API_KEY}
    raw = httpx.AsyncClient(limits=pool_limits())

    async def raw_call() -> str:
        response = await raw.post(url, json=RAW_PAYLOAD, headers=headers)
        url_value: str = response.json()["data"]["connectUrl"]
        return url_value

    generated = _generated(base_url)

    async def generated_call() -> str:
        body = ConnectTwilioRequest(inbox_external_id=INBOX)
        return (await connect.asyncio(client=generated, body=body)).data.connect_url

    clerk = _clerk(base_url)

    async def clerk_call() -> str:
        body = ConnectTwilioRequest(inbox_external_id=INBOX)
        return (await connect.asyncio(client=clerk, body=body)).data.connect_url

    return [
        AsyncCase(RAW, raw_call, raw.aclose),
        AsyncCase(GENERATED, generated_call, generated.get_async_httpx_client().aclose),
        AsyncCase(CLERK, clerk_call, clerk.get_async_httpx_client().aclose),
    ]
