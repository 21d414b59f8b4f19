"""The ways of making the same call that the benchmark compares.

Each case is one `connect` call that ends with the websocket URL as a `str`, so every case does
the same useful work: raw httpx2 (the floor) and raw httpx (the old stack, a reference) parse the
JSON by hand, the others go through the generated operation and its attrs models. All clients get
the same pool limits (ClerkChatClient passes `limits` to the inner transport it builds), so only
the client code differs. httpx and httpx2 share one API, so one factory builds both raw cases.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import clerk_chat_client
import httpx
import httpx2
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models.connect_twilio_request import ConnectTwilioRequest

from .server import CONNECT_PATH, CONNECT_URL

API_KEY = "bench-key-not-a-secret"
INBOX = "inbox-1"
# What ConnectTwilioRequest(inbox_external_id=INBOX).to_dict() sends, so raw httpx posts the same bytes.
RAW_PAYLOAD = {"inboxExternalId": INBOX, "direction": "inbound"}

RAW = "raw httpx2"
RAW_HTTPX = "raw httpx"
GENERATED = "generated client"
CLERK = "ClerkChatClient"
CASE_NAMES = (RAW, RAW_HTTPX, GENERATED, CLERK)
STACKS: dict[str, Any] = {RAW: httpx2, RAW_HTTPX: httpx}  # the module behind each raw case


def pool_limits(stack: Any = httpx2) -> Any:
    """Room for 100 concurrent requests, every connection kept alive (no reconnect churn).

    keepalive_expiry is raised from httpx's 5 s: while the other cases run their batches, a case's
    idle connections would otherwise expire and its next batch would time reconnecting. It stays
    below the server's keep-alive timeout (60 s), so no client reuses a connection the server closed.
    """
    limits: Any = stack.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30.0)
    return limits


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


def mock_transport(stack: Any = httpx2) -> Any:
    """The server's answer without a network: what is left to time is the client's own CPU."""
    return stack.MockTransport(
        lambda request: stack.Response(200, content=_MOCK_BODY, headers={"content-type": "application/json"})
    )


def _httpx_args(transport: httpx2.BaseTransport | None) -> dict[str, Any]:
    return {"limits": pool_limits()} if transport is None else {"transport": transport}


def _generated(base_url: str, transport: httpx2.BaseTransport | None = None) -> clerk_chat_client.AuthenticatedClient:
    return clerk_chat_client.AuthenticatedClient(
        base_url=base_url,
        token=API_KEY,
        prefix="",
        auth_header_name="apiKey",
        httpx_args=_httpx_args(transport),
    )


def _clerk(base_url: str, transport: httpx2.BaseTransport | None = None) -> clerk_chat_client.ClerkChatClient:
    # A `transport` in httpx_args becomes ClerkChatClient's inner transport, wrapped like the real one.
    return clerk_chat_client.ClerkChatClient(api_key=API_KEY, base_url=base_url, httpx_args=_httpx_args(transport))


def _raw_sync(name: str, url: str, no_network: bool) -> SyncCase:
    stack = STACKS[name]
    headers = {"apiKey": API_KEY}
    raw = stack.Client(transport=mock_transport(stack)) if no_network else stack.Client(limits=pool_limits(stack))

    def call() -> str:
        url_value: str = raw.post(url, json=RAW_PAYLOAD, headers=headers).json()["data"]["connectUrl"]
        return url_value

    return SyncCase(name, call, raw.close)


def _raw_async(name: str, url: str) -> AsyncCase:
    stack = STACKS[name]
    headers = {"apiKey": API_KEY}
    raw = stack.AsyncClient(limits=pool_limits(stack))

    async def call() -> str:
        response = await raw.post(url, json=RAW_PAYLOAD, headers=headers)
        url_value: str = response.json()["data"]["connectUrl"]
        return url_value

    return AsyncCase(name, call, raw.aclose)


def sync_cases(base_url: str, *, no_network: bool = False) -> list[SyncCase]:
    """Raw httpx2, raw httpx, the plain generated client and ClerkChatClient, sync (over a mock
    transport of each stack when `no_network`)."""
    url = base_url + CONNECT_PATH
    transport = mock_transport() if no_network else None
    generated = _generated(base_url, transport)

    def generated_call() -> str:
        return connect.sync(client=generated, body=ConnectTwilioRequest(inbox_external_id=INBOX)).data.connect_url

    clerk = _clerk(base_url, transport)

    def clerk_call() -> str:
        return connect.sync(client=clerk, body=ConnectTwilioRequest(inbox_external_id=INBOX)).data.connect_url

    return [
        _raw_sync(RAW, url, no_network),
        _raw_sync(RAW_HTTPX, url, no_network),
        SyncCase(GENERATED, generated_call, generated.get_httpx_client().close),
        SyncCase(CLERK, clerk_call, clerk.get_httpx_client().close),
    ]


def async_cases(base_url: str) -> list[AsyncCase]:
    """The same four, async (create inside the event loop that will use them)."""
    url = base_url + CONNECT_PATH
    generated = _generated(base_url)

    async def generated_call() -> str:
        body = ConnectTwilioRequest(inbox_external_id=INBOX)
        return (await connect.asyncio(client=generated, body=body)).data.connect_url

    clerk = _clerk(base_url)

    async def clerk_call() -> str:
        body = ConnectTwilioRequest(inbox_external_id=INBOX)
        return (await connect.asyncio(client=clerk, body=body)).data.connect_url

    return [
        _raw_async(RAW, url),
        _raw_async(RAW_HTTPX, url),
        AsyncCase(GENERATED, generated_call, generated.get_async_httpx_client().aclose),
        AsyncCase(CLERK, clerk_call, clerk.get_async_httpx_client().aclose),
    ]
